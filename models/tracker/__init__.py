"""The tracker: a stable id per face across frames (Kalman filter, matching cascade, re-identification)."""

from models.tracker.tracker import FaceTracker, TrackerConfig

__all__ = ["FaceTracker", "TrackerConfig"]
