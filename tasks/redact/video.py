"""video: a video in, the same video with its faces hidden out; everything but the faces kept.

Same container family (by the output's extension, the source's by default), resolution, rotation, frame
count and timestamps; audio, subtitle and data streams are copied packet for packet (never re-encoded);
the video is re-encoded (libx264 at CRF 18 by default, which looks like the source). The file is written
under a hidden temporary name and renamed when complete, so a reader never sees half a video, and a
failure leaves nothing behind. Decoding, hiding and encoding overlap: a thread demuxes and decodes a few
frames ahead, another encodes and muxes a few behind (``tasks.video.threads``; FFmpeg releases the GIL),
and the queues between them are short, so memory is flat in video length.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tasks.errors import BadInputError
from tasks.redact.blur import DEFAULT_BLUR, DEFAULT_SHAPE, redact_frame
from tasks.redact.masks import FaceMasks
from tasks.video.decode import FrameClock, decoder_threading
from tasks.video.encode import partial_path
from tasks.video.probe import VideoInfo
from tasks.video.threads import Ahead, Behind

# progress(frames_done, frames_expected)
Progress = Callable[[int, int], None]

DEFAULT_CRF = 18
DEFAULT_CODEC = "libx264"
DEFAULT_PRESET = "veryfast"
# Pixel formats libx264 encodes as they are; anything else goes to yuv420p (8-bit, what players expect).
_X264_FORMATS = {"yuv420p", "yuvj420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le"}


@dataclass(frozen=True)
class RedactOptions:
    blur: str = DEFAULT_BLUR
    shape: str = DEFAULT_SHAPE
    crf: int = DEFAULT_CRF
    codec: str = DEFAULT_CODEC
    preset: str = DEFAULT_PRESET


@dataclass(frozen=True)
class RedactionResult:
    """What was written: the file, how many frames (and of them with a mask), and how fast."""

    path: str
    frames: int
    masked_frames: int
    seconds: float
    copied_streams: int  # audio, subtitle and data streams copied packet for packet
    size_bytes: int = 0  # of the finished file

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def check_codec(name: str) -> None:
    """Refuse, in one line and before any work, an encoder FFmpeg does not have or that is not for video."""
    import av

    try:
        codec = av.codec.Codec(name, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        raise BadInputError(f"--codec {name}: FFmpeg has no such encoder") from None
    if codec.type != "video":
        raise BadInputError(f"--codec {name}: not a video encoder (it encodes {codec.type})")


def default_output(video: str | os.PathLike[str]) -> str:
    """``<stem>.redacted<ext>`` in the current directory (the video's own folder may be read-only)."""
    stem, extension = os.path.splitext(os.path.basename(os.fspath(video)))
    return f"{stem}.redacted{extension or '.mp4'}"


def redact_video(
    info: VideoInfo,
    masks: FaceMasks,
    output: str | os.PathLike[str],
    options: RedactOptions | None = None,
    progress: Progress | None = None,
) -> RedactionResult:
    """Write ``output``: the video of ``info`` with every mask of ``masks`` hidden."""
    import av

    options = options or RedactOptions()
    output = os.fspath(output)
    partial = partial_path(output)
    started = time.perf_counter()
    frames = masked = copied = 0
    try:
        with av.open(info.path) as source, av.open(partial, mode="w") as target:
            video_in = source.streams.video[0]
            video_in.thread_type = decoder_threading(info)
            video_out = _video_stream(target, video_in, info, options)
            others: dict[int, Any] = {}
            for stream in source.streams:
                if stream.index != video_in.index and stream.type in ("audio", "subtitle", "data"):
                    try:
                        others[stream.index] = target.add_stream_from_template(stream)
                    except (ValueError, av.FFmpegError):
                        continue  # a stream this container cannot hold: left out, not a failure
            copied = len(others)
            streams = (video_in, *(source.streams[i] for i in others))

            def mux(item: Any) -> None:  # the encode thread: frames encoded (None flushes), packets copied
                is_frame = item is None or isinstance(item, av.VideoFrame)
                target.mux(video_out.encode(item) if is_frame else item)

            with (
                Ahead(_demuxed(source, streams, others), name="facetrack-redact-decode") as decoded,
                Behind(mux, name="facetrack-redact-encode") as encoder,
            ):
                clock = FrameClock(info)  # the frames' grid slots, mapped as detection maps them
                for item in decoded:
                    if not isinstance(item, av.VideoFrame):
                        encoder.put(item)
                        continue
                    slot = clock.slot(item.pts, item.dts)
                    item.pts = item.pts if clock.time is None else clock.time  # repaired, if it was
                    boxes = masks.on(slot)
                    out = item
                    if len(boxes):
                        image = item.to_ndarray(format="bgr24")
                        redact_frame(image, boxes, options.blur, options.shape)
                        out = av.VideoFrame.from_ndarray(image, format="bgr24")
                        out.pts, out.time_base = item.pts, item.time_base
                        masked += 1
                    encoder.put(out)
                    frames += 1
                    if progress and frames % 25 == 0:
                        progress(frames, info.frame_count)
                encoder.put(None)  # flush the encoder
                encoder.close()
        os.replace(partial, output)
    except av.FFmpegError as exc:
        _remove(partial)
        reason = getattr(exc, "strerror", None) or str(exc)
        raise BadInputError(f"{os.path.basename(info.path)}: cannot redact ({reason})") from None
    except BaseException:
        _remove(partial)
        raise
    if progress:
        progress(frames, frames)
    seconds = time.perf_counter() - started
    return RedactionResult(output, frames, masked, seconds, copied, os.path.getsize(output))


def _demuxed(source: Any, streams: tuple[Any, ...], others: dict[int, Any]) -> Iterator[Any]:
    """The decode thread: the video's frames, decoded, and the other streams' packets, retargeted at their
    output streams, in the order the demuxer gives them.

    A copied stream whose timestamps go back (two recordings concatenated, a clock reset) continues its
    timeline the way the video's ``FrameClock`` does, so the muxer (which needs rising timestamps) takes it.
    """
    video_index = streams[0].index
    offsets: dict[int, int] = {}
    last: dict[int, int] = {}
    for packet in source.demux(*streams):
        index = packet.stream.index
        if index == video_index:
            yield from packet.decode()
            continue
        if packet.dts is None:
            continue  # the demuxer's flush packet
        offset = offsets.get(index, 0)
        dts = packet.dts + offset
        if index in last and dts <= last[index]:
            offset += last[index] + max(1, packet.duration or 1) - dts
            offsets[index] = offset
            dts = packet.dts + offset
        last[index] = dts
        if offset:
            packet.pts = None if packet.pts is None else packet.pts + offset
            packet.dts = dts
        packet.stream = others[index]
        yield packet


def _video_stream(target: Any, video_in: Any, info: VideoInfo, options: RedactOptions) -> Any:
    """The output's video stream: the source's size, rate, time base and rotation, re-encoded."""
    rate = Fraction(info.frame_rate).limit_denominator(1001)
    stream = target.add_stream(options.codec, rate=rate)
    stream.width, stream.height = info.width, info.height
    pix_fmt = info.pix_fmt if info.pix_fmt in _X264_FORMATS else "yuv420p"
    stream.pix_fmt = pix_fmt if options.codec == "libx264" else "yuv420p"
    if options.codec == "libx264":
        stream.options = {"crf": str(options.crf), "preset": options.preset}
    stream.codec_context.time_base = video_in.time_base
    stream.time_base = video_in.time_base
    if info.rotation:
        stream.set_display_rotation(info.rotation)
    return stream


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.unlink(path)
