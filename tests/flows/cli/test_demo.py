"""`facetrack demo` works from what the dependencies ship: video, JSON, lake, validation, SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import main
from tasks.document.contract import violations


def test_demo_runs_the_whole_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "published" in out and "(4 rows)" in out  # four faces, each with its row in `faces`
    doc = json.loads((tmp_path / "demo.faces.json").read_text())
    assert doc["facesDetected"] == 4  # the astronaut and three LFW faces, one id each
    assert violations(doc, frames=150, fps=25.0) == []
    assert (tmp_path / "lake" / "face_events" / "_delta_log").is_dir()
    assert main(["sql", "--lake", str(tmp_path / "lake"), "SELECT count(*) AS n FROM videos"]) == 0
    assert "1" in capsys.readouterr().out
