"""blur: hide the faces in one frame, the ways Azure Media Redactor offered and a few more.

``low``, ``med`` and ``high`` blur with a Gaussian whose width is a share of the face's size (so a face
is as hidden at 30 px as at 300 px); ``high`` first pixelates to a few blocks, which no detector or
person recognizes, then blurs the blocks' edges away. ``mosaic`` is the blocks without the blur,
``black`` fills the face, and ``box`` only draws the outline (for checking the masks, not for
publishing). ``ellipse`` (the default) hides an ellipse inscribed in the box, which looks less
heavy-handed than a rectangle and still covers a face with its margin.
"""

from __future__ import annotations

import numpy as np

BLURS = ("low", "med", "high", "box", "black", "mosaic")
SHAPES = ("ellipse", "box")
DEFAULT_BLUR = "med"
DEFAULT_SHAPE = "ellipse"


def checked_blur(blur: str, option: str = "--blur") -> str:
    """The blur kind, or one line naming the kinds there are (``option``: what the user set it with, the
    CLI's ``--blur`` or a flow's ``redact`` parameter)."""
    from tasks.errors import BadInputError

    if blur not in BLURS:
        raise BadInputError(f"{option} must be one of {', '.join(BLURS)}; got {blur!r}")
    return blur


# Gaussian sigma as a share of the face's size; blocks across the face for the pixelating kinds.
_SIGMA = {"low": 0.08, "med": 0.16, "high": 0.12}
_BLOCKS = {"high": 5, "mosaic": 8}
OUTLINE = (0, 255, 0)  # BGR, for ``box``


def redact_frame(
    image: np.ndarray, boxes: np.ndarray, blur: str = DEFAULT_BLUR, shape: str = DEFAULT_SHAPE
) -> None:
    """Hide every box (N, 4 xyxy, frame pixels) of ``image`` (H x W x 3 uint8, BGR) in place."""
    import cv2

    height, width = image.shape[:2]
    for box in np.asarray(boxes, np.float64).reshape(-1, 4):
        x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
        x1, y1 = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
        if x1 <= x0 or y1 <= y0:
            continue
        if blur == "box":
            cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), OUTLINE, 2)
            continue
        region = image[y0:y1, x0:x1]
        hidden = _hidden(region, blur)
        if shape == "box":
            region[:] = hidden
        else:
            inside = _ellipse(region.shape[0], region.shape[1], box, x0, y0)
            np.copyto(region, hidden, where=inside[:, :, None])


def _hidden(region: np.ndarray, blur: str) -> np.ndarray:
    import cv2

    h, w = region.shape[:2]
    if blur == "black":
        return np.zeros_like(region)
    out = region
    if blur in _BLOCKS:
        blocks = _BLOCKS[blur]
        small = cv2.resize(region, (max(1, blocks * w // max(w, h)), max(1, blocks * h // max(w, h))),
                           interpolation=cv2.INTER_AREA)  # fmt: skip
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    if blur in _SIGMA:
        out = _gaussian(out, max(1.0, _SIGMA[blur] * max(w, h)))
    return out


def _gaussian(region: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` px, computed at a scale where it is 3 px wide, then enlarged back.

    A face-sized sigma is tens of pixels: blurring at full size costs O(sigma) per pixel (150 ms for
    a crowd's faces in one 1080p frame); the blurred picture has nothing a smaller copy lacks.
    """
    import cv2

    h, w = region.shape[:2]
    scale = min(1.0, 3.0 / sigma)
    if scale >= 1.0:
        return cv2.GaussianBlur(region, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    small = cv2.resize(
        region, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), sigma * scale, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _ellipse(h: int, w: int, box: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """The pixels of the region inside the ellipse inscribed in ``box`` (which may reach outside it)."""
    import cv2

    mask = np.zeros((h, w), np.uint8)
    centre = (round((box[0] + box[2]) / 2 - x0), round((box[1] + box[3]) / 2 - y0))
    axes = (max(1, round((box[2] - box[0]) / 2)), max(1, round((box[3] - box[1]) / 2)))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, thickness=-1)
    inside: np.ndarray = mask.astype(bool)
    return inside
