"""Face detectors: the ``FaceDetector`` protocol and CenterFace, its ONNX implementation."""

from models.detector.base import FaceDetector
from models.detector.centerface import CenterFaceDetector
from models.runtime import available_cores

__all__ = ["CenterFaceDetector", "FaceDetector", "available_cores"]
