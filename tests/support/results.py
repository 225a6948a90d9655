"""Builders for engine tests: synthetic results with exact, known face events."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from models import Detections
from tasks.detect.result import VideoResult
from tasks.settings import DetectorSettings
from tasks.video.probe import VideoInfo
from tasks.video.shots import Shot, shots_between


def video_info(frame_rate: Fraction, frames: int, width: int = 1280, height: int = 720) -> VideoInfo:
    return VideoInfo(
        path="/videos/clip.mp4", size_bytes=1, container="mp4", codec="h264", width=width, height=height,
        rotation=0, frame_rate=frame_rate, frame_count=frames, duration=float(frames / frame_rate),
        time_base=Fraction(1, 90000), start_pts=0, pix_fmt="yuv420p",
    )  # fmt: skip


def shots_at(cuts: Sequence[int], frames: int, frame_rate: Fraction) -> list[Shot]:
    """The shots of a ``frames``-frame video cut at those grid frames (each a new shot's first frame), as
    the engine reports them for a constant-frame-rate video (every grid slot decoded)."""
    return shots_between(list(cuts), np.arange(frames), frames, float(frame_rate))


def result_with(
    events: list[tuple[int, int, tuple[float, float, float, float]]],
    frames: int,
    frame_rate: Fraction = Fraction(25),
    width: int = 1280,
    height: int = 720,
    fragment_seconds: float = 2.0,
    cuts: Sequence[int] = (),
) -> VideoResult:
    """A VideoResult whose tracks are exactly ``events``: (frame, face id, (x1, y1, x2, y2) pixels), and
    whose shots are cut at ``cuts`` (none: one shot, as the engine reports a video without a cut)."""
    events = sorted(events, key=lambda e: (e[0], e[1]))
    n = len(events)
    tracks = Detections(
        np.array([e[2] for e in events], np.float32).reshape(n, 4),
        np.full(n, 0.9, np.float32),
        frame_index=[e[0] for e in events],
        track_id=[e[1] for e in events],
    )
    settings = DetectorSettings(fragment_seconds=fragment_seconds)
    info = video_info(frame_rate, frames, width, height)
    shots = shots_at(cuts, frames, frame_rate)
    return VideoResult(info, settings, tracks, grid_frames=frames, frames_decoded=frames, shots=shots)
