"""Detections: the one columnar type of face boxes, from the detector through the tracker to the lake.

Like ``supervision.Detections`` it is a set of parallel arrays, so filtering, scaling, matching and moving
rows between frames are array operations rather than loops over Python objects. A detector fills the
boxes, scores and landmarks of one image; the tracker adds which frame each box belongs to, the track it
was given, and whether the detector really saw it there (``observed``) or the tracker filled it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

UNTRACKED = -1  # track_id of a box no tracker has claimed (a detector's raw output)


@dataclass(frozen=True, eq=False, init=False)
class Detections:
    """Face boxes in pixel coordinates, one row per box.

    ``xyxy`` (N, 4) float32 x1, y1, x2, y2; ``confidence`` (N,) float32 in [0, 1]; ``landmarks`` (N, 5, 2)
    float32 eyes, nose and mouth corners as (x, y); ``frame_index`` (N,) int64; ``track_id`` (N,) int64,
    ``UNTRACKED`` until a tracker assigns one; ``observed`` (N,) bool, False where the box was
    interpolated or predicted rather than detected. Rows from a tracker are sorted by
    (frame_index, track_id).
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    landmarks: np.ndarray
    frame_index: np.ndarray
    track_id: np.ndarray
    observed: np.ndarray

    def __init__(
        self,
        xyxy: Any,
        confidence: Any,
        landmarks: Any | None = None,
        *,
        frame_index: Any | None = None,
        track_id: Any | None = None,
        observed: Any | None = None,
    ) -> None:
        boxes = np.asarray(xyxy, np.float32).reshape(-1, 4)
        n = len(boxes)
        columns = {
            "xyxy": boxes,
            "confidence": np.asarray(confidence, np.float32).reshape(n),
            "landmarks": _column(landmarks, (n, 5, 2), np.float32, 0.0),
            "frame_index": _column(frame_index, (n,), np.int64, 0),
            "track_id": _column(track_id, (n,), np.int64, UNTRACKED),
            "observed": _column(observed, (n,), np.bool_, True),
        }
        for name, values in columns.items():
            object.__setattr__(self, name, values)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))

    @classmethod
    def concatenate(cls, parts: Sequence[Detections]) -> Detections:
        """All rows of ``parts``, in order."""
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.landmarks for p in parts]),
            frame_index=np.concatenate([p.frame_index for p in parts]),
            track_id=np.concatenate([p.track_id for p in parts]),
            observed=np.concatenate([p.observed for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.confidence)

    def __getitem__(self, index: np.ndarray | slice) -> Detections:
        """The rows selected by a boolean mask, an index array or a slice."""
        return self.replace(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            landmarks=self.landmarks[index],
            frame_index=self.frame_index[index],
            track_id=self.track_id[index],
            observed=self.observed[index],
        )

    def replace(self, **columns: Any) -> Detections:
        """A copy with some columns replaced (same length, or a consistent new row set)."""
        values = {name: getattr(self, name) for name in _COLUMNS} | columns
        xyxy, confidence, landmarks = values.pop("xyxy"), values.pop("confidence"), values.pop("landmarks")
        return Detections(xyxy, confidence, landmarks, **values)

    def sorted(self) -> Detections:
        """Rows ordered by (frame_index, track_id), the order every consumer of tracks expects."""
        return self[np.lexsort((self.track_id, self.frame_index))]

    @property
    def widths(self) -> np.ndarray:
        widths: np.ndarray = self.xyxy[:, 2] - self.xyxy[:, 0]
        return widths

    @property
    def heights(self) -> np.ndarray:
        heights: np.ndarray = self.xyxy[:, 3] - self.xyxy[:, 1]
        return heights

    @property
    def track_count(self) -> int:
        """Distinct tracks among the rows (untracked boxes not counted)."""
        return len(np.unique(self.track_id[self.track_id != UNTRACKED]))


_COLUMNS = ("xyxy", "confidence", "landmarks", "frame_index", "track_id", "observed")


def _column(values: Any | None, shape: tuple[int, ...], dtype: Any, fill: object) -> np.ndarray:
    if values is None:
        return np.full(shape, fill, dtype)
    return np.asarray(values, dtype).reshape(shape)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of xyxy boxes, (len(a), len(b))."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    iou: np.ndarray = inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)
    return iou
