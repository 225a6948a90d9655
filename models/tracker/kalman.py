"""A constant-velocity Kalman filter over face boxes (centre x, centre y, width, height).

Noise scales with the box size (as in SORT/ByteTrack/BoT-SORT), so a 20 px face and a 400 px face are
equally easy to keep: what matters is motion relative to the face, not in pixels. Width and height are
filtered separately (not aspect + height) because face boxes change aspect very little and BoT-SORT
found xywh tracks box edges better.
"""

from __future__ import annotations

import numpy as np

_STD_POSITION = 1.0 / 20
_STD_VELOCITY = 1.0 / 160

_F = np.eye(8)
_F[:4, 4:] = np.eye(4)
_H = np.eye(4, 8)


def xyxy_to_cxcywh(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1]])


def cxcywh_to_xyxy(state: np.ndarray) -> np.ndarray:
    cx, cy, w, h = state[:4]
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


class BoxKalman:
    """Filter for one track; ``mean[:4]`` is the current (cx, cy, w, h) estimate."""

    def __init__(self, box_xyxy: np.ndarray):
        measurement = xyxy_to_cxcywh(np.asarray(box_xyxy, np.float64))
        self.mean = np.concatenate([measurement, np.zeros(4)])
        w, h = measurement[2], measurement[3]
        std = np.array([2 * _STD_POSITION * w, 2 * _STD_POSITION * h] * 2 + [10 * _STD_VELOCITY * w,
                       10 * _STD_VELOCITY * h] * 2)  # fmt: skip
        self.covariance = np.diag(std**2)

    def predict(self) -> None:
        w, h = self.mean[2], self.mean[3]
        position, velocity = [_STD_POSITION * w, _STD_POSITION * h], [_STD_VELOCITY * w, _STD_VELOCITY * h]
        std = np.array(position * 2 + velocity * 2)
        self.mean = _F @ self.mean
        self.covariance = _F @ self.covariance @ _F.T + np.diag(std**2)
        # A box cannot shrink below a pixel; runaway negative size velocity would make it vanish.
        self.mean[2:4] = np.maximum(self.mean[2:4], 1.0)

    def update(self, box_xyxy: np.ndarray) -> None:
        measurement = xyxy_to_cxcywh(np.asarray(box_xyxy, np.float64))
        w, h = self.mean[2], self.mean[3]
        noise = np.diag(np.array([_STD_POSITION * w, _STD_POSITION * h] * 2) ** 2)
        projected_cov = _H @ self.covariance @ _H.T + noise
        gain = np.linalg.solve(projected_cov, _H @ self.covariance).T
        self.mean = self.mean + gain @ (measurement - _H @ self.mean)
        self.covariance = self.covariance - gain @ projected_cov @ gain.T

    @property
    def xyxy(self) -> np.ndarray:
        return cxcywh_to_xyxy(self.mean)
