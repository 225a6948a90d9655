"""Peak memory of `facetrack detect` on huge frames: 4K (3840x2160) and 8000x8000, at the default input
size and at full resolution (``--input-size 0``).

Each run is its own child process, and its peak resident set size is the kernel's own figure for that child
(``os.wait4``'s rusage, ``ru_maxrss``), so one run's peak never hides another's. A child that dies (the
memory limit below, or the kernel's OOM killer) is reported with its peak too.

    uv run python bench/memory.py [--frames 4] [--limit-gib 4] [--sizes 4k,8k]

``--limit-gib`` caps each child's address space (RLIMIT_AS), so a run that would take the machine's memory
fails instead; the address space is larger than the resident set (thread stacks, allocator arenas), so the
limit is a guard, not the measurement.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out", "memory")
SIZES = {"4k": (3840, 2160), "8k": (8000, 8000)}
SETTINGS = {"default": [], "input-size 0": ["--input-size", "0"]}


def make_clip(name: str, width: int, height: int, frames: int) -> str:
    """A few frames of a plain backdrop with faces of several sizes on it (H.264, made once)."""
    import cv2
    from skimage import data

    from tasks.video.encode import write_video

    path = os.path.join(OUT, f"{name}_{width}x{height}_{frames}f.mp4")
    if os.path.exists(path):
        return path
    os.makedirs(OUT, exist_ok=True)
    face = np.ascontiguousarray(data.astronaut()[0:260, 110:330][:, :, ::-1])
    base = np.empty((height, width, 3), np.uint8)
    base[:] = np.linspace(60, 160, width, dtype=np.uint8)[None, :, None]
    for k, face_h in enumerate((40, 120, 400, min(1200, height // 2))):
        small = cv2.resize(face, (round(face.shape[1] * face_h / face.shape[0]), face_h))
        x, y = (k + 1) * width // 6, height // 3
        base[y : y + small.shape[0], x : x + small.shape[1]] = small[: height - y, : width - x]

    def pictures() -> object:
        for i in range(frames):
            yield np.roll(base, 8 * i, axis=1)

    options = {"preset": "ultrafast", "crf": "23"}
    return write_video(path, pictures(), 25, options=options)  # type: ignore[arg-type]


def _limit(limit_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def run_child(args: list[str], limit_bytes: int) -> tuple[int, float, float, str]:
    """(exit status, peak RSS in MiB, seconds, last stderr line) of ``facetrack`` ``args`` in a child."""
    code = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=(lambda: _limit(limit_bytes)) if limit_bytes else None,
    )
    assert child.stderr is not None
    err = child.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    last = next((line for line in reversed(err.splitlines()) if line.strip()), "")
    return child.returncode, usage.ru_maxrss / 1024, seconds, last  # ru_maxrss is KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--limit-gib", type=float, default=4.0, help="address-space cap per child, 0: none")
    parser.add_argument("--sizes", default="4k,8k")
    parser.add_argument("--settings", default=",".join(SETTINGS))
    options = parser.parse_args()
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    limit = int(options.limit_gib * 2**30)
    print(f"{'clip':<22} {'settings':<14} {'exit':>4} {'peak RSS':>10} {'seconds':>8}  note")
    for size in options.sizes.split(","):
        width, height = SIZES[size]
        clip = make_clip(size, width, height, options.frames)
        for label in options.settings.split(","):
            out = os.path.join(OUT, f"{size}.{label.replace(' ', '')}.faces.json")
            args = ["detect", clip, "-o", out, *SETTINGS[label]]
            code, peak, seconds, last = run_child(args, limit)
            note = last[:110] if code else ""
            name = f"{width}x{height} x{options.frames}"
            print(f"{name:<22} {label:<14} {code:>4} {peak:>7.0f} MiB {seconds:>8.1f}  {note}", flush=True)


if __name__ == "__main__":
    main()
