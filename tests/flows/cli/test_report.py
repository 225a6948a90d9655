"""`facetrack report` from the command line: a page from a JSON and its video, or from the lake; one line
and exit 2 for a JSON of another video; the page rendered by a real browser where one is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from flows.cli import main
from tests.support.media import write_video
from tests.tasks.report.page import ReportPage

Capture = pytest.CaptureFixture[str]
pytestmark = pytest.mark.slow


def run_cli(args: list[str], capsys: Capture) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A 2 s clip of one face and its JSON, from `facetrack detect`."""
    folder = tmp_path_factory.mktemp("cli_report")
    video = write_video(folder / "face.mp4", frames=50, fps=25, width=640, height=360)
    faces = str(folder / "face.faces.json")
    assert main(["detect", video, "-o", faces]) == 0
    return video, faces


def test_report_from_a_json_is_written_atomically_with_a_summary(
    clip: tuple[str, str], tmp_path: Path, capsys: Capture
) -> None:
    video, faces = clip
    out = tmp_path / "out" / "face.report.html"
    code, stdout, stderr = run_cli(["report", faces, "--video", video, "-o", str(out)], capsys)
    assert code == 0, stderr
    assert stdout.startswith("face.report.html: 1 face ids, ") and stdout.rstrip().endswith(f"-> {out}")
    assert os.listdir(out.parent) == ["face.report.html"]  # no temporary file left beside it
    page = ReportPage(out.read_text(encoding="utf-8"))
    assert page.count("div", "face") == 1 and page.count("g", "timeline-row") == 1


def test_default_output_is_beside_the_json(clip: tuple[str, str], tmp_path: Path, capsys: Capture) -> None:
    video, faces = clip
    json_copy = shutil.copy(faces, tmp_path / "face.faces.json")
    code, _, stderr = run_cli(["report", str(json_copy), "--video", video], capsys)
    assert code == 0, stderr
    assert (tmp_path / "face.report.html").is_file()


def test_a_json_of_another_video_is_refused_in_one_line(
    clip: tuple[str, str], tmp_path: Path, capsys: Capture
) -> None:
    _, faces = clip
    other = write_video(tmp_path / "other.mp4", frames=30)
    out = tmp_path / "r.html"
    code, stdout, stderr = run_cli(["report", faces, "--video", other, "-o", str(out)], capsys)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and "face.faces.json: covers 50 frames, other.mp4 has 30" in stderr
    assert not out.exists() and os.listdir(tmp_path) == ["other.mp4"]


def test_a_json_without_its_video_is_refused(clip: tuple[str, str], tmp_path: Path, capsys: Capture) -> None:
    _, faces = clip
    code, _, stderr = run_cli(["report", faces, "-o", str(tmp_path / "r.html")], capsys)
    assert code == 2 and stderr.count("\n") == 1 and "--video" in stderr


def test_report_from_the_lake_has_shots_detected_flags_and_the_validation(
    clip: tuple[str, str], tmp_path: Path, capsys: Capture
) -> None:
    from tasks.video.content_id import video_id

    video, _ = clip
    lake = str(tmp_path / "lake")
    code, _, stderr = run_cli(["run", video, "--lake", lake, "--json-dir", str(tmp_path / "json")], capsys)
    assert code == 0, stderr
    out = tmp_path / "lake.report.html"
    vid = video_id(video)
    code, stdout, stderr = run_cli(["report", vid[:10], "--lake", lake, "-o", str(out)], capsys)
    assert code == 0, stderr
    assert stdout.startswith("lake.report.html: 1 face ids, ")
    text = out.read_text(encoding="utf-8")
    page = ReportPage(text)
    assert page.count("div", "face") == 1 and page.count("g", "timeline-row") == 1
    assert len(page.images["thumb"]) == 1  # the row's source path is still the video: pictures too
    assert page.count("rect", "detected") >= 1  # the lake knows detected from filled in
    assert "shot cuts unknown" not in text and "n/a" not in text  # shots and confidence known
    assert page.count("span", "published") == 1 and "expectations met" in text
    assert "processing speed" in text and "centerface" in text
    assert "http://" not in text and "https://" not in text and "<script" not in text

    other = write_video(tmp_path / "other.mp4", frames=50, faces=False)  # same size and length, not it
    code, _, stderr = run_cli(["report", vid, "--lake", lake, "--video", other, "-o", str(out)], capsys)
    assert code == 2 and "its SHA-256 differs" in stderr and stderr.count("\n") == 1
    code, _, stderr = run_cli(["report", "0" * 64, "--lake", lake], capsys)
    assert code == 2 and "neither published nor quarantined" in stderr


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    chromium() is None,
    reason="no headless browser: neither `chromium` nor `chromium-browser` is on PATH (apt install chromium)",
)
def test_a_headless_browser_renders_the_page_offline(
    clip: tuple[str, str], tmp_path: Path, capsys: Capture
) -> None:
    """Debian's Chromium, with every host name unresolvable (no network), draws the page to a PNG; its
    DOM, as the browser built it, has the gallery picture and the timeline row."""
    video, faces = clip
    out = tmp_path / "face.report.html"
    assert run_cli(["report", faces, "--video", video, "-o", str(out)], capsys)[0] == 0
    browser = chromium()
    assert browser is not None
    profile = f"--user-data-dir={tmp_path / 'profile'}"
    offline = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
               "--host-resolver-rules=MAP * ~NOTFOUND", profile]  # fmt: skip
    png = tmp_path / "shot.png"
    subprocess.run(
        [*offline, "--window-size=1280,2000", f"--screenshot={png}", out.as_uri()],
        check=False, capture_output=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert png.is_file() and png.stat().st_size > 10_000  # a page with pictures, not a blank one
    import cv2

    shot = cv2.imread(str(png))
    assert shot is not None and shot.shape[:2] == (2000, 1280) and shot.std() > 10  # not one flat colour
    dom = subprocess.run(
        [*offline, "--dump-dom", out.as_uri()], check=False, capture_output=True, text=True, timeout=120
    ).stdout
    page = ReportPage(dom)
    assert page.count("div", "face") == 1 and len(page.images["thumb"]) == 1
    assert page.count("g", "timeline-row") == 1 and len(page.images["sheet-frame"]) == 10
