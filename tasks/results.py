"""The in-memory result of detecting and tracking faces in one video.

It carries more than the JSON contract allows (confidence, landmarks, settings, timings) so the lake can
store them; ``tasks.fragments`` keeps the JSON itself strictly to the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tasks.probe import VideoInfo
from tasks.settings import DetectorSettings

__all__ = ["DetectorSettings", "FaceTracks", "VideoResult"]


@dataclass
class FaceTracks:
    """Every face event of a video, columnar and sorted by (frame_index, face_id).

    ``frame_index`` is the slot on the video's nominal frame grid (equal to the decoded frame index for
    constant-frame-rate video), so event time = frame_index / frame_rate. Boxes are in stored-frame pixels.
    """

    frame_index: np.ndarray  # (N,) int64
    face_id: np.ndarray  # (N,) int64, 0..K-1 in order of first appearance
    xyxy: np.ndarray  # (N, 4) float32
    confidence: np.ndarray  # (N,) float32
    landmarks: np.ndarray  # (N, 5, 2) float32
    n_frames: int  # slots on the grid = events in the JSON

    @classmethod
    def empty(cls, n_frames: int) -> FaceTracks:
        return cls(
            frame_index=np.zeros(0, np.int64),
            face_id=np.zeros(0, np.int64),
            xyxy=np.zeros((0, 4), np.float32),
            confidence=np.zeros(0, np.float32),
            landmarks=np.zeros((0, 5, 2), np.float32),
            n_frames=n_frames,
        )

    def __len__(self) -> int:
        return len(self.frame_index)

    @property
    def faces_detected(self) -> int:
        return len(np.unique(self.face_id))


@dataclass
class VideoResult:
    """One video, processed: what it is, how it was processed, and what was found."""

    info: VideoInfo
    settings: DetectorSettings
    tracks: FaceTracks
    frames_decoded: int = 0
    elapsed_seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def frames_per_second(self) -> float:
        return self.frames_decoded / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0
