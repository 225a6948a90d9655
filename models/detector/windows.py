"""Windows: parts of a frame the detector looks at closer, and their detections back in frame pixels.

A window is a rectangle of the full-resolution frame and the scale it is shown to the detector at. Tiles
cover the frame in overlapping windows (the overlap at least the largest face a tile must hold whole);
regions are windows around one face each. Detections come back from every window in frame pixels, those a
window's inner edge cut in half are dropped (the window beside it holds that face whole), and all passes
are merged by NMS, so the tracker sees one box per face whatever looked at it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.detections import Detections

MERGE_IOU = 0.3  # boxes overlapping this much are one face (the detector's own NMS uses the same)
MERGE_INSIDE = 0.7  # ... and so is a box lying this much inside a more confident one (a part of a face)
EDGE_PX = 2.0  # a box this close to a window's inner edge was cut by it
STRIDE = 32  # tile sides are rounded up to this: the detector pads its input to it anyway


@dataclass(frozen=True)
class Window:
    """``x0, y0, x1, y1`` in frame pixels, shown to the detector at ``scale`` (input px per frame px)."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the window at its scale: what the detector is given."""
        return (
            max(1, round((self.x1 - self.x0) * self.scale)),
            max(1, round((self.y1 - self.y0) * self.scale)),
        )


def tile_grid(width: int, height: int, scale: float, tile: int, overlap: int) -> list[Window]:
    """Equal windows of about ``tile`` input px covering a ``width`` x ``height`` frame at ``scale``.

    Neighbours overlap by at least ``overlap`` input px, so a face up to that size lies whole in one of
    them. Each axis gets as few tiles as cover it, stretched evenly (no thin sliver at the frame's edge)
    and rounded up to the detector's stride of 32 px, so the tiles cost little more than the frame.
    """
    cols, tile_w = _split(width * scale, tile, overlap)
    rows, tile_h = _split(height * scale, tile, overlap)
    side_w, side_h = min(width, tile_w / scale), min(height, tile_h / scale)  # frame px
    return [
        Window(x, y, min(width, round(x + side_w)), min(height, round(y + side_h)), scale)
        for y in _starts(height, side_h, rows)
        for x in _starts(width, side_w, cols)
    ]


def _split(length: float, tile: int, overlap: int) -> tuple[int, int]:
    """(count, side in input px) of the tiles covering ``length`` input px."""
    if length <= tile:
        return 1, math.ceil(length)
    count = math.ceil((length - overlap) / (tile - overlap))
    side = math.ceil((length + (count - 1) * overlap) / count / STRIDE) * STRIDE
    return count, side


def _starts(length: int, side: float, count: int) -> list[int]:
    if count == 1:
        return [0]
    step = (length - side) / (count - 1)
    return [round(i * step) for i in range(count)]


def region_window(
    box: np.ndarray, width: int, height: int, size: int, face_px: float, max_scale: float
) -> Window:
    """A square window of ``size`` input px around ``box`` (xyxy frame px) showing the face ``face_px`` high.

    CenterFace is surest of faces 30-40 px high in its input: a 16 px face shown twice as large scores
    0.7-0.8 where it scored 0.1-0.4 at its own size, so a small face is enlarged (up to ``max_scale``)
    and a larger one shrunk; either way the window holds the face with room around it. It is moved, not
    shrunk, to stay inside the frame.
    """
    face = float(max(box[2] - box[0], box[3] - box[1], 1.0))
    scale = min(max_scale, face_px / face)
    side = min(size / scale, float(max(width, height)))
    cx, cy = float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2
    x0 = round(min(max(cx - side / 2, 0.0), max(0.0, width - side)))
    y0 = round(min(max(cy - side / 2, 0.0), max(0.0, height - side)))
    x1, y1 = min(width, round(x0 + side)), min(height, round(y0 + side))
    return Window(x0, y0, x1, y1, size / side)


def crop(image: np.ndarray, image_scale: float, window: Window, size: tuple[int, int]) -> np.ndarray:
    """The window's pixels from ``image`` (``image_scale`` image px per frame px), at ``size`` (w, h),
    resized to the window's scale (enlarged with bilinear interpolation, shrunk by area averaging).

    ``size`` is at least the window's input size; the rest is zero padding at the right and bottom, so
    windows of one kind batch into one inference call.
    """
    import cv2

    x0, y0 = round(window.x0 * image_scale), round(window.y0 * image_scale)
    x1, y1 = round(window.x1 * image_scale), round(window.y1 * image_scale)
    part = image[y0:y1, x0:x1]
    shown = (min(size[0], window.input_size[0]), min(size[1], window.input_size[1]))  # rounding aside
    if (part.shape[1], part.shape[0]) != shown:
        enlarge = shown[0] > part.shape[1]
        part = cv2.resize(part, shown, interpolation=cv2.INTER_LINEAR if enlarge else cv2.INTER_AREA)
    if shown == size:
        return np.ascontiguousarray(part)
    out = np.zeros((size[1], size[0], 3), np.uint8)
    out[: shown[1], : shown[0]] = part
    return out


def to_frame(detections: Detections, window: Window, width: int, height: int) -> Detections:
    """Detections made on a window (in window input px) moved to frame px; boxes cut by an inner edge
    of the window (one the frame's edge does not explain) are dropped."""
    if len(detections) == 0:
        return detections
    offset = np.array([window.x0, window.y0], np.float32)
    xyxy = detections.xyxy / window.scale + np.concatenate([offset, offset])
    marks = detections.landmarks / window.scale + offset
    edge = EDGE_PX / window.scale
    cut = np.zeros(len(xyxy), bool)
    if window.x0 > 0:
        cut |= xyxy[:, 0] <= window.x0 + edge
    if window.y0 > 0:
        cut |= xyxy[:, 1] <= window.y0 + edge
    if window.x1 < width:
        cut |= xyxy[:, 2] >= window.x1 - edge
    if window.y1 < height:
        cut |= xyxy[:, 3] >= window.y1 - edge
    return detections.replace(xyxy=xyxy, landmarks=marks)[~cut]


def merge(parts: Sequence[Detections]) -> Detections:
    """One box per face from several passes: greedy NMS in frame px, most confident first.

    A box is dropped when it overlaps a kept one by ``MERGE_IOU`` or lies ``MERGE_INSIDE`` within it
    (a coarse pass's loose box around a face a fine pass found exactly, or half a face at a tile edge).
    """
    every = Detections.concatenate([p for p in parts if len(p)])
    if len(every) <= 1:
        return every
    order = np.argsort(-every.confidence, kind="stable")
    boxes = every.xyxy[order].astype(np.float64)
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    keep: list[int] = []
    alive = np.ones(len(boxes), bool)
    for i in range(len(boxes)):
        if not alive[i]:
            continue
        keep.append(i)
        tl = np.maximum(boxes[i, :2], boxes[:, :2])
        br = np.minimum(boxes[i, 2:], boxes[:, 2:])
        inter = np.prod(np.clip(br - tl, 0, None), axis=1)
        iou = inter / np.maximum(areas[i] + areas - inter, 1e-9)
        inside = inter / np.maximum(np.minimum(areas[i], areas), 1e-9)
        alive &= ~((iou >= MERGE_IOU) | (inside >= MERGE_INSIDE))
    return every[np.sort(order[keep])]
