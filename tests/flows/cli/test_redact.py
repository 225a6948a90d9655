"""`facetrack redact` from the command line: the summary, the Redact mode, and one line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from tests.support.media import make_bad_inputs, write_video

Capture = pytest.CaptureFixture[str]


def run_cli(args: list[str], capsys: Capture) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_video(tmp_path_factory.mktemp("cli_redact") / "face.mp4", frames=30)


def test_combined_then_redact_from_the_json(clip: str, tmp_path: Path, capsys: Capture) -> None:
    out = tmp_path / "face.redacted.mp4"
    code, stdout, stderr = run_cli(["redact", clip, "-o", str(out)], capsys)
    assert code == 0, stderr
    assert stdout.startswith("face.mp4: 30 frames in ") and "faces hidden on 30 (med)" in stdout
    assert out.exists()
    faces = tmp_path / "face.faces.json"
    code, stdout, _ = run_cli(["detect", clip, "-o", str(faces), "--thumbnails", str(tmp_path / "t")], capsys)
    assert code == 0 and stdout.rstrip().endswith(f"1 thumbnails -> {tmp_path / 't'}")
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["face_thumb000000.jpg"]
    again = tmp_path / "again.mp4"
    code, stdout, _ = run_cli(
        ["redact", clip, "--faces", str(faces), "-o", str(again), "--blur", "black"], capsys
    )
    assert code == 0 and "(black)" in stdout and again.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--blur", "fuzzy"], "--blur must be one of low, med, high, box, black, mosaic"),
        (["--shape", "star"], "--shape must be one of ellipse, box"),
        (["--ids", "0", "--except", "1"], "--ids and --except cannot be used together"),
        (["--ids", "a,b"], "--ids takes face ids"),
        (["--margin", "5"], "--margin must be between 0 and 2"),
        (["--crf", "99"], "--crf must be between 0 and 51"),
        (["--ids", "7"], "face ids 7 are not in the video's JSON"),
        (["--codec", "nosuch"], "--codec nosuch: FFmpeg has no such encoder"),
        (["--codec", "aac"], "--codec aac: not a video encoder"),
    ],
)
def test_mistakes_are_one_line_exit_2_and_nothing_written(
    clip: str, tmp_path: Path, capsys: Capture, args: list[str], message: str
) -> None:
    out = tmp_path / "out.mp4"
    code, stdout, stderr = run_cli(["redact", clip, "-o", str(out), *args], capsys)
    assert code == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
    assert not out.exists() and not list(tmp_path.iterdir())


def test_bad_videos_and_a_foreign_json_are_refused(clip: str, tmp_path: Path, capsys: Capture) -> None:
    for label, path in make_bad_inputs(tmp_path, clip).items():
        out = tmp_path / f"{label}.redacted.mp4"
        code, _, stderr = run_cli(["redact", path, "-o", str(out)], capsys)
        assert code == 2 and len(stderr.strip().splitlines()) == 1, (label, stderr)
        assert not out.exists()
    other = write_video(tmp_path / "other.mp4", frames=30, width=320, height=240)
    faces = tmp_path / "other.faces.json"
    assert run_cli(["detect", other, "-o", str(faces)], capsys)[0] == 0
    code, _, stderr = run_cli(["redact", clip, "--faces", str(faces), "-o", str(tmp_path / "x.mp4")], capsys)
    assert code == 2 and "made for a 320x240 video, face.mp4 is 640x360" in stderr
    code, _, stderr = run_cli(["redact", clip, "-o", clip], capsys)
    assert code == 2 and "would overwrite the video itself" in stderr


def test_run_redact_prints_where_the_copy_went(clip: str, tmp_path: Path, capsys: Capture) -> None:
    lake = str(tmp_path / "lake")
    code, _, stderr = run_cli(["run", clip, "--lake", lake, "--redact", "--blur", "smudge"], capsys)
    assert code == 2 and stderr.strip().count("\n") == 0 and "--blur must be one of" in stderr
    assert not Path(lake).exists()  # refused before anything was created
    code, stdout, stderr = run_cli(["run", clip, "--lake", lake, "--redact", "--blur", "high"], capsys)
    assert code == 0, stderr
    json_path, redacted, report = stdout.strip().split(" -> ")[1].split(", ")
    assert redacted.endswith(".redacted.mp4") and Path(redacted).is_file()
    assert report == json_path.removesuffix(".faces.json") + ".report.html"  # run writes the report too
    page = Path(report).read_text()
    assert 'src="data:image/jpeg;base64,' in page and "http://" not in page
    assert Path(redacted).name in page  # linked, relative: the report and the copy sit side by side
    index = (Path(lake) / "reports" / "index.html").read_text()  # the lake's index, refreshed by run
    assert f"../json/{Path(report).name}" in index
    code, stdout, _ = run_cli(["run", clip, "--lake", str(tmp_path / "lake2"), "--no-report"], capsys)
    assert code == 0 and ".report.html" not in stdout
