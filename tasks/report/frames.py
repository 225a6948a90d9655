"""frames: the few frames a report needs, converting only those, read in one pass or by seeking.

The gallery wants each id's best frame and the contact sheet a frame every few seconds. A short video is
read in one decoding pass, mapped to grid slots by the clock detection used (``FrameClock``), so a box
lands on the frame it was found on; the pass stops after the last wanted frame. Decoding a long video
whole would cost about a tenth of detecting it (1080p decodes at ~360 frames/s here, detection runs at
~45), so when the packets say that seeking decodes far fewer frames, and the timestamps are clean (no
jump back, which only the whole pass's clock can place), each wanted frame is reached by a seek to the
keyframe before it instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from tasks.video.decode import FrameClock, decoder_threading, frame_slot
from tasks.video.probe import VideoInfo

SEEK_MIN_FRAMES = 1500  # below this a single pass is cheap enough, and needs no packet scan
SEEK_SHARE = 0.5  # seek when that decodes under this share of the frames a single pass would


@dataclass(frozen=True)
class PassCost:
    """What reading the frames cost: frames decoded, frames converted, seconds, and how (pass or seek)."""

    decoded: int
    converted: int
    seconds: float
    mode: str = "pass"


Take = Callable[[int, np.ndarray], None]


def pick_frames(info: VideoInfo, slots: Iterable[int], take: Take, seek: bool | None = None) -> PassCost:
    """Call ``take(slot, bgr_image)`` once for each wanted slot, in order, with the stored-orientation
    frame shown at that slot (a slot a variable-rate file has no frame of gets the next frame).

    ``seek``: None decides by the packets (long video, clean timestamps, far fewer frames to decode);
    True seeks whenever the timestamps allow it; False always reads in one pass.
    """
    wanted = sorted(set(slots))
    started = time.perf_counter()
    if not wanted:
        return PassCost(0, 0, 0.0)
    if seek is not False and (seek or info.frame_count >= SEEK_MIN_FRAMES):
        keyframes = _keyframe_slots(info)
        if keyframes is not None and (seek or _seek_cost(keyframes, wanted) < SEEK_SHARE * wanted[-1]):
            decoded, converted = _by_seeking(info, wanted, keyframes, take)
            return PassCost(decoded, converted, time.perf_counter() - started, "seek")
    decoded, converted = _one_pass(info, wanted, take)
    return PassCost(decoded, converted, time.perf_counter() - started)


def _one_pass(info: VideoInfo, wanted: list[int], take: Take) -> tuple[int, int]:
    import av

    decoded = converted = 0
    clock = FrameClock(info)
    with av.open(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = decoder_threading(info)
        for frame in container.decode(stream):
            decoded += 1
            slot = clock.slot(frame.pts, frame.dts)
            if wanted[0] > slot:
                continue
            image = frame.to_ndarray(format="bgr24")
            converted += 1
            while wanted and wanted[0] <= slot:
                take(wanted.pop(0), image)
            if not wanted:
                break
    return decoded, converted


@dataclass(frozen=True)
class Keyframes:
    """The keyframes' grid slots, in order, and their pts (what a seek aims at)."""

    slots: list[int]
    pts: list[int]

    def before(self, slot: int) -> int:
        """Index of the last keyframe at or before ``slot``."""
        return max(0, int(np.searchsorted(self.slots, slot, side="right")) - 1)


def _keyframe_slots(info: VideoInfo) -> Keyframes | None:
    """The keyframes, from the packets (no decoding); None when the timestamps are not a clean
    timeline (a missing pts, a pts repeated, a jump back), where only the whole pass maps slots."""
    import av

    stamps: list[int] = []
    keys: list[int] = []
    with av.open(info.path) as container:
        stream = container.streams.video[0]
        last_dts: int | None = None
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.pts is None or (
                packet.dts is not None and last_dts is not None and packet.dts <= last_dts
            ):
                return None
            last_dts = packet.dts
            stamps.append(int(packet.pts))
            if packet.is_keyframe:
                keys.append(int(packet.pts))
    if not keys or len(set(stamps)) != len(stamps) or min(stamps) < info.start_pts:
        return None
    keys.sort()
    return Keyframes([frame_slot(pts, info, 0) for pts in keys], keys)


def _seek_cost(keyframes: Keyframes, wanted: list[int]) -> int:
    """Frames decoded to reach every wanted slot from the keyframe before it (one run per GOP)."""
    cost, reached = 0, -1
    for slot in wanted:
        key = keyframes.slots[keyframes.before(slot)]
        start = reached + 1 if reached >= key else key  # same GOP as the previous one: decode on
        cost += slot - start + 1
        reached = slot
    return cost


def _by_seeking(info: VideoInfo, wanted: list[int], keyframes: Keyframes, take: Take) -> tuple[int, int]:
    """Each wanted slot from the keyframe before it; wanted slots in one GOP share its run (and so do
    slots close enough that decoding on is cheaper than seeking)."""
    import av

    decoded = converted = 0
    with av.open(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = decoder_threading(info)
        frames = None
        slot, sought = -1, -1
        while wanted:
            target = wanted[0]
            key = keyframes.before(target)
            if frames is None or (slot < keyframes.slots[key] - 1 and sought != target):
                container.seek(keyframes.pts[key], stream=stream, backward=True)
                frames, sought = container.decode(stream), target
            frame = next(frames, None)
            if frame is None:  # past the end: the last frames stand for the rest
                break
            decoded += 1
            slot = frame_slot(frame.pts, info, 0) if frame.pts is not None else slot + 1
            if slot < target:
                continue
            image = frame.to_ndarray(format="bgr24")
            converted += 1
            while wanted and wanted[0] <= slot:
                take(wanted.pop(0), image)
    return decoded, converted
