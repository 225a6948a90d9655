"""What the engine needs from a face detector.

``FaceDetector`` is a protocol: another ONNX model is added beside CenterFace by implementing it. The video
path feeds the detector frames the decoder has already scaled to ``input_shape`` (scaling inside FFmpeg's
swscale, in the decode thread, is much cheaper than decoding at full size and resizing later), so the
detector takes pre-sized RGB arrays plus the size of the source frame the boxes map back to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from models.detections import Detections


@runtime_checkable
class FaceDetector(Protocol):
    """What the engine needs from a face model; add another ONNX model by implementing this."""

    name: str
    sha256: str

    def input_shape(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) the source frame is scaled to before inference."""
        ...

    def detect_batch(
        self, images: Sequence[np.ndarray], source_size: tuple[int, int], threshold: float
    ) -> list[Detections]:
        """Detect on RGB uint8 images of ``input_shape``; boxes come back in source pixels."""
        ...

    def detect(self, image_bgr: np.ndarray, threshold: float = 0.5) -> Detections:
        """Detect on one BGR still image of any size."""
        ...
