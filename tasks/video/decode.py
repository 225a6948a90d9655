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


# Above this many pixels a frame is decoded with slice threads, not frame threads: FFmpeg's frame threading
# keeps a whole frame in flight per thread (8000x8000: 670 MiB against 309 MiB, measured on 2 cores,
# and it grows with the cores), while a huge frame has slices enough to keep the threads busy.
HUGE_FRAME_PIXELS = 16_000_000


def decoder_threading(info: VideoInfo) -> str:
    """PyAV's ``thread_type`` for decoding this video: frame and slice threads, or slices only for huge
    frames, so memory stays bounded whatever the frame size."""
    return "SLICE" if info.width * info.height > HUGE_FRAME_PIXELS else "AUTO"


def frame_slot(pts: int | None, info: VideoInfo, previous: int) -> int:
    """Grid slot of a frame: its time since the first frame, in nominal frame periods, rounded.

    For constant-frame-rate video this is the frame's index; for variable-frame-rate video it places each
    frame on the grid the JSON events use. Slots never go backwards. (A whole video's frames are mapped
    with ``FrameClock``, which also copes with timestamps that jump back, as concatenated streams' do.)
    """
    if pts is None:
        return previous + 1
    seconds = (pts - info.start_pts) * info.time_base
    return max(previous, round(seconds * Fraction(info.frame_rate)))


FORWARD_JUMP_SECONDS = 10.0  # a gap between two frames longer than this is reported (FFmpeg's own threshold)


@dataclass(frozen=True)
class TimestampRepair:
    """Where a video's timestamps were not a timeline, and what was done about it.

    ``backward``: a frame's timestamp was not later than the one before (two streams concatenated, a
    camera's clock reset); the frames from there on start a new segment that continues the timeline one
    frame period later, so no frame's faces are lost. ``forward``: a gap of ``seconds`` between two
    frames; kept (the last frame's faces are held through it, as a player shows it) and reported.
    """

    kind: str  # "backward" or "forward"
    frame: int  # decoded frame index of the first frame after the jump
    seconds: float  # size of the jump (always positive)


def describe_repairs(repairs: list[TimestampRepair]) -> str:
    """One phrase for a summary line, e.g. "1 backward jump at frame 50, 1 forward gap of 280.0 s at frame
    70 (kept)"."""
    parts: list[str] = []
    backward = [r for r in repairs if r.kind == "backward"]
    if backward:
        where = ", ".join(str(r.frame) for r in backward[:5]) + (", ..." if len(backward) > 5 else "")
        plural = "s" if len(backward) > 1 else ""
        parts.append(f"{len(backward)} backward jump{plural} at frame{plural} {where}")
    forward = [r for r in repairs if r.kind == "forward"]
    if len(forward) == 1:
        parts.append(f"1 forward gap of {forward[0].seconds:.1f} s at frame {forward[0].frame} (kept)")
    elif forward:
        total = sum(r.seconds for r in forward)
        parts.append(
            f"{len(forward)} forward gaps of {total:.1f} s in all, first at frame {forward[0].frame} (kept)"
        )
    return ", ".join(parts)


class FrameClock:
    """Grid slots of a video's frames, fed in decode order: ``frame_slot``, made safe for timestamps
    that are not a timeline. Lose no decoded frame:

    - each frame's time is its pts, or its dts where the pts are the faultier of the two (an AVI's
      B-frames), as FFmpeg's best-effort timestamp does;
    - a time that goes back (or repeats) starts a new segment, continuing the timeline one frame period
      after the previous frame (FFmpeg's concat handling): two streams concatenated, a clock reset;
    - a forward gap longer than ``FORWARD_JUMP_SECONDS`` is kept as it is (a player holds the last frame).

    Jumps back of more than a frame period, and the long gaps, are listed in ``repairs``; ``time`` is the
    latest frame's time on the repaired timeline (always later than the one before: what a redacted copy
    is written with). Detection and redaction map frames with this same clock, so every face found is
    masked on the frame it was found on.
    """

    def __init__(self, info: VideoInfo):
        self.info = info
        self.repairs: list[TimestampRepair] = []
        self._frames = 0  # frames seen
        self._slot = -1  # slot of the latest frame
        self._offset = 0  # added to the times of the current segment (time_base units)
        self._last: int | None = None  # the latest frame's time, offset included
        self._step = max(1, round(1 / (Fraction(info.frame_rate) * info.time_base)))  # a frame period
        self._last_pts: int | None = None
        self._last_dts: int | None = None
        self._faulty_pts = self._faulty_dts = 0
        self.time: int | None = None  # the latest frame's time on the repaired timeline (None: unknown)

    def slot(self, pts: int | None, dts: int | None = None) -> int:
        """The grid slot of the next decoded frame, timestamped ``pts`` and ``dts`` (None: unknown)."""
        index, self._frames = self._frames, self._frames + 1
        stamp = self._best_effort(pts, dts)
        if stamp is None:
            self.time, self._slot = None, self._slot + 1
            return self._slot
        at = stamp + self._offset
        if index == 0 or self._last is None:
            self._last, self._slot = at, (0 if index == 0 else frame_slot(at, self.info, self._slot))
            self.time = at
            return self._slot
        minimum = self._slot
        tb = self.info.time_base
        if at <= self._last:
            if self._last - at >= self._step:
                self.repairs.append(TimestampRepair("backward", index, float((self._last - at) * tb)))
            self._offset += self._last + self._step - at
            at, minimum = self._last + self._step, self._slot + 1
        elif (at - self._last) * tb > FORWARD_JUMP_SECONDS:
            self.repairs.append(TimestampRepair("forward", index, float((at - self._last) * tb)))
        self._last = self.time = at
        self._slot = max(minimum, frame_slot(at, self.info, self._slot))
        return self._slot

    def _best_effort(self, pts: int | None, dts: int | None) -> int | None:
        """FFmpeg's ``guess_correct_pts``: the pts, unless they went back more often than the dts did (then
        the dts, None where a frame has none: the frame after the previous one)."""
        if dts is not None:
            self._faulty_dts += self._last_dts is not None and dts <= self._last_dts
            self._last_dts = dts
        if pts is not None:
            self._faulty_pts += self._last_pts is not None and pts <= self._last_pts
            self._last_pts = pts
        if pts is not None and (self._faulty_pts <= self._faulty_dts or self._last_dts is None):
            return pts
        return dts


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
        self.clock = FrameClock(info)  # its ``repairs`` are complete once iteration has ended

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
        index = 0
        cuts = ShotCutDetector(float(self.info.frame_rate))
        pending: DecodedFrame | None = None  # held one frame: a cut is known once the next frame is seen
        try:
            with av.open(self.info.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = decoder_threading(self.info)
                width, height = self.scaled_size
                for frame in container.decode(stream):
                    slot = self.clock.slot(frame.pts, frame.dts)
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
