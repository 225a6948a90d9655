"""masks: which pixels of each frame to hide, from a video's face tracks.

Tracks come from the JSON (frame slot, id, box normalized to the stored frame). A mask must cover every
frame a face is on, interpolated frames included, and nothing may show while it moves: each box is
widened by ``margin`` of its size and by how far the face moves to the frames beside it, and each track
goes on ``HOLD_SECONDS`` before its first box and after its last, moving on as the face moved (a face
enters a shot, or the frame, a little before a detector is sure of it: half a face at the frame's edge
scores low, and a track is confirmed on its third sighting); across a shot cut that hides a little more
than needed, never less. Masks are in the stored frame's pixels, like the decoded frames they apply to,
so a rotated phone video is redacted before its rotation, which the output keeps.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tasks.document.rebuild import events_of

HOLD_SECONDS = 0.2  # a track's mask goes on this long before its first box and after its last


@dataclass(frozen=True)
class FaceMasks:
    """Boxes to hide on each frame slot: ``boxes[slot]`` is (N, 4) xyxy in stored-frame pixels."""

    boxes: dict[int, np.ndarray]
    face_ids: frozenset[int]  # the ids redacted
    width: int
    height: int

    def on(self, slot: int) -> np.ndarray:
        return self.boxes.get(slot, _NO_BOXES)

    @property
    def frames(self) -> int:
        """Frame slots with at least one mask."""
        return len(self.boxes)


_NO_BOXES = np.zeros((0, 4), np.float64)


DEFAULT_MARGIN = 0.25  # of each box's size, added on every side


def masks_from_document(
    document: Mapping[str, Any],
    margin: float = DEFAULT_MARGIN,
    only: Collection[int] | None = None,
    keep: Collection[int] = (),
    grid_frames: int | None = None,
) -> FaceMasks:
    """Masks for every face of a (contract-checked) document; ``only`` the listed ids when given, never
    those in ``keep`` ("blur everyone but the speaker")."""
    width, height = int(document["width"]), int(document["height"])
    events = events_of(document)
    frames, ids, boxes = events["frame_index"], events["face_id"], events["box"]
    chosen = np.ones(len(ids), bool)
    if only is not None:
        chosen &= np.isin(ids, list(only))
    if keep:
        chosen &= ~np.isin(ids, list(keep))
    hold = max(1, round(HOLD_SECONDS * float(document["framerate"])))
    last = (grid_frames - 1) if grid_frames else int(frames.max(initial=0)) + hold
    per_slot: dict[int, list[np.ndarray]] = {}
    for face in np.unique(ids[chosen]):
        rows = np.flatnonzero(chosen & (ids == face))
        order = rows[np.argsort(frames[rows], kind="stable")]
        track_frames = frames[order]
        xyxy = _pixels(boxes[order], width, height)
        # Each stretch on screen separately: an id may leave and come back (or be cut away from).
        breaks = np.flatnonzero(np.diff(track_frames) > 1) + 1
        for run_frames, run_boxes in zip(np.split(track_frames, breaks), np.split(xyxy, breaks), strict=True):
            for slot, box in _widened(run_frames, run_boxes, margin, last, hold):
                per_slot.setdefault(slot, []).append(box)
    clipped = {
        slot: np.clip(np.array(found), 0, [width, height, width, height]) for slot, found in per_slot.items()
    }
    return FaceMasks(clipped, frozenset(int(i) for i in np.unique(ids[chosen])), width, height)


def _pixels(normalized: np.ndarray, width: int, height: int) -> np.ndarray:
    x, y, w, h = normalized.T
    return np.stack([x * width, y * height, (x + w) * width, (y + h) * height], axis=1)


def _widened(
    frames: np.ndarray, xyxy: np.ndarray, margin: float, last: int, hold: int
) -> list[tuple[int, np.ndarray]]:
    """Each box grown by ``margin`` of its size and by its motion to the boxes before and after it, plus
    ``hold`` boxes before the track's first and after its last, carried on by its first and last motion."""
    size = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
    grown = xyxy + np.outer(size * margin, [-1, -1, 1, 1])
    first_step = last_step = np.zeros(4)
    if len(xyxy) > 1:
        step = np.diff(xyxy, axis=0) / np.maximum(np.diff(frames), 1)[:, None]
        motion = np.zeros_like(xyxy)
        motion[1:] = np.maximum(motion[1:], np.abs(step))
        motion[:-1] = np.maximum(motion[:-1], np.abs(step))
        grown = grown + motion * [-1, -1, 1, 1]
        first_step, last_step = step[0], step[-1]
    out = [(int(f), box) for f, box in zip(frames, grown, strict=True)]
    spread = np.array([-1.0, -1.0, 1.0, 1.0])
    for k in range(1, hold + 1):
        if frames[0] - k >= 0:
            out.append((int(frames[0]) - k, grown[0] - k * first_step + k * np.abs(first_step) * spread))
        if frames[-1] + k <= last:
            out.append((int(frames[-1]) + k, grown[-1] + k * last_step + k * np.abs(last_step) * spread))
    return out
