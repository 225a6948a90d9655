"""Builders for engine tests: synthetic results with exact, known face events."""

from __future__ import annotations

import os
import sys
from fractions import Fraction

import numpy as np
import pytest

from tasks.probe import VideoInfo
from tasks.results import DetectorSettings, FaceTracks, VideoResult
from tests.media import SHARED_FORMAT


def video_info(frame_rate: Fraction, frames: int, width: int = 1280, height: int = 720) -> VideoInfo:
    return VideoInfo(
        path="/videos/clip.mp4", size_bytes=1, container="mp4", codec="h264", width=width, height=height,
        rotation=0, frame_rate=frame_rate, frame_count=frames, duration=float(frames / frame_rate),
        time_base=Fraction(1, 90000), start_pts=0, pix_fmt="yuv420p",
    )  # fmt: skip


def result_with(
    events: list[tuple[int, int, tuple[float, float, float, float]]],
    frames: int,
    frame_rate: Fraction = Fraction(25),
    width: int = 1280,
    height: int = 720,
    fragment_seconds: float = 2.0,
) -> VideoResult:
    """A VideoResult whose tracks are exactly ``events``: (frame, face id, (x1, y1, x2, y2) pixels)."""
    events = sorted(events, key=lambda e: (e[0], e[1]))
    n = len(events)
    tracks = FaceTracks(
        frame_index=np.array([e[0] for e in events], np.int64),
        face_id=np.array([e[1] for e in events], np.int64),
        xyxy=np.array([e[2] for e in events], np.float32).reshape(n, 4),
        confidence=np.full(n, 0.9, np.float32),
        landmarks=np.zeros((n, 5, 2), np.float32),
        n_frames=frames,
    )
    settings = DetectorSettings(fragment_seconds=fragment_seconds)
    return VideoResult(video_info(frame_rate, frames, width, height), settings, tracks, frames_decoded=frames)


def shared_check_output():  # type: ignore[no-untyped-def]
    """The contract checker that ships beside the schema in ../shared, or a skip when it is absent."""
    path = os.path.join(SHARED_FORMAT, "check_output.py")
    if not os.path.exists(path):
        pytest.skip("../shared/format/check_output.py is not present (fresh clone): cross-check skipped")
    sys.path.insert(0, SHARED_FORMAT)
    import check_output

    return check_output
