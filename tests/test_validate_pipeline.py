"""What the real engine and normalizer produce passes the gate: the suites are not stricter than the
pipeline (constant and variable frame rate), and the gate publishes it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tasks.detect_track import detect_track
from tasks.fragments import build_document
from tasks.gate import audit_and_publish
from tasks.lake import Lake
from tasks.normalize import file_sha256, normalize
from tests.media import write_video

VIDEOS: dict[str, dict[str, Any]] = {
    "constant 30000/1001 fps": {"frames": 24, "fps": Fraction(30000, 1001)},
    # Gaps in the timestamps: frame slots on the nominal grid end later than frames are decoded.
    "variable frame rate": {
        "frames": 16,
        "fps": 25,
        "pts": [0, 1, 2, 4, 5, 6, 9, 10, 11, 12, 14, 15, 17, 18, 19, 21],
        "time_base": Fraction(1, 25),
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(VIDEOS))
def test_engine_output_passes_the_gate_and_is_published(name: str, tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", width=320, height=180, **VIDEOS[name])
    result = detect_track(path)
    assert len(result.tracks) > 0  # the portrait is found, so the face rules have rows to check
    document = build_document(result)
    batch = normalize(result, document, video_id=file_sha256(path), json_path=str(tmp_path / "clip.json"))
    lake = Lake(str(tmp_path / "lake"))
    outcome = audit_and_publish(lake, batch)
    assert outcome.success, outcome.failed
    assert pl.read_delta(lake.table_uri("face_events")).height == len(result.tracks)
