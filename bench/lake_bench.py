"""Lake benchmark: ingest speed, one-video query with and without pushdown, optimize, SQL engines.

    uv run python bench/lake_bench.py [--videos 220] [--frames 1500] [--faces 3] [--keep DIR]

Builds a lake of synthetic videos (the lake never looks at pixels, so synthesized rows measure exactly
what real ones would), publishing each video the way `facetrack run` does: one commit per table. Prints:

- ingest: face_events rows/s through normalize + publish (and publish alone);
- per SQL engine, before and after `lake optimize`: the one-video query (`WHERE video_id = ...`) with
  pushdown, the same query with the filter hidden from the scan, and a full join-and-aggregate, end to
  end through `run_sql` (open the tables + plan + execute), median of 5 runs; plus how many files the
  one-video query opens;
- data files per table before/after `lake optimize`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import synthetic_result, synthetic_video_id

from tasks.document.build import build_document
from tasks.lake import schema as lake_schema
from tasks.lake.maintenance import file_count, optimize
from tasks.lake.normalize import normalize
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake
from tasks.query.sql import run_sql
from tasks.settings import SQL_ENGINES

AGGREGATE = (
    "SELECT v.file_name, count(DISTINCT e.face_id) AS faces, count(*) AS events "
    "FROM videos v JOIN face_events e USING (video_id) GROUP BY v.file_name ORDER BY events DESC LIMIT 5"
)


def median_ms(action: Callable[[], object], repeat: int = 5) -> float:
    action()  # warm: imports, first-call caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def build(lake: Lake, videos: int, frames: int, faces: int) -> tuple[int, float, float]:
    rows, total, publishing = 0, 0.0, 0.0
    for seed in range(videos):
        result = synthetic_result(seed, frames=frames, faces=faces)
        started = time.perf_counter()
        batch = normalize(result, build_document(result), video_id=synthetic_video_id(seed), run_id="bench")
        middle = time.perf_counter()
        publish_batch(lake, batch)
        done = time.perf_counter()
        total += done - started
        publishing += done - middle
        rows += batch.tables["face_events"].height
        if (seed + 1) % 50 == 0:
            print(f"  ... {seed + 1} videos, {rows:,} face events", file=sys.stderr)
    return rows, total, publishing


def files_opened(lake: Lake, video_id: str) -> tuple[int, int]:
    """Data files the log's statistics leave for `video_id = ...`, out of all (what every engine opens)."""
    dt = lake.open("face_events")
    return len(dt.file_uris(file_pruning_predicate=f"video_id = '{video_id}'")), len(dt.file_uris())


def engine_figures(lake: Lake, video_id: str, label: str) -> None:
    """Per engine: the one-video query with its filter pushed into the scan, the same query with the
    filter hidden from the scan (`video_id || '' = ...`: same rows, every file read), and a full
    join-and-aggregate. End to end through run_sql, as `facetrack sql` runs them."""
    pushed = f"SELECT count(*) AS n, avg(confidence) AS c FROM face_events WHERE video_id = '{video_id}'"
    hidden = pushed.replace("WHERE video_id =", "WHERE video_id || '' =")
    opened, total = files_opened(lake, video_id)
    print(f"{label}: one-video query opens {opened} of {total} face_events files; median ms:")
    print(f"  {'engine':<11} {'pushdown':>9} {'no pushdown':>12} {'aggregate':>10}")
    for engine in SQL_ENGINES:
        assert run_sql(lake, pushed, engine).to_pylist() == run_sql(lake, hidden, engine).to_pylist()
        figures = [median_ms(lambda q=q, e=engine: run_sql(lake, q, e)) for q in (pushed, hidden, AGGREGATE)]
        print(f"  {engine:<11} {figures[0]:>9.1f} {figures[1]:>12.1f} {figures[2]:>10.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=220)
    parser.add_argument("--frames", type=int, default=1500, help="frames per video (1500 = 1 min at 25 fps)")
    parser.add_argument("--faces", type=int, default=3, help="face tracks per video")
    parser.add_argument("--keep", help="build the lake here and keep it (default: a temporary directory)")
    args = parser.parse_args()

    root = args.keep or tempfile.mkdtemp(prefix="facetrack-lake-bench-")
    if os.path.exists(root):
        shutil.rmtree(root)
    lake = Lake.resolve(root)
    lake.ensure_tables()
    print(f"lake: {root}; {args.videos} videos x {args.frames} frames x {args.faces} tracks", file=sys.stderr)
    try:
        rows, total, publishing = build(lake, args.videos, args.frames, args.faces)
        print(f"ingest: {rows:,} face events from {args.videos} videos in {total:.1f} s")
        per_video = total / args.videos * 1000
        print(f"  normalize + publish: {rows / total:,.0f} rows/s ({per_video:.0f} ms per video)")
        print(f"  publish alone (4 commits per video): {rows / publishing:,.0f} rows/s")
        video_id = synthetic_video_id(args.videos // 2)

        engine_figures(lake, video_id, "before optimize")
        before = {t: file_count(lake, t) for t in lake_schema.PUBLISH_ORDER}
        started = time.perf_counter()
        optimize(lake)
        seconds = time.perf_counter() - started
        after = {t: file_count(lake, t) for t in lake_schema.PUBLISH_ORDER}
        print(f"optimize ({seconds:.1f} s): data files before -> after")
        for table in lake_schema.PUBLISH_ORDER:
            print(f"  {table:<12} {before[table]:>5} -> {after[table]}")
        engine_figures(lake, video_id, "after optimize")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
