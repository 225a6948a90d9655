"""The in-memory result of detecting and tracking faces in one video.

It carries more than the JSON contract allows (confidence, landmarks, whether the detector saw each box,
settings, timings) so the lake can store them; ``tasks.document`` keeps the JSON itself strictly to the
contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models import Detections
from tasks.settings import DetectorSettings
from tasks.video.decode import TimestampRepair, describe_repairs
from tasks.video.probe import VideoInfo
from tasks.video.shots import Shot


@dataclass
class VideoResult:
    """One video, processed: what it is, how it was processed, and every face event found.

    ``tracks`` holds one row per face per frame, sorted by (frame_index, track_id): ``frame_index`` is the
    slot on the video's nominal frame grid (the decoded frame index for constant-frame-rate video), so an
    event's time is frame_index / frame_rate; boxes and landmarks are in stored-frame pixels; track ids
    are the face ids 0..K-1 in order of first appearance. ``grid_frames`` is the number of slots on the
    grid, which is the number of events in the JSON. ``shots`` tile the same grid. ``timestamp_repairs``
    says where the file's timestamps jumped and how each frame was still given its own slot
    (``tasks.video.decode.FrameClock``).
    """

    info: VideoInfo
    settings: DetectorSettings
    tracks: Detections
    grid_frames: int
    frames_decoded: int = 0
    elapsed_seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    shots: list[Shot] = field(default_factory=list)  # the video's shots, cut where the picture cuts
    timestamp_repairs: list[TimestampRepair] = field(default_factory=list)

    @property
    def faces_detected(self) -> int:
        """Distinct face ids: the JSON's ``facesDetected``."""
        return self.tracks.track_count

    @property
    def frames_per_second(self) -> float:
        return self.frames_decoded / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def notes(self) -> list[str]:
        """What a user should hear about how the video was read, for the summary line: timestamps that
        had to be repaired (no frame is dropped for them) and a detector input capped to bound memory."""
        found = []
        if self.timestamp_repairs:
            found.append(f"timestamps repaired: {describe_repairs(self.timestamp_repairs)}")
        capped = self.stats.get("input_capped")
        if capped:
            found.append(str(capped))
        return found
