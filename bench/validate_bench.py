"""What the validation gate costs per video, next to what detection costs.

    uv run python bench/validate_bench.py [--repeat N] [--sizes 45,2000,20000] [--no-detect]

Prints: the GX import and context setup time (paid once per process), then for videos of growing size
(face events per video) the gate's time per video split into building the audit views and the GX runs,
the validations-table append, and the quarantine write of a failing batch; and, for scale, the engine's
detection time on a short synthetic clip. Batches are made by the real normalizer from synthetic tracks,
so their shape is the pipeline's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import demo_clip, synthetic_result, synthetic_video_id

from tasks.lake.batch import VideoBatch


def synthetic_batch(events: int, seed: int = 0) -> VideoBatch:
    """A normalized batch with ``events`` face events: 3 faces per frame at 25 fps, 640x360."""
    from tasks.document.build import build_document
    from tasks.lake.normalize import normalize

    result = synthetic_result(seed, frames=max(1, events // 3), faces=3)
    return normalize(result, build_document(result), video_id=synthetic_video_id(seed), run_id="bench")


def show(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ({min(values) * 1000:.0f}) ms"


def timed(action, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="45,2000,20000", help="face events per video, comma-separated")
    parser.add_argument("--no-detect", action="store_true", help="skip the detection reference")
    args = parser.parse_args()

    from tasks.validate.suites import gx_runtime

    started = time.perf_counter()
    runtime = gx_runtime()
    first = time.perf_counter() - started
    suites = len(runtime.definitions)
    print(f"GX {runtime.gx_version}: import {runtime.import_seconds:.2f} s, context + {suites} suites")
    print(f"  {runtime.setup_seconds:.2f} s; once per process (first gate call {first:.2f} s)")

    import polars as pl

    from tasks.lake.store import Lake
    from tasks.validate.audit_views import audit_views
    from tasks.validate.check import validate_batch
    from tasks.validate.quarantine import quarantine_batch
    from tasks.validate.results_table import append_validations

    expectations = sum(len(d.suite.expectations) for d in runtime.definitions.values())
    print(f"{expectations} expectations in {suites} suites + the JSON contract; "
          f"repeat {args.repeat}, median (min)")  # fmt: skip
    header = ("events/video", "gate", "audit views", "GX runs", "validations", "quarantine")
    print(" ".join(f"{h:>15}" for h in header))
    lake = Lake(tempfile.mkdtemp(prefix="facetrack-validate-bench-"))
    gate_seconds: list[float] = []
    for size in (int(s) for s in args.sizes.split(",")):
        batch = synthetic_batch(size, seed=size)
        validate_batch(batch)  # warm caches for this shape
        outcomes: list = []
        gate = timed(lambda b=batch, out=outcomes: out.append(validate_batch(b)), args.repeat)
        assert all(o.success for o in outcomes), outcomes[0].failed
        views = timed(lambda b=batch: audit_views(b.tables), args.repeat)
        gx = [o.gx_seconds for o in outcomes]
        append = timed(lambda o=outcomes[0]: append_validations(lake, o.results), args.repeat)
        broken = synthetic_batch(size, seed=size + 1)
        broken.tables["face_events"] = broken.tables["face_events"].with_columns(pl.col("x") + 2)
        failed = validate_batch(broken)
        assert not failed.success
        quarantine = timed(lambda b=broken, o=failed: quarantine_batch(lake, b, o), max(1, args.repeat // 2))

        cells = (str(batch.tables["face_events"].height), show(gate), show(views), show(gx))
        cells += (show(append), show(quarantine))
        print(" ".join(f"{c:>15}" for c in cells))
        gate_seconds.append(statistics.median(gate))

    if not args.no_detect:
        from tasks.detect.detect_track import detect_track

        with tempfile.TemporaryDirectory() as directory:
            clip = demo_clip(os.path.join(directory, "clip.mp4"), frames=100, width=640, height=360)
            detect_track(clip)  # load the model
            seconds = min(timed(lambda: detect_track(clip), 2))
        gate = statistics.median(gate_seconds)
        print(f"detection: 100 frames (4 s of 640x360) in {seconds:.2f} s ({100 / seconds:.0f} frames/s)")
        print(f"gate / detection: {gate / seconds:.0%} for a 4 s clip, {gate / (15 * seconds):.1%} for 60 s")


if __name__ == "__main__":
    main()
