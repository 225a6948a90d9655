"""shots: hard cuts found on the decoder's thumbnails, and the shots between them.

At a cut the picture changes all at once, so a face in the new shot that happens to sit where a face of
the old shot was is *not* the same face; the tracker must not carry an id across by position. A cut is a
frame whose colour differs from the previous one far more than frames have been differing lately
(PySceneDetect's adaptive content detector, written here in a few lines): the mean absolute change of
hue, saturation and brightness between consecutive thumbnails, against the mean of the last second's.
The adaptive part keeps fast camera motion and busy scenes from cutting, the absolute floor keeps near
still scenes from cutting on noise, and a minimum shot length keeps a flash from cutting twice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ShotCutConfig:
    min_change: float = 25.0  # mean HSV change (0..255 scale) below which no frame is a cut
    ratio: float = 3.0  # a cut changes this many times more than the recent frames did ...
    spike: float = 2.0  # ... and this many times more than the next frame does (motion keeps changing)
    window_seconds: float = 1.0  # "recent": this long before the frame
    min_shot_seconds: float = 0.4  # no cut this soon after the previous one (flashes, fades' edges)


@dataclass(frozen=True)
class Shot:
    """One shot: frames on the video's grid (first and last inclusive) and its time span in seconds."""

    index: int
    first_frame: int
    last_frame: int
    start_seconds: float
    end_seconds: float


class ShotCutDetector:
    """Feed ``push`` every decoded frame's thumbnail in order; it answers one frame late.

    The answer for frame *k* needs frame *k+1*: a cut is a spike (the next frame changes little again),
    whereas a fast pan or zoom changes a lot on every frame. ``push`` returns whether the *previous* frame
    started a new shot; ``cuts`` lists every cut so far (decode indices of each new shot's first frame).
    """

    def __init__(self, frame_rate: float, config: ShotCutConfig | None = None):
        self.config = config or ShotCutConfig()
        self._recent: deque[float] = deque(maxlen=max(4, round(self.config.window_seconds * frame_rate)))
        self._min_shot = max(1, round(self.config.min_shot_seconds * frame_rate))
        self._pictures: deque[np.ndarray | None] = deque(maxlen=4)  # HSV thumbnails of frames k-3 .. k
        self._pending: float | None = None  # change into the frame awaiting its answer
        self._frame = -1
        self._last_cut = 0
        self.cuts: list[int] = []

    def push(self, thumbnail: np.ndarray | None) -> bool:
        """Take frame *k*'s thumbnail (``None``: unknown, never a cut); say whether frame *k-1* was a cut."""
        import cv2

        self._frame += 1
        hsv = (
            None if thumbnail is None else cv2.cvtColor(thumbnail, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
        )
        previous = self._pictures[-1] if self._pictures else None
        self._pictures.append(hsv)
        return self._decide(_change(previous, hsv))

    def finish(self) -> bool:
        """Whether the last frame pushed was a cut (nothing follows it)."""
        return self._decide(None)

    def _decide(self, following: float | None) -> bool:
        change, self._pending = self._pending, following
        if change is None:
            return False
        frame = self._frame - 1
        recent = float(np.mean(self._recent)) if self._recent else 0.0
        self._recent.append(change)
        cfg = self.config
        # A flash (one odd frame, then the same picture as before it) changes twice but starts no shot:
        # the frame after it must also differ from the frame before it.
        before_flash = self._pictures[-4] if following is not None and len(self._pictures) == 4 else None
        after = self._pictures[-2] if following is not None else self._pictures[-1]
        returned = _change(before_flash, after)
        cut = (
            change >= cfg.min_change
            and change >= cfg.ratio * recent
            and change >= cfg.spike * (following or 0.0)
            and (returned is None or returned >= cfg.min_change)
            and frame - self._last_cut >= self._min_shot
        )
        if cut:
            self.cuts.append(frame)
            self._last_cut = frame
            self._recent.clear()  # the new shot's own motion sets the next baseline
        return cut


def _change(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    """Mean absolute HSV difference of two thumbnails, None when either is missing."""
    if a is None or b is None or a.shape != b.shape:
        return None
    return float(np.abs(b - a).mean())


def shots_between(cuts: list[int], slots: np.ndarray, grid_frames: int, frame_rate: float) -> list[Shot]:
    """The shots of a video whose decoded frames sit at grid ``slots``, cut at decode indices ``cuts``.

    Shots tile the grid: each runs up to the frame before the next one's first, the last one to the end.
    """
    if len(slots) == 0 or grid_frames <= 0:
        return []
    firsts = sorted({0, *(int(slots[c]) for c in cuts if 0 < c < len(slots))})
    lasts = [*(first - 1 for first in firsts[1:]), grid_frames - 1]
    return [
        Shot(index, first, last, first / frame_rate, (last + 1) / frame_rate)
        for index, (first, last) in enumerate(zip(firsts, lasts, strict=True))
    ]
