"""Test media made on the fly: real H.264 files written by PyAV, with real faces from scikit-image.

Nothing generated here is committed; every test makes what it needs under its tmp_path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np


@lru_cache(maxsize=1)
def astronaut_face() -> np.ndarray:
    """Eileen Collins' portrait (public domain, shipped by scikit-image), head and shoulders, BGR."""
    from skimage import data

    rgb = data.astronaut()[0:260, 110:330]
    return np.ascontiguousarray(rgb[:, :, ::-1])


@lru_cache(maxsize=8)
def lfw_face(index: int = 0, size: int = 150) -> np.ndarray:
    """Another person: a small grey LFW crop shipped by scikit-image (25x25), scaled up, as BGR."""
    import cv2
    from skimage import data

    grey = (data.lfw_subset()[index] * 255).astype(np.uint8)
    grey = cv2.resize(grey, (size, size), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def scaled(face: np.ndarray, height: int) -> np.ndarray:
    import cv2

    width = round(face.shape[1] * height / face.shape[0])
    return cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)


def backdrop(width: int, height: int, hue: int) -> np.ndarray:
    """A plain BGR background of one colour family (different hues make a hard cut obvious)."""
    import cv2

    hsv = np.empty((height, width, 3), np.uint8)
    hsv[..., 0] = hue
    hsv[..., 1] = 90
    hsv[..., 2] = np.linspace(70, 190, width, dtype=np.uint8)[None, :]
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def paste(frame: np.ndarray, face: np.ndarray, x: int, y: int) -> np.ndarray:
    """``face`` drawn onto ``frame`` with its top-left corner at (x, y), clipped to the frame."""
    h, w = face.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(frame.shape[1], x + w), min(frame.shape[0], y + h)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = face[y0 - y : y1 - y, x0 - x : x1 - x]
    return frame


def write_frames(path: str | os.PathLike[str], frames: list[np.ndarray], fps: int = 25) -> str:
    """Encode BGR frames as an H.264 file (real FFmpeg, as a user's video would be)."""
    from tasks.video.encode import write_video as encode

    return encode(path, iter(frames), fps, codec="libx264", options={"preset": "ultrafast", "crf": "20"})


def face_frame(
    index: int, width: int = 640, height: int = 360, speed: int = 3, face_height: int = 200
) -> np.ndarray:
    """One BGR frame: a grey gradient background and the portrait sliding left to right."""
    import cv2

    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = np.linspace(60, 160, width, dtype=np.uint8)[None, :, None]
    face = astronaut_face()
    scale = face_height / face.shape[0]
    face = cv2.resize(face, (round(face.shape[1] * scale), face_height), interpolation=cv2.INTER_AREA)
    fh, fw = face.shape[:2]
    x = (20 + index * speed) % max(1, width - fw)
    y = max(0, (height - fh) // 2)
    frame[y : y + fh, x : x + fw] = face[: height - y, : width - x]
    return frame


def write_video(
    path: str | os.PathLike[str],
    frames: int = 30,
    fps: Fraction | int | float = 25,
    width: int = 640,
    height: int = 360,
    codec: str = "libx264",
    faces: bool = True,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    rotation: int = 0,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    picture_size: tuple[int, int] | None = None,
) -> str:
    """Encode a short video of the sliding portrait. ``pts`` (in ``time_base`` units) makes a
    variable-frame-rate file.

    ``transform`` changes each frame before encoding (e.g. turns it sideways for a rotated file): the
    picture is drawn at ``picture_size`` (width, height), and ``width``/``height`` are the stored size.
    """
    from tasks.video.encode import write_video as encode

    draw_w, draw_h = picture_size or (width, height)

    def picture(index: int) -> np.ndarray:
        image = face_frame(index, draw_w, draw_h) if faces else np.full((draw_h, draw_w, 3), 90, np.uint8)
        return transform(image) if transform is not None else image

    images = (picture(i) for i in range(frames))
    options = {"preset": "ultrafast", "crf": "23"}
    return encode(
        path, images, fps, codec=codec, options=options, pts=pts, time_base=time_base, rotation=rotation
    )


def write_frames_with_audio(
    path: str | os.PathLike[str], frames: list[np.ndarray], fps: int = 25, rotation: int = 0
) -> str:
    """BGR frames as H.264 plus an AAC tone as long as the video, interleaved, in one MP4 (a phone clip)."""
    import av

    path = os.fspath(path)
    rate = 16000
    with av.open(path, mode="w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        video.options = {"preset": "veryfast", "crf": "20"}
        if rotation:
            video.set_display_rotation(rotation)
        audio = container.add_stream("aac", rate=rate)
        per_frame = rate // fps
        for index, image in enumerate(frames):
            container.mux(
                video.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24"))
            )
            t = np.arange(index * per_frame, (index + 1) * per_frame)
            tone = (0.2 * np.sin(t * 2 * np.pi * 440 / rate)).astype(np.float32)[None, :]
            samples = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            samples.sample_rate, samples.pts = rate, index * per_frame
            container.mux(audio.encode(samples))
        container.mux(video.encode())
        container.mux(audio.encode())
    return path


def write_audio_only(path: str | os.PathLike[str], seconds: float = 1.0) -> str:
    """An AAC-in-MP4 file with no video stream."""
    import av

    path = os.fspath(path)
    rate = 16000
    with av.open(path, mode="w") as container:
        stream = container.add_stream("aac", rate=rate)
        samples = int(seconds * rate)
        tone = (0.2 * np.sin(np.arange(samples) * 2 * np.pi * 440 / rate)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def truncate_file(src: str | os.PathLike[str], dst: str | os.PathLike[str], keep: float = 0.5) -> str:
    """Copy the first ``keep`` fraction of a file's bytes: a download cut short."""
    with open(src, "rb") as handle:
        data = handle.read()
    with open(dst, "wb") as handle:
        handle.write(data[: max(1, int(len(data) * keep))])
    return os.fspath(dst)


def make_bad_inputs(directory: Path, good: str) -> dict[str, str]:
    """Six inputs that are not videos, by what is wrong with them: each must be refused in one line."""
    text = directory / "notes.mp4"
    text.write_text("this is not a video\n")
    empty = directory / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "text file": str(text),
        "zero bytes": str(empty),
        "truncated mp4": truncate_file(good, directory / "cut.mp4", keep=0.6),
        "audio only": write_audio_only(directory / "voice.m4a"),
        "missing path": str(directory / "nowhere.mp4"),
        "directory": str(directory),
    }


def two_people(frames: int, right_from: int = 0) -> list[np.ndarray]:
    """BGR frames of two people: the astronaut on the left, an LFW face on the right from frame
    ``right_from`` on, both drifting a little (a clip with two ids to tell apart)."""
    left, right = scaled(astronaut_face(), 200), lfw_face(1, 150)
    out = []
    for i in range(frames):
        frame = backdrop(640, 360, 40)
        paste(frame, left, 60 + i, 80)
        if i >= right_from:
            paste(frame, right, 420 - i, 110)
        out.append(frame)
    return out
