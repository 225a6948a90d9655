"""encode: frames into a video file with PyAV, written under a temporary name and renamed when complete.

The built-in demo composes its video with this, and the tests and benchmarks make theirs with it. A
reader never sees a half-written file: the container is finished (trailer written) before the rename; a
full (or read-only) disk is one line naming the file, ``OutputError``, and leaves no partial file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from tasks.errors import STORAGE_ERRORS, OutputError, os_error_line

DEFAULT_OPTIONS = {"preset": "veryfast", "crf": "20"}


def partial_path(path: str | os.PathLike[str]) -> str:
    """Where a file is written before it is renamed to ``path``: beside it, hidden (an inbox sweep skips
    it), with the same extension (FFmpeg picks the container by it)."""
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    stem, extension = os.path.splitext(name)
    return os.path.join(directory, f".{stem}.partial{extension}")


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    rate: Fraction | int | float,
    *,
    codec: str = "libx264",
    options: dict[str, str] | None = None,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    rotation: int = 0,
) -> str:
    """Encode BGR uint8 frames (all the same size) as ``path``; return the path.

    ``pts`` (in ``time_base`` units) gives each frame its own timestamp, which makes a variable-frame-rate
    file; ``rotation`` stores display-rotation metadata (degrees counter-clockwise), as phones do.
    """
    import av

    path = os.fspath(path)
    partial = partial_path(path)
    try:
        with av.open(partial, mode="w") as container:
            stream = container.add_stream(codec, rate=Fraction(rate).limit_denominator(1001))
            assert isinstance(stream, av.VideoStream), f"{codec} is not a video codec"
            stream.pix_fmt = "yuv420p"
            stream.options = dict(DEFAULT_OPTIONS if options is None else options)
            if time_base is not None:
                stream.codec_context.time_base = time_base
                stream.time_base = time_base
            if rotation:
                stream.set_display_rotation(rotation)
            for index, image in enumerate(frames):
                if index == 0:
                    stream.height, stream.width = image.shape[:2]
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
                if pts is not None:
                    frame.pts, frame.time_base = pts[index], time_base
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        os.replace(partial, path)
    except BaseException as exc:
        if os.path.exists(partial):
            os.unlink(partial)
        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRORS:  # a full disk: one line, no partial
            raise OutputError(os_error_line(path, exc)) from None
        raise
    return path
