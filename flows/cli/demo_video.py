"""The built-in demo video: real faces from images scikit-image ships, moving, with an occluder.

A fresh machine has no sample videos and the tool must not download any, so the demo composes one:
Eileen Collins' portrait (``skimage.data.astronaut``) and three Labeled Faces in the Wild crops
(``skimage.data.lfw_subset``) drift across the frame, and a bar passes in front of one of them so the
tracker has to keep its id through an occlusion.
"""

from __future__ import annotations

import math

import numpy as np

DEMO_SIZE = (1280, 720)
DEMO_FPS = 25
DEMO_SECONDS = 6
LFW_FACES = (3, 24, 33)  # clear frontal faces in lfw_subset


def demo_sprites() -> list[np.ndarray]:
    """BGR face images: the astronaut's head and shoulders, and three upscaled LFW faces with margins."""
    import cv2
    from skimage import data

    sprites = [np.ascontiguousarray(data.astronaut()[0:260, 110:330, ::-1])]
    lfw = data.lfw_subset()
    for index in LFW_FACES:
        face = cv2.resize((lfw[index] * 255).astype(np.uint8), (140, 140), interpolation=cv2.INTER_CUBIC)
        tile = np.full((200, 180), 128, np.uint8)
        tile[30:170, 20:160] = face
        sprites.append(cv2.cvtColor(tile, cv2.COLOR_GRAY2BGR))
    return sprites


def demo_frame(index: int, sprites: list[np.ndarray]) -> np.ndarray:
    width, height = DEMO_SIZE
    t = index / DEMO_FPS
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = np.linspace(50, 170, width, dtype=np.uint8)[None, :, None]
    frame[:, :, 0] = np.linspace(90, 140, height, dtype=np.uint8)[:, None]
    anchors = [(80, 240), (520, 60), (820, 420), (1040, 120)]
    for k, (sprite, (x0, y0)) in enumerate(zip(sprites, anchors, strict=True)):
        x = int(x0 + 60 * math.sin(0.7 * t + k) + 25 * t)
        y = int(y0 + 30 * math.cos(0.9 * t + 2 * k))
        _paste(frame, sprite, x, y)
    bar_x = int(-200 + 260 * t)  # an occluder sweeping left to right across the astronaut
    frame[:, max(0, bar_x) : max(0, bar_x + 90)] = (40, 40, 40)
    return frame


def _paste(frame: np.ndarray, sprite: np.ndarray, x: int, y: int) -> None:
    h, w = sprite.shape[:2]
    fh, fw = frame.shape[:2]
    x1, y1, x2, y2 = max(0, x), max(0, y), min(fw, x + w), min(fh, y + h)
    if x2 > x1 and y2 > y1:
        frame[y1:y2, x1:x2] = sprite[y1 - y : y2 - y, x1 - x : x2 - x]


def write_demo_video(
    path: str, size: tuple[int, int] = DEMO_SIZE, frames: int = DEMO_FPS * DEMO_SECONDS
) -> str:
    """Encode the demo as H.264 (written under a temporary name, then renamed); another ``size`` scales
    the picture, another frame count cuts or extends it (the benchmarks make small clips this way)."""
    import cv2

    from tasks.video.encode import write_video

    sprites = demo_sprites()

    def frame(index: int) -> np.ndarray:
        picture = demo_frame(index, sprites)
        return picture if size == DEMO_SIZE else cv2.resize(picture, size, interpolation=cv2.INTER_AREA)

    return write_video(path, (frame(index) for index in range(frames)), DEMO_FPS)
