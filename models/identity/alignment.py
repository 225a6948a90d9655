"""Landmark alignment: each face warped onto ArcFace's 112×112 five-point template.

Face-recognition models are trained on faces placed this way (eyes, nose tip and mouth corners at fixed
points), so an embedding is only as good as the alignment. A similarity transform (rotation, uniform
scale, shift) keeps the face's proportions; it is fitted by least squares to the five points.
"""

from __future__ import annotations

import numpy as np

ALIGNED_SIZE = 112
# ArcFace / InsightFace's template for 112x112 crops: left eye, right eye, nose tip, mouth left, mouth right
# (the order CenterFace gives its landmarks in), in pixels.
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    np.float64,
)


def similarity_transform(points: np.ndarray, target: np.ndarray = ARCFACE_TEMPLATE) -> np.ndarray:
    """The 2x3 similarity transform mapping ``points`` (5, 2) onto ``target`` in least squares (Umeyama)."""
    src = np.asarray(points, np.float64)
    dst = np.asarray(target, np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rotation = u @ sign @ vt
    variance = float((src_c**2).sum() / len(src))
    scale = float(np.trace(np.diag(singular) @ sign)) / variance if variance > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def align_faces(image_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Aligned crops (N, 112, 112, 3) uint8 of the faces whose landmarks (N, 5, 2) are in image pixels."""
    import cv2

    image_rgb = np.ascontiguousarray(image_rgb)  # a channel-flipped view (BGR[..., ::-1]) is fine too
    crops = np.empty((len(landmarks), ALIGNED_SIZE, ALIGNED_SIZE, 3), np.uint8)
    for i, points in enumerate(np.asarray(landmarks, np.float64)):
        crops[i] = cv2.warpAffine(image_rgb, similarity_transform(points), (ALIGNED_SIZE, ALIGNED_SIZE),
                                  flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    return crops
