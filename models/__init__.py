"""facetrack's models: the ONNX face detector, the face embedder and the tracker, on numpy and onnxruntime.

Nothing here imports the rest of facetrack, so the detector and tracker can be used on their own::

    from models import CenterFaceDetector, FaceTracker

    detector = CenterFaceDetector(input_size=480)
    tracker = FaceTracker(frame_rate=25.0, embedder=FaceEmbedder())  # embedder: who is who (optional)
    for index, frame_bgr in enumerate(frames):
        tracker.update(index, detector.detect(frame_bgr), image=frame_bgr[:, :, ::-1])
    tracks = tracker.finish(len(frames))  # Detections with frame_index, track_id and observed
"""

from models.detections import UNTRACKED, Detections
from models.detector import CenterFaceDetector, DetectorSchedule, FaceDetector, ScheduleConfig, ScheduledFrame
from models.errors import ModelFileError
from models.identity import FaceEmbedder, FaceEmbeddings, QualityGate
from models.tracker import FaceTracker, TrackerConfig

__all__ = [
    "UNTRACKED",
    "CenterFaceDetector",
    "Detections",
    "DetectorSchedule",
    "FaceDetector",
    "FaceEmbedder",
    "FaceEmbeddings",
    "FaceTracker",
    "ModelFileError",
    "QualityGate",
    "ScheduleConfig",
    "ScheduledFrame",
    "TrackerConfig",
]
