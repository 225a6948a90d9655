"""probe: what a video file is, read with PyAV before any heavy work starts.

Probing decodes the first frame as well as reading the headers, so a file that only looks like a video
(a text file renamed .mp4, a truncated download, an audio-only file, a photo renamed .mp4) is refused here
with one line, before a model is loaded or an output path is touched.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from tasks.errors import BadInputError

# Frames larger than this are refused as absurd: 16K is beyond any camera we expect, and decoding
# one would need gigabytes per frame buffer.
MAX_DIMENSION = 16384
MAX_FRAME_RATE = Fraction(1000)
# Broadcast and camera rates. A variable-frame-rate file's average rate is a messy fraction (e.g.
# 29.87); its nominal grid is the standard rate it is near, so ticks stay whole and readable.
_STANDARD = "24000/1001 24 25 30000/1001 30 48 50 60000/1001 60 100 120000/1001 120"
STANDARD_RATES = tuple(Fraction(rate) for rate in _STANDARD.split())
SNAP_TOLERANCE = 0.015
# FFmpeg reads a still picture (PNG, JPEG, BMP, TIFF, WebP ... whatever its name) through one of its image
# demuxers: "image2", "image2pipe" or "<format>_pipe" (no video demuxer is named so). A GIF, APNG or WebP
# may be animated: one frame is a picture, more are a (silent) video.
_IMAGE_DEMUXERS = ("image2", "image2pipe")
_ANIMATED_IMAGE_FORMATS = ("gif", "apng", "webp")


@dataclass(frozen=True)
class VideoInfo:
    """Facts about one video file, as the container and its first decoded frame state them."""

    path: str
    size_bytes: int
    container: str
    codec: str
    width: int  # stored (coded) frame; JSON coordinates are normalized to this
    height: int
    rotation: int  # degrees a player rotates the stored frame counter-clockwise to display it
    frame_rate: Fraction  # nominal rate: the grid on which JSON events are placed
    frame_count: int  # frames the container declares, or counted from packets when it does not say
    duration: float  # seconds
    time_base: Fraction
    start_pts: int  # pts of the first frame, in time_base units; event times are relative to it
    pix_fmt: str

    @property
    def fps(self) -> float:
        return float(self.frame_rate)

    def to_dict(self) -> dict[str, Any]:
        """Plain types only, for logs, artifacts and table rows."""
        data = asdict(self)
        data["frame_rate"] = f"{self.frame_rate.numerator}/{self.frame_rate.denominator}"
        data["time_base"] = f"{self.time_base.numerator}/{self.time_base.denominator}"
        return data


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read a video's geometry, timing and codec; raise ``BadInputError`` with one line if it is not one."""
    import av

    path = os.fspath(path)
    name = os.path.basename(path) or path
    if not os.path.exists(path):
        raise BadInputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise BadInputError(f"{path}: is a directory, not a video file")
    size = os.path.getsize(path)
    if size == 0:
        raise BadInputError(f"{name}: file is empty (0 bytes)")
    try:
        container = av.open(path, mode="r")
    except av.FFmpegError as exc:
        raise BadInputError(f"{name}: not a readable video ({_ffmpeg_reason(exc)})") from None
    except OSError as exc:
        raise BadInputError(f"{name}: cannot open ({exc.strerror or exc})") from None
    with container:
        if not container.streams.video:
            kinds: list[str] = sorted({str(s.type) for s in container.streams}) or ["no streams"]
            raise BadInputError(f"{name}: has no video stream (found: {', '.join(kinds)})")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        format_name = str(container.format.name)
        if format_name in _IMAGE_DEMUXERS or format_name.endswith("_pipe"):
            raise BadInputError(f"{name}: an image, not a video")
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
            raise BadInputError(f"{name}: frame size {width}x{height} is outside 1..{MAX_DIMENSION} pixels")
        time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000)
        rate = _typical_frame_rate(path, time_base) or stream.average_rate or stream.guessed_rate
        if not rate or rate <= 0 or rate > MAX_FRAME_RATE:
            raise BadInputError(f"{name}: frame rate {rate} is missing or absurd")
        frame_rate = nominal_frame_rate(Fraction(rate))
        first = _first_frame(container, stream, name)
        start_pts = int(first.pts if first.pts is not None else (stream.start_time or 0))
        rotation = int(getattr(first, "rotation", 0) or 0) % 360
        duration = _duration_seconds(container, stream, time_base)
        frame_count = int(stream.frames or 0)
        if frame_count <= 0:
            frame_count = len(_packet_timestamps(path))
        if format_name in _ANIMATED_IMAGE_FORMATS and frame_count <= 1:
            raise BadInputError(f"{name}: an image, not a video")
        if duration <= 0 and frame_count > 0:
            duration = frame_count / float(frame_rate)
        return VideoInfo(
            path=os.path.abspath(path),
            size_bytes=size,
            container=format_name,
            codec=str(ctx.name),
            width=width,
            height=height,
            rotation=rotation,
            frame_rate=frame_rate,
            frame_count=frame_count,
            duration=duration,
            time_base=time_base,
            start_pts=start_pts,
            pix_fmt=str(ctx.pix_fmt or ""),
        )


def nominal_frame_rate(rate: Fraction) -> Fraction:
    """The frame grid for a measured rate: a standard rate within 1.5 %, else the rate itself simplified."""
    nearest = min(STANDARD_RATES, key=lambda standard: abs(standard - rate))
    if abs(nearest - rate) <= SNAP_TOLERANCE * nearest:
        return nearest
    return rate.limit_denominator(1001)


def _typical_frame_rate(path: str, time_base: Fraction) -> Fraction | None:
    """1 / the median time between frames, from the first packets' timestamps (no decoding).

    The container's average rate counts dropped frames and gaps of a variable-frame-rate recording as
    slower video (80 frames over 3.3 s reads as 24.2 fps for a 25 fps phone clip with a hiccup); the
    median frame step does not.
    """
    stamps = sorted(_packet_timestamps(path, limit=120))
    steps = sorted(b - a for a, b in itertools.pairwise(stamps) if b > a)
    if len(steps) < 2:
        return None
    return 1 / (steps[len(steps) // 2] * time_base)


def _packet_timestamps(path: str, limit: int | None = None) -> list[int]:
    """Timestamps of the video packets (demuxed only, so this is cheap even for long files)."""
    import av

    stamps: list[int] = []
    with av.open(path) as container:
        try:
            for packet in container.demux(container.streams.video[0]):
                if packet.size:
                    stamps.append(int(packet.pts if packet.pts is not None else len(stamps)))
                if limit is not None and len(stamps) >= limit:
                    break
        except av.FFmpegError:
            pass  # a damaged tail: what was read still counts
    return stamps


def _first_frame(container: Any, stream: Any, name: str) -> Any:
    import av

    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as exc:
        raise BadInputError(f"{name}: video stream cannot be decoded ({_ffmpeg_reason(exc)})") from None
    raise BadInputError(f"{name}: video stream holds no decodable frame (truncated?)")


def _duration_seconds(container: Any, stream: Any, time_base: Fraction) -> float:
    if stream.duration:
        return float(stream.duration * time_base)
    if container.duration:
        return float(container.duration) / 1_000_000
    return 0.0


def _ffmpeg_reason(exc: Exception) -> str:
    """FFmpeg's own words, without the file name and errno noise it repeats."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '")[0].strip().rstrip(".").lower()
