"""decode: frames out of a video in a background thread, already sized for the detector.

Decoding (FFmpeg, which releases the GIL) overlaps with inference this way, and the bounded queue keeps
memory flat however long the video is: at most ``queue_size`` frames wait at any time. Scaling and the
YUV→RGB conversion happen in one swscale pass inside FFmpeg, only for frames the detector will see.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tasks.errors import BadInputError
from tasks.video.probe import VideoInfo

_END = object()


@dataclass(frozen=True)
class DecodedFrame:
    index: int  # position in decode order
    slot: int  # position on the nominal frame grid, from the frame's timestamp
    image: np.ndarray | None  # display-oriented RGB at the detector's input shape; None if not needed


def frame_slot(pts: int | None, info: VideoInfo, previous: int) -> int:
    """Grid slot of a frame: its time since the first frame, in nominal frame periods, rounded.

    For constant-frame-rate video this is the frame's index; for variable-frame-rate video it places each
    frame on the grid the JSON events use. Slots never go backwards.
    """
    if pts is None:
        return previous + 1
    seconds = (pts - info.start_pts) * info.time_base
    return max(previous, round(seconds * Fraction(info.frame_rate)))


def display_turns(rotation: int) -> int:
    """Quarter turns counter-clockwise (np.rot90's k) that show a stored frame upright."""
    return (round(rotation / 90) % 4) if rotation % 90 == 0 else 0


class FrameReader:
    """Iterate ``DecodedFrame``s from a decoding thread. Use as a context manager so the thread stops."""

    def __init__(
        self,
        info: VideoInfo,
        input_shape: tuple[int, int],
        detect_every: int = 1,
        queue_size: int = 16,
    ):
        self.info = info
        self.turns = display_turns(info.rotation)
        width, height = input_shape  # display orientation
        self.scaled_size = (height, width) if self.turns % 2 else (width, height)  # stored orientation
        self.detect_every = max(1, detect_every)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="facetrack-decode", daemon=True)

    def __enter__(self) -> FrameReader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(timeout=0.05)

    def __iter__(self) -> Iterator[DecodedFrame]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, DecodedFrame)
            yield item

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        import av

        name = self.info.path.rsplit("/", 1)[-1]
        index, slot = 0, -1
        try:
            with av.open(self.info.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                width, height = self.scaled_size
                for frame in container.decode(stream):
                    slot = frame_slot(frame.pts, self.info, slot) if index else 0
                    image: np.ndarray | None = None
                    if index % self.detect_every == 0:
                        image = frame.reformat(width=width, height=height, format="rgb24",
                                               interpolation="AREA").to_ndarray()  # fmt: skip
                        if self.turns:
                            image = np.ascontiguousarray(np.rot90(image, self.turns))
                    if not self._put(DecodedFrame(index, slot, image)):
                        return
                    index += 1
        except av.FFmpegError as exc:
            reason = (getattr(exc, "strerror", None) or str(exc)).lower()
            self._put(BadInputError(f"{name}: corrupt or truncated video at frame {index} ({reason})"))
            return
        except BaseException as exc:  # surfaced in the consuming thread, with its traceback
            self._put(exc)
            return
        self._put(_END)
