"""fragments: the per-video JSON in the Azure Media Face Detector layout, exactly to the contract.

Times are integer ticks. For a rational frame rate p/q the timescale and interval are chosen so that one
frame is a whole number of ticks (30000/1001 fps -> timescale 30000, interval 1001; 25 fps -> 25000 and
1000), so frame k starts at exactly k * interval and no rounding error accumulates over long videos.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from tasks.results import FaceTracks, VideoResult

JSON_VERSION = 1
DECIMALS = 6
FACE_KEYS = ("id", "x", "y", "width", "height")


@dataclass(frozen=True)
class TickGrid:
    """How frames map to ticks and fragments for one video."""

    timescale: int  # ticks per second
    interval: int  # ticks per frame
    frames_per_fragment: int

    def start_tick(self, frame_index: int | np.ndarray) -> int | np.ndarray:
        return frame_index * self.interval

    def fragment_of(self, frame_index: int | np.ndarray) -> int | np.ndarray:
        return frame_index // self.frames_per_fragment


def timescale_for(frame_rate: Fraction) -> tuple[int, int]:
    """(timescale, interval) with interval / timescale == 1 / frame_rate exactly."""
    rate = Fraction(frame_rate)
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {rate}")
    p, q = rate.numerator, rate.denominator
    # Keep NTSC-style rates as published (30000/1001); scale small integers up so ticks are fine-grained.
    k = 1 if p >= 10_000 else 1000
    return p * k, q * k


def tick_grid(frame_rate: Fraction, fragment_seconds: float = 2.0) -> TickGrid:
    if not fragment_seconds > 0:
        raise ValueError(f"fragment length must be positive, got {fragment_seconds}")
    timescale, interval = timescale_for(frame_rate)
    frames = max(1, round(fragment_seconds * float(frame_rate)))
    return TickGrid(timescale, interval, frames)


def json_boxes(tracks: FaceTracks, width: int, height: int) -> np.ndarray:
    """(N, 4) normalized x, y, width, height exactly as written to the JSON (clipped, 6 decimals).

    The right and bottom edges are rounded and the sizes derived from them, so x + width <= 1 holds
    after rounding too. The lake stores these same numbers, which makes the JSON round trip exact.
    """
    if len(tracks) == 0:
        return np.zeros((0, 4), np.float64)
    xyxy = tracks.xyxy.astype(np.float64)
    scale = np.array([width, height, width, height], np.float64)
    norm = np.clip(xyxy / scale, 0.0, 1.0).round(DECIMALS)
    x, y = norm[:, 0], norm[:, 1]
    w = (norm[:, 2] - x).round(DECIMALS)
    h = (norm[:, 3] - y).round(DECIMALS)
    return np.stack([x, y, w, h], axis=1)


def build_document(result: VideoResult, fragment_seconds: float | None = None) -> dict[str, Any]:
    """The per-video JSON document: one event per frame, face-free fragments as start + duration only."""
    info, tracks = result.info, result.tracks
    grid = tick_grid(info.frame_rate, fragment_seconds or result.settings.fragment_seconds)
    boxes = json_boxes(tracks, info.width, info.height)
    # Row ranges of each frame's faces; tracks are sorted by (frame_index, face_id).
    bounds = np.searchsorted(tracks.frame_index, np.arange(tracks.n_frames + 1))
    ids = tracks.face_id.tolist()
    rows = boxes.tolist()
    fragments: list[dict[str, Any]] = []
    for first in range(0, tracks.n_frames, grid.frames_per_fragment):
        last = min(first + grid.frames_per_fragment, tracks.n_frames)
        fragment: dict[str, Any] = {
            "start": first * grid.interval,
            "duration": (last - first) * grid.interval,
        }
        if bounds[last] > bounds[first]:
            fragment["interval"] = grid.interval
            fragment["events"] = [
                [
                    dict(zip(FACE_KEYS, (ids[i], *rows[i]), strict=True))
                    for i in range(bounds[f], bounds[f + 1])
                ]
                for f in range(first, last)
            ]
        fragments.append(fragment)
    return {
        "version": JSON_VERSION,
        "timescale": grid.timescale,
        "offset": 0,
        "framerate": float(info.frame_rate),  # full precision: readers map ticks back to frames with it
        "width": info.width,
        "height": info.height,
        "fragments": fragments,
        "facesDetected": tracks.faces_detected,  # last, as in the Azure layout
    }


def write_json_atomic(document: dict[str, Any], path: str | os.PathLike[str]) -> str:
    """Write next to the target, fsync, then rename: a reader never sees a half-written file."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".facetrack-", suffix=".json.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
