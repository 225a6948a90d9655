"""What the engine needs from a face detector, and how an ONNX model gets the cores and GPU it may use.

``FaceDetector`` is a protocol: another ONNX model is added beside CenterFace by implementing it. The video
path feeds the detector frames the decoder has already scaled to ``input_shape`` (scaling inside FFmpeg's
swscale, in the decode thread, is much cheaper than decoding at full size and resizing later), so the
detector takes pre-sized RGB arrays plus the size of the source frame the boxes map back to.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

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


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def onnx_session(model: bytes, threads: int | None = None, providers: list[str] | None = None) -> Any:
    """An onnxruntime session on the cores this process may use, GPU providers first when installed."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    chosen = providers or preferred_providers(ort.get_available_providers())
    return ort.InferenceSession(model, sess_options=options, providers=chosen)


def preferred_providers(available: list[str]) -> list[str]:
    """GPU providers first when installed; the CPU provider always last as the fallback."""
    # TensorRT is left out on purpose: it builds an engine per input shape, minutes for each new size.
    preferred = ("CUDAExecutionProvider", "ROCMExecutionProvider", "DmlExecutionProvider",
                 "CoreMLExecutionProvider")  # fmt: skip
    chosen = [p for p in preferred if p in available]
    return [*chosen, "CPUExecutionProvider"]
