"""Speed of `facetrack detect` against decode alone and a deface-style loop, measured in one run.

    uv run python bench/speed.py [--deface-frames N] [--sizes 720,1080] [--detect-args '...']

For a 1280x720 dev clip and the same clip upscaled to 1920x1080 (made once under bench/out/), prints
frames/s of: PyAV decode alone, decode to BGR arrays, decode skipping non-reference frames (what the
detector could skip), `facetrack detect` as a whole process (default settings, start-up included), the
same with the coarse pass alone (``--fine-size 0``, the small-face passes off), and deface's way
(CenterFace at full resolution on every frame, frames read with imageio, as `deface` does). Ratios are
computed within the run, so a busy machine shifts all numbers together. Peak memory is the detect
process's max RSS, for the clip and a 3x longer one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import OUT, TRACKING, require_shared

SOURCE_CLIP = "syn_dlib_test_pan"


def make_clip(height: int, repeat: int = 1) -> str:
    """The dev clip at ``height`` (upscaled with Lanczos), its frames played ``repeat`` times."""
    import av

    from tasks.video.encode import write_video

    path = os.path.join(OUT, f"speed_{height}p_x{repeat}.mp4")
    if os.path.exists(path):
        return path
    source = os.path.join(TRACKING, f"{SOURCE_CLIP}.mp4")
    width = height * 16 // 9

    def frames() -> Iterator[np.ndarray]:
        for _ in range(repeat):
            with av.open(source) as src:
                for frame in src.decode(video=0):
                    yield frame.reformat(
                        width=width, height=height, format="bgr24", interpolation="LANCZOS"
                    ).to_ndarray()

    return write_video(path, frames(), 25)


def decode_fps(path: str, to_bgr: bool, skip_nonref: bool = False) -> tuple[int, float]:
    """Frames decoded and frames/s; ``skip_nonref`` asks FFmpeg to skip frames nothing refers to (PyAV's
    ``skip_frame = "NONREF"``): fewer frames decoded, each frame of the clip counted once in the rate."""
    import av

    started = time.perf_counter()
    frames = 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        total = stream.frames
        if skip_nonref:
            stream.codec_context.skip_frame = "NONREF"
        for frame in container.decode(stream):
            if to_bgr:
                frame.to_ndarray(format="bgr24")
            frames += 1
    seconds = time.perf_counter() - started
    return frames, (total if skip_nonref else frames) / seconds


def detect_process(path: str, extra: list[str]) -> tuple[float, float, int]:
    """Wall time and peak RSS (MiB) of `facetrack detect` as a fresh process, and its frame count."""
    import json

    out = os.path.join(OUT, "speed.json")
    script = os.path.join(os.path.dirname(sys.executable), "facetrack")
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
    )
    done = subprocess.run([sys.executable, "-c", code, script, "detect", path, "-o", out, *extra],
                          capture_output=True, text=True, check=True)  # fmt: skip
    seconds, rss_kib, returncode = done.stdout.split()
    if returncode != "0":
        sys.exit(f"facetrack detect failed on {path}")
    with open(out) as handle:
        doc = json.load(handle)
    frames = sum(len(f["events"]) if "events" in f else f["duration"] // (doc["timescale"] // 25)
                 for f in doc["fragments"])  # fmt: skip
    return float(seconds), int(rss_kib) / 1024, frames


def deface_loop_fps(path: str, limit: int) -> float:
    """deface's own loop: imageio frames (RGB), CenterFace(in_shape=None) at full size, threshold 0.2."""
    import imageio.v2 as imageio
    from deface.centerface import CenterFace

    centerface = CenterFace(in_shape=None, backend="auto", override_execution_provider="CPUExecutionProvider")
    reader = imageio.get_reader(path)
    started = time.perf_counter()
    frames = 0
    for frame in reader:
        centerface(frame, threshold=0.2)
        frames += 1
        if frames >= limit:
            break
    reader.close()
    return frames / (time.perf_counter() - started)


def deface_model_on_pyav_fps(path: str, limit: int) -> float:
    """The same model work as deface (full resolution, every frame) with frames decoded by PyAV.

    deface reads frames through imageio's ffmpeg subprocess, which costs CPU of its own; this variant
    measures the detector alone, so the speed-up quoted against it is the conservative one.
    """
    import av
    from deface.centerface import CenterFace

    centerface = CenterFace(in_shape=None, backend="auto", override_execution_provider="CPUExecutionProvider")
    started = time.perf_counter()
    frames = 0
    with av.open(path) as container:
        for frame in container.decode(video=0):
            centerface(frame.to_ndarray(format="rgb24"), threshold=0.2)
            frames += 1
            if frames >= limit:
                break
    return frames / (time.perf_counter() - started)


def full_resolution_fps(path: str, limit: int) -> float:
    """The strongest deface-style baseline: CenterFace at full resolution on every frame, through
    facetrack's optimized session (initializers folded), frames decoded by PyAV."""
    import av

    from models.detector import CenterFaceDetector

    detector = CenterFaceDetector(input_size=0)
    started = time.perf_counter()
    frames = 0
    with av.open(path) as container:
        for frame in container.decode(video=0):
            detector.detect_batch([frame.to_ndarray(format="rgb24")], (frame.width, frame.height), 0.2)
            frames += 1
            if frames >= limit:
                break
    return frames / (time.perf_counter() - started)


def main() -> None:
    require_shared()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="720,1080")
    parser.add_argument("--deface-frames", type=int, default=60)
    parser.add_argument("--detect-args", default="", help="extra options for facetrack detect")
    args = parser.parse_args()
    extra = args.detect_args.split()
    for height in (int(v) for v in args.sizes.split(",")):
        clip = make_clip(height)
        frames, decode = decode_fps(clip, to_bgr=False)
        _, decode_bgr = decode_fps(clip, to_bgr=True)
        kept, decode_nonref = decode_fps(clip, to_bgr=False, skip_nonref=True)
        seconds, rss, _ = detect_process(clip, extra)
        detect = frames / seconds
        coarse_seconds, coarse_rss, _ = detect_process(clip, [*extra, "--fine-size", "0"])
        coarse = frames / coarse_seconds
        deface_io = deface_loop_fps(clip, args.deface_frames)
        deface = deface_model_on_pyav_fps(clip, args.deface_frames)
        full = full_resolution_fps(clip, args.deface_frames)
        print(f"{height}p ({frames} frames): decode {decode:.0f} fps, decode+BGR {decode_bgr:.0f} fps, "
              f"decode skipping non-reference frames {decode_nonref:.0f} fps ({kept} of {frames} decoded), "
              f"facetrack detect {detect:.1f} fps (whole process, {seconds:.1f} s incl. start-up), "
              f"coarse pass only (--fine-size 0) {coarse:.1f} fps, {coarse_rss:.0f} MiB, "
              f"deface-style {deface_io:.1f} fps (deface as shipped) / {deface:.1f} fps (PyAV frames) / "
              f"{full:.1f} fps (optimized session)", flush=True)  # fmt: skip
        print(f"  ratios: facetrack / deface-style = {detect / deface_io:.1f}x (as shipped) "
              f"{detect / deface:.1f}x (PyAV frames) {detect / full:.1f}x (optimized session), "
              f"facetrack / coarse only = {detect / coarse:.2f}x, "
              f"facetrack / decode = {detect / decode:.0%}, "
              f"facetrack / decode+BGR = {detect / decode_bgr:.0%}; peak memory {rss:.0f} MiB",
              flush=True)  # fmt: skip
    longer = make_clip(1080, repeat=3)
    _, rss_long, frames_long = detect_process(longer, extra)
    print(f"peak memory, 1080p: {rss:.0f} MiB for {frames} frames, {rss_long:.0f} MiB for {frames_long}")


if __name__ == "__main__":
    main()
