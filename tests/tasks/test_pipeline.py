"""What the real engine and normalizer produce passes the gate: the suites are not stricter than the
pipeline (an NTSC rate with gaps in the timestamps), and the gate publishes it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tasks.detect.detect_track import detect_track
from tasks.document.build import build_document
from tasks.lake.normalize import normalize
from tasks.lake.store import Lake
from tasks.validate.gate import audit_and_publish
from tasks.video.content_id import video_id
from tests.support.media import write_video

# One clip exercising both timing hazards: an NTSC rate (30000/1001, ticks that are not whole
# milliseconds) and gaps in the timestamps (frame slots on the nominal grid, not decoded frames).
NTSC_WITH_GAPS: dict[str, Any] = {
    "frames": 16,
    "fps": Fraction(30000, 1001),
    "pts": [0, 1, 2, 4, 5, 6, 9, 10, 11, 12, 14, 15, 17, 18, 19, 21],
    "time_base": Fraction(1001, 30000),
}


@pytest.mark.slow
def test_engine_output_passes_the_gate_and_is_published(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", width=320, height=180, **NTSC_WITH_GAPS)
    result = detect_track(path)
    assert len(result.tracks) > 0  # the portrait is found, so the face rules have rows to check
    document = build_document(result)
    batch = normalize(result, document, video_id=video_id(path), json_path=str(tmp_path / "clip.json"))
    lake = Lake(str(tmp_path / "lake"))
    outcome = audit_and_publish(lake, batch)
    assert outcome.success, outcome.failed
    assert pl.read_delta(lake.table_uri("face_events")).height == len(result.tracks)
