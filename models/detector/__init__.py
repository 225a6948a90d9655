"""Face detectors: the ``FaceDetector`` protocol and CenterFace, its ONNX implementation."""

from models.detector.base import FaceDetector, available_cores
from models.detector.centerface import CenterFaceDetector

__all__ = ["CenterFaceDetector", "FaceDetector", "available_cores"]
