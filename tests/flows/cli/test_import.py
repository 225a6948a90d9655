"""``facetrack import``: one line per file, one error line and a non-zero exit for what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import main
from tests.support.azure_samples import aggregate_emotion_sample, redactor_sample


def _write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def test_import_prints_a_line_per_file_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _write(tmp_path / "street_annotations.json", redactor_sample())
    second = _write(tmp_path / "square_annotations.json", {**redactor_sample(), "width": 720})
    lake = str(tmp_path / "lake")
    assert main(["import", first, second, "--lake", lake, "--no-report"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("street_annotations.json: imported ")
    assert "2 face events, 2 face ids (1 box clipped to the frame;" in out[0]
    assert out[1].startswith("square_annotations.json: imported ")
    assert out[2].startswith("imported 2 files (run run-")
    assert main(["sql", "--lake", lake, "SELECT count(*) AS n FROM face_events WHERE imported"]) == 0
    assert capsys.readouterr().out.split()[-3:] == ["4", "(1", "row)"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{emotion}"], "emotion.json: fragments[0].events[0][0]: aggregate-emotion output, no face boxes"),
        (["{good}", "{emotion}", "--name", "x"], "--video and --name describe one file"),
        (["{good}", "--name", "x", "--video", "{good}"], "--video and --name: give one"),
        (["{missing}"], "missing.json: no such file"),
        (["{good}", "--video", "{good}"], "street_annotations.json: not a readable video"),
    ],
)
def test_import_refusals_are_one_line(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "emotion": _write(tmp_path / "emotion.json", aggregate_emotion_sample()),
        "good": _write(tmp_path / "street_annotations.json", redactor_sample()),
        "missing": str(tmp_path / "missing.json"),
    }
    argv = ["import", *(a.format(**files) for a in arguments), "--lake", str(tmp_path / "lake")]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err, captured.err
