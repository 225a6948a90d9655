"""video: a video in, the same video with its faces hidden out; everything but the faces kept.

Same container family (by the output's extension, the source's by default), resolution, rotation, frame
count and timestamps; audio, subtitle and data streams are copied packet for packet (never re-encoded);
the video is re-encoded (libx264 at CRF 18 by default, which looks like the source). The file is written
under a hidden temporary name and renamed when complete, so a reader never sees half a video, and a
failure leaves nothing behind. Packets are read, and frames decoded, hidden and encoded, one at a time
(FFmpeg's own threads decode and encode beside the Python work), so memory is flat in video length.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tasks.errors import BadInputError
from tasks.redact.blur import DEFAULT_BLUR, DEFAULT_SHAPE, redact_frame
from tasks.redact.masks import FaceMasks
from tasks.video.decode import frame_slot
from tasks.video.encode import partial_path
from tasks.video.probe import VideoInfo

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
            video_in.thread_type = "AUTO"
            video_out = _video_stream(target, video_in, info, options)
            others: dict[int, Any] = {}
            for stream in source.streams:
                if stream.index != video_in.index and stream.type in ("audio", "subtitle", "data"):
                    try:
                        others[stream.index] = target.add_stream_from_template(stream)
                    except (ValueError, av.FFmpegError):
                        continue  # a stream this container cannot hold: left out, not a failure
            copied = len(others)
            slot = -1
            for packet in source.demux(video_in, *(source.streams[i] for i in others)):
                if packet.stream.index != video_in.index:
                    if packet.dts is None:
                        continue  # the demuxer's flush packet
                    packet.stream = others[packet.stream.index]
                    target.mux(packet)
                    continue
                decoded: list[Any] = list(packet.decode())  # VideoFrames: this is the video stream
                for frame in decoded:
                    slot = frame_slot(frame.pts, info, slot) if frames else 0
                    boxes = masks.on(slot)
                    out = frame
                    if len(boxes):
                        image = frame.to_ndarray(format="bgr24")
                        redact_frame(image, boxes, options.blur, options.shape)
                        out = av.VideoFrame.from_ndarray(image, format="bgr24")
                        masked += 1
                    out.pts, out.time_base = frame.pts, frame.time_base
                    target.mux(video_out.encode(out))
                    frames += 1
                    if progress and frames % 25 == 0:
                        progress(frames, info.frame_count)
            target.mux(video_out.encode())
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
    return RedactionResult(output, frames, masked, time.perf_counter() - started, copied)


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
