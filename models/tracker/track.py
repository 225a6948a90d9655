"""Track: one face's state while the tracker follows it, and the sightings kept for the output."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.tracker.kalman import BoxKalman


@dataclass(eq=False)
class Track:
    """A tentative, tracked or lost face: its filter, how it has been matched, and every sighting.

    ``embeddings`` holds the face's identity embeddings that passed the quality gate (unit vectors, in
    memory only: they are biometric data and never leave the process).
    """

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
    embeddings: list[np.ndarray] = field(default_factory=list)
    embedded_at: int = -1  # frame of the last embedding tried (-1: never)
    resumed: bool = False  # confident again after a gap longer than a flicker: worth a fresh look
    confident_at: int = -1  # frame of the latest confident sighting (low-score ones only extend a track)
    close: bool = False  # touching another face at the latest look (where ids can swap)

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

    def pop_sighting(self) -> tuple[int, np.ndarray, float, np.ndarray]:
        """Take the latest sighting back (it was someone else's); the one before becomes the last."""
        sighting = self.frames.pop(), self.boxes.pop(), self.scores.pop(), self.marks.pop()
        if self.frames:
            self.last_frame, self.last_box = self.frames[-1], self.boxes[-1]
        return sighting

    @property
    def span(self) -> tuple[int, int]:
        """First and last frame seen."""
        return self.frames[0], self.frames[-1]
