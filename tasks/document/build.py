"""build: the per-video JSON in the Azure Media Face Detector layout, exactly to the contract.

One event per frame on the tick grid (``tasks.document.ticks``), fragments of ``frames_per_fragment``
frames, a fragment without faces as start and duration only, ``facesDetected`` last. ``assemble`` is the
one place that lays a document out: ``build_document`` feeds it a fresh result, ``tasks.document.rebuild``
the rows of the lake, so both give the same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models import Detections
from tasks.detect.result import VideoResult
from tasks.document.ticks import TickGrid, tick_grid

JSON_VERSION = 1
DECIMALS = 6
FACE_KEYS = ("id", "x", "y", "width", "height")


def json_boxes(tracks: Detections, width: int, height: int) -> np.ndarray:
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
    """The per-video JSON document of a processed video."""
    info, tracks = result.info, result.tracks
    grid = tick_grid(info.frame_rate, fragment_seconds or result.settings.fragment_seconds)
    return assemble(
        frame_index=tracks.frame_index,
        face_ids=tracks.track_id.tolist(),
        boxes=json_boxes(tracks, info.width, info.height).tolist(),
        grid_frames=result.grid_frames,
        grid=grid,
        frame_rate=float(info.frame_rate),
        width=info.width,
        height=info.height,
    )


def assemble(
    *,
    frame_index: np.ndarray,
    face_ids: list[int],
    boxes: list[list[float]],
    grid_frames: int,
    grid: TickGrid,
    frame_rate: float,
    width: int,
    height: int,
) -> dict[str, Any]:
    """Lay face events (sorted by frame, then id) out as the contract's document."""
    bounds = np.searchsorted(frame_index, np.arange(grid_frames + 1))  # each frame's rows
    faces = [
        dict(zip(FACE_KEYS, (face_id, *box), strict=True))
        for face_id, box in zip(face_ids, boxes, strict=True)
    ]
    fragments: list[dict[str, Any]] = []
    for first in range(0, grid_frames, grid.frames_per_fragment):
        last = min(first + grid.frames_per_fragment, grid_frames)
        fragment: dict[str, Any] = {
            "start": first * grid.interval,
            "duration": (last - first) * grid.interval,
        }
        if bounds[last] > bounds[first]:
            fragment["interval"] = grid.interval
            fragment["events"] = [faces[bounds[f] : bounds[f + 1]] for f in range(first, last)]
        fragments.append(fragment)
    return {
        "version": JSON_VERSION,
        "timescale": grid.timescale,
        "offset": 0,
        "framerate": frame_rate,  # full precision: readers map ticks back to frames with it
        "width": width,
        "height": height,
        "fragments": fragments,
        "facesDetected": len(set(face_ids)),  # last, as in the Azure layout
    }
