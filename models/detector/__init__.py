"""Face detectors: the ``FaceDetector`` protocol, CenterFace (its ONNX implementation), and the schedule
that spends a coarse pass and fine windows on each frame."""

from models.detector.base import FaceDetector
from models.detector.centerface import CenterFaceDetector
from models.detector.schedule import DetectorSchedule, ScheduleConfig, ScheduledFrame
from models.runtime import available_cores

__all__ = [
    "CenterFaceDetector",
    "DetectorSchedule",
    "FaceDetector",
    "ScheduleConfig",
    "ScheduledFrame",
    "available_cores",
]
