"""Appearance descriptors for faces: what lets a face that left the frame get its old id back.

No face-recognition model ships with the dependencies, so this is a classic, cheap descriptor:
uniform local binary patterns (texture, robust to lighting) on a landmark-aligned grey face, plus a
hue/saturation histogram of the face and its surroundings (skin, hair, headwear). It separates the people
*within one video* well enough to re-link tracklets; it is not meant to recognize people across videos.
"""

from __future__ import annotations

import numpy as np

ALIGNED_SIZE = 48
# ArcFace's 5-point template (112x112), scaled to ALIGNED_SIZE.
_TEMPLATE = (
    np.array(
        [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
        np.float32,
    )
    * ALIGNED_SIZE
    / 112.0
)
_GRID = 4
_TEXTURE_BINS = _GRID * _GRID * 59
# Colour histograms of different people in one scene are all fairly alike (same light), so their
# differences are small numbers that count for more: measured on the dev clips, distance
# (1 - texture cos) + 3 (1 - colour cos) put different people at >= 0.19 and the same person mostly < 0.09.
_COLOR_DISTANCE_WEIGHT = 3.0
MIN_FACE_PIXELS = 16  # below this the crop holds too little to describe


def _uniform_lut() -> np.ndarray:
    """Map 8-bit LBP codes to 59 labels: 58 uniform patterns (≤ 2 transitions) and one for the rest."""
    lut = np.full(256, 58, np.int64)
    label = 0
    for code in range(256):
        bits = [(code >> i) & 1 for i in range(8)]
        if sum(bits[i] != bits[(i + 1) % 8] for i in range(8)) <= 2:
            lut[code] = label
            label += 1
    return lut


_LUT = _uniform_lut()


def _lbp_histograms(gray: np.ndarray) -> np.ndarray:
    g = gray.astype(np.int16)
    center = g[1:-1, 1:-1]
    offsets = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]
    codes = np.zeros(center.shape, np.int64)
    for bit, (dy, dx) in enumerate(offsets):
        codes |= (g[dy : dy + center.shape[0], dx : dx + center.shape[1]] >= center).astype(np.int64) << bit
    labels = _LUT[codes]
    cell = labels.shape[0] // _GRID
    hist = np.zeros((_GRID, _GRID, 59), np.float32)
    for i in range(_GRID):
        for j in range(_GRID):
            block = labels[i * cell : (i + 1) * cell, j * cell : (j + 1) * cell]
            hist[i, j] = np.bincount(block.ravel(), minlength=59)
    return hist.ravel()


def _color_histogram(image_rgb: np.ndarray, box: np.ndarray) -> np.ndarray:
    import cv2

    h, w = image_rgb.shape[:2]
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    # A little wider and taller than the face box: hair and headwear are among the best cues.
    x1, x2 = int(max(0, x1 - 0.15 * bw)), int(min(w, x2 + 0.15 * bw))
    y1, y2 = int(max(0, y1 - 0.25 * bh)), int(min(h, y2 + 0.1 * bh))
    if x2 - x1 < 4 or y2 - y1 < 4:
        return np.zeros(48, np.float32)
    crop = cv2.resize(image_rgb[y1:y2, x1:x2], (24, 24), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [12, 4], [0, 180, 0, 256])
    return np.asarray(hist, np.float32).ravel()


def _unit(vector: np.ndarray) -> np.ndarray:
    # Hellinger: histograms compare better by their square roots.
    root: np.ndarray = np.sqrt(np.maximum(vector, 0))
    norm = float(np.linalg.norm(root))
    return root / norm if norm > 0 else root


def face_descriptor(image_rgb: np.ndarray, box: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """A unit vector describing one face, or None when the face is too small to describe.

    ``box`` (x1, y1, x2, y2) and ``landmarks`` (5, 2) are in ``image_rgb``'s pixels.
    """
    import cv2

    if min(box[2] - box[0], box[3] - box[1]) < MIN_FACE_PIXELS:
        return None
    matrix, _ = cv2.estimateAffinePartial2D(landmarks.astype(np.float32), _TEMPLATE)
    if matrix is None:
        return None
    gray = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY)
    aligned = cv2.warpAffine(gray, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    texture = _unit(_lbp_histograms(aligned))
    color = _unit(_color_histogram(image_rgb, box))
    return np.concatenate([texture, color]).astype(np.float32)


def mean_descriptor(descriptors: list[np.ndarray]) -> np.ndarray:
    """One descriptor for many sightings: the mean of each block, re-normalized."""
    mean = np.mean(np.asarray(descriptors), axis=0)
    return np.concatenate([_unit_length(mean[:_TEXTURE_BINS]), _unit_length(mean[_TEXTURE_BINS:])])


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """0 for identical appearance; different people in one video measure about 0.2 and more."""
    texture = float(a[:_TEXTURE_BINS] @ b[:_TEXTURE_BINS])
    color = float(a[_TEXTURE_BINS:] @ b[_TEXTURE_BINS:])
    return (1.0 - texture) + _COLOR_DISTANCE_WEIGHT * (1.0 - color)


def _unit_length(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
