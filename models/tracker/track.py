"""Track: one face's state while the tracker follows it, and the sightings kept for the output."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.tracker.kalman import BoxKalman


@dataclass(eq=False)
class Track:
    """A tentative, tracked or lost face: its filter, how it has been matched, and every sighting."""

    key: int
    kalman: BoxKalman
    last_frame: int
    last_box: np.ndarray
    hits: int = 1
    confirmed: bool = False
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    marks: list[np.ndarray] = field(default_factory=list)
    descriptors: list[np.ndarray] = field(default_factory=list)

    def observe(self, frame: int, box: np.ndarray, score: float, landmarks: np.ndarray, streak: bool) -> None:
        """Record a sighting; ``streak`` says it follows one at the previous detector run."""
        self.kalman.update(box)
        self.hits = self.hits + 1 if streak else 1
        self.record(frame, box, score, landmarks)

    def record(self, frame: int, box: np.ndarray, score: float, landmarks: np.ndarray) -> None:
        """Keep a sighting for the output (without touching the filter)."""
        self.last_frame, self.last_box = frame, box
        self.frames.append(frame)
        self.boxes.append(box)
        self.scores.append(score)
        self.marks.append(landmarks)
