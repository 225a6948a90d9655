"""decode: frames out of a video in a background thread, already sized for the detector.

Decoding (FFmpeg, which releases the GIL) overlaps with inference this way, and the bounded queue keeps
memory flat however long the video is: at most ``queue_size`` frames wait at any time. Scaling and the
YUV→RGB conversion happen in one swscale pass inside FFmpeg, only for frames the detector will see; every
frame also gets a tiny thumbnail, on which this thread finds shot cuts (``tasks.video.shots``): they cost the
engine no time, and each frame leaves the queue knowing whether it starts a new shot.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from tasks.errors import BadInputError
from tasks.video.probe import VideoInfo
from tasks.video.shots import ShotCutDetector

_END = object()
THUMBNAIL_SIZE = (64, 36)  # (width, height): enough to see a cut; ~1.4 ms a 720p frame, in this thread


@dataclass(frozen=True)
class DecodedFrame:
    index: int  # position in decode order
    slot: int  # position on the nominal frame grid, from the frame's timestamp
    image: np.ndarray | None  # display-oriented RGB at the detector's input shape; None if not needed
    new_shot: bool = False  # a hard cut: this frame starts a new shot (tasks.video.shots)
    source: Any = None  # the decoded av.VideoFrame of a detected frame, still YUV: ``full_image`` converts it
    turns: int = 0  # quarter turns that show the source upright
    _pictures: dict[tuple[int, int] | None, np.ndarray] = field(
        default_factory=dict, repr=False, compare=False
    )  # converted pictures, by size (``picture``)

    def full_image(self) -> np.ndarray:
        """This frame at full resolution, RGB, upright. Converted only when asked (face embeddings and
        the detector's fine passes want more pixels than the coarse input has, on few frames), once."""
        return self.picture(None)

    def picture(self, size: tuple[int, int] | None) -> np.ndarray:
        """This frame upright, RGB, at ``size`` (width, height as displayed; None: full resolution).

        Converted from the decoded YUV frame by swscale on first use and kept with the frame, so the
        detector's fine passes and the face embedder share one conversion.
        """
        if self.source is None:
            raise ValueError(f"frame {self.index} kept no full-resolution picture")
        if size not in self._pictures:
            if size is None:
                rgb = self.source.to_ndarray(format="rgb24")
            else:
                width, height = (size[1], size[0]) if self.turns % 2 else size  # stored orientation
                rgb = self.source.reformat(width=width, height=height, format="rgb24",
                                           interpolation="AREA").to_ndarray()  # fmt: skip
            self._pictures[size] = upright(rgb, self.turns)
        return self._pictures[size]


def frame_slot(pts: int | None, info: VideoInfo, previous: int) -> int:
    """Grid slot of a frame: its time since the first frame, in nominal frame periods, rounded.

    For constant-frame-rate video this is the frame's index; for variable-frame-rate video it places each
    frame on the grid the JSON events use. Slots never go backwards.
    """
    if pts is None:
        return previous + 1
    seconds = (pts - info.start_pts) * info.time_base
    return max(previous, round(seconds * Fraction(info.frame_rate)))


def upright(image: np.ndarray, turns: int) -> np.ndarray:
    """A stored-orientation picture turned as it is displayed (``turns`` from ``display_turns``)."""
    return np.ascontiguousarray(np.rot90(image, turns)) if turns else image


def display_turns(rotation: int) -> int:
    """Quarter turns counter-clockwise (np.rot90's k) that show a stored frame upright."""
    return (round(rotation / 90) % 4) if rotation % 90 == 0 else 0


HELD_BYTES = 256 * 2**20  # at most this much decoded picture waits in the queue


def waiting_frames(info: VideoInfo) -> int:
    """How many frames may wait in the queue: 16, fewer for huge pictures.

    Detected frames keep their full-resolution picture (still YUV, ~1.5 bytes a pixel) until the tracker
    has looked at them, so an 8K stream would otherwise hold hundreds of megabytes.
    """
    picture = max(1, info.width * info.height) * 1.5
    return int(max(2, min(16, HELD_BYTES // picture)))


class FrameReader:
    """Iterate ``DecodedFrame``s from a decoding thread. Use as a context manager so the thread stops."""

    def __init__(
        self,
        info: VideoInfo,
        input_shape: tuple[int, int],
        detect_every: int = 1,
        queue_size: int | None = None,
    ):
        self.info = info
        self.turns = display_turns(info.rotation)
        width, height = input_shape  # display orientation
        self.scaled_size = (height, width) if self.turns % 2 else (width, height)  # stored orientation
        self.detect_every = max(1, detect_every)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size or waiting_frames(info))
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
        cuts = ShotCutDetector(float(self.info.frame_rate))
        pending: DecodedFrame | None = None  # held one frame: a cut is known once the next frame is seen
        try:
            with av.open(self.info.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                width, height = self.scaled_size
                for frame in container.decode(stream):
                    slot = frame_slot(frame.pts, self.info, slot) if index else 0
                    image: np.ndarray | None = None
                    detected = index % self.detect_every == 0
                    if detected:
                        scaled = frame.reformat(
                            width=width, height=height, format="rgb24", interpolation="AREA"
                        )
                        image = upright(scaled.to_ndarray(), self.turns)
                    thumbnail = frame.reformat(width=THUMBNAIL_SIZE[0], height=THUMBNAIL_SIZE[1],
                                               format="rgb24", interpolation="AREA").to_ndarray()  # fmt: skip
                    previous_cut = cuts.push(thumbnail)
                    if pending is not None and not self._put(replace(pending, new_shot=previous_cut)):
                        return
                    source = frame if detected else None
                    pending = DecodedFrame(index, slot, image, source=source, turns=self.turns)
                    index += 1
                if pending is not None and not self._put(replace(pending, new_shot=cuts.finish())):
                    return
        except av.FFmpegError as exc:
            reason = (getattr(exc, "strerror", None) or str(exc)).lower()
            self._put(BadInputError(f"{name}: corrupt or truncated video at frame {index} ({reason})"))
            return
        except BaseException as exc:  # surfaced in the consuming thread, with its traceback
            self._put(exc)
            return
        self._put(_END)
