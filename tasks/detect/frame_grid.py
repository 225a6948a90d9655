"""frame_grid: tracks from decode order onto the video's frame grid, and from the upright picture back
onto the stored frame, which is what the JSON's coordinates and ticks describe."""

from __future__ import annotations

import numpy as np

from models import Detections
from tasks.video.probe import VideoInfo


def to_grid(tracks: Detections, slots: np.ndarray) -> tuple[Detections, int]:
    """Move rows from decoded frames onto the nominal frame grid; return them and the grid's length.

    ``slots[k]`` is decoded frame k's slot. Each grid slot shows the last frame at or before it (what a
    player displays then), so a variable-frame-rate gap repeats the previous frame's faces and two frames
    in one slot keep the later one.
    """
    slots = np.maximum.accumulate(slots)
    n_slots = int(slots[-1]) + 1
    source = np.searchsorted(slots, np.arange(n_slots), side="right") - 1  # decoded frame per slot
    bounds = np.searchsorted(tracks.frame_index, np.arange(len(slots) + 1))
    starts, counts = bounds[source], bounds[source + 1] - bounds[source]
    rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    return tracks[rows].replace(frame_index=np.repeat(np.arange(n_slots, dtype=np.int64), counts)), n_slots


def to_stored_frame(tracks: Detections, info: VideoInfo, turns: int) -> Detections:
    """Rotate display-space boxes back to the stored frame, clip to it, renumber ids by first appearance."""
    xyxy = tracks.xyxy.astype(np.float64)
    marks = tracks.landmarks.reshape(-1, 2).astype(np.float64)
    if turns:
        corners = _unrotate(np.concatenate([xyxy[:, :2], xyxy[:, 2:]]), info, turns)
        n = len(xyxy)
        xyxy = np.concatenate([np.minimum(corners[:n], corners[n:]), np.maximum(corners[:n], corners[n:])], 1)
        marks = _unrotate(marks, info, turns)
    xyxy = np.clip(xyxy, 0, [info.width, info.height, info.width, info.height])
    keep = (xyxy[:, 2] - xyxy[:, 0] >= 1) & (xyxy[:, 3] - xyxy[:, 1] >= 1)
    kept = tracks[keep]
    _, first_rows, inverse = np.unique(kept.track_id, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first_rows))  # ids in order of first appearance
    return kept.replace(
        xyxy=xyxy[keep],
        landmarks=marks.reshape(-1, 5, 2)[keep],
        track_id=rank[inverse].reshape(-1),
    )


def _unrotate(points: np.ndarray, info: VideoInfo, turns: int) -> np.ndarray:
    """Display-space points → stored-frame points, undoing ``np.rot90(stored, turns)``."""
    x, y = points[:, 0], points[:, 1]
    w, h = info.width, info.height
    if turns == 1:  # display (x', y') = (y, w - x)
        return np.stack([w - y, x], axis=1)
    if turns == 2:
        return np.stack([w - x, h - y], axis=1)
    return np.stack([y, h - x], axis=1)  # turns == 3: display (x', y') = (h - y, x)
