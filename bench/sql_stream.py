"""`facetrack sql` streaming benchmark: peak memory of a result far bigger than memory should need.

    uv run python bench/sql_stream.py [--rows 4000000] [--keep DIR] [--engines datafusion,duckdb,polars]
                                      [--formats table,csv,json,parquet]

Builds a lake whose face_events table holds ``--rows`` synthetic rows (written straight through
deltalake in 500k-row appends: seconds, not the minutes a publish per video would take; 400 videos, 16
partitions), then runs ``facetrack sql "SELECT * FROM face_events" --format F`` as a child process per
engine and format, twice where the format allows: its output piped to this process (which reads and
counts the bytes, checking a JSON result ends with its closing bracket, i.e. was not cut off) and
written to ``-o /dev/null``. Prints, per run, the child's peak RSS (``os.wait4``'s rusage of that one
child), wall time, rows and bytes. A flat-memory result shows as the same peak for 4 M rows as for a
few: compare with the ``SELECT 1`` line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pyarrow as pa

from tasks.lake import schema as lake_schema
from tasks.lake.store import Lake

CHUNK = 500_000
VIDEOS = 400

# The measured process is forked by this small launcher, not by the benchmark: a child's ru_maxrss
# includes what it inherited before exec, and the benchmark itself holds pyarrow and deltalake.
LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\nMAXRSS {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""
ENTRY = ["-c", "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"]


def build(lake: Lake, rows: int) -> None:
    """``rows`` face events across VIDEOS synthetic videos, in CHUNK-row appends."""
    from deltalake import write_deltalake

    lake.ensure_tables(("face_events",))
    rng = np.random.default_rng(0)
    ids = np.array([f"{rng.integers(0, 2**63):016x}" * 4 for _ in range(VIDEOS)])
    uri = lake.table_uri("face_events")
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        video = np.sort(rng.integers(0, VIDEOS, n))
        frame = np.arange(start, start + n, dtype=np.int64)
        columns: dict[str, object] = {
            "video_id": ids[video],
            "face_id": rng.integers(0, 8, n, dtype=np.int32),
            "frame_index": frame,
            "pts": frame * 512,
            "time_seconds": frame / 25.0,
            "x": rng.random(n),
            "y": rng.random(n),
            "width": rng.random(n) * 0.3,
            "height": rng.random(n) * 0.3,
            "confidence": rng.random(n, dtype=np.float32),
            **{name: rng.random(n, dtype=np.float32) for name in lake_schema.LANDMARK_COLUMNS},
            "fragment_index": (frame // 50).astype(np.int32),
            lake_schema.FACE_EVENTS_PARTITION: np.array([i[: lake_schema.VIDEO_BUCKET_DIGITS] for i in ids])[
                video
            ],
            "detected": rng.random(n) > 0.3,
        }
        table = pa.table(
            {f.name: pa.array(columns[f.name], type=f.type) for f in lake_schema.FACE_EVENTS},
            schema=lake_schema.FACE_EVENTS,
        )
        write_deltalake(uri, table, mode="append", storage_options=lake.storage_options or None)
        print(f"  ... {start + n:,} rows", file=sys.stderr)


def _drain(pipe: object, counted: list[int], tail: list[bytes]) -> None:
    assert hasattr(pipe, "read")
    while chunk := pipe.read(1 << 20):
        counted[0] += len(chunk)
        tail[0] = (tail[0] + chunk)[-16:]


def measure(args: list[str], to_stdout: bool) -> tuple[float, float, int, bytes, str]:
    """Run ``facetrack`` with ``args``; its peak RSS (MiB), seconds, stdout bytes and last bytes."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, sys.executable, *ENTRY, *args],
        stdout=subprocess.PIPE if to_stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    counted, tail = [0], [b""]
    drain = None
    if to_stdout:
        drain = threading.Thread(target=_drain, args=(child.stdout, counted, tail))
        drain.start()
    assert child.stderr is not None
    err = child.stderr.read().decode(errors="replace")
    code = child.wait()
    if drain:
        drain.join()
    seconds = time.perf_counter() - started
    lines = err.strip().splitlines()
    peak = int(lines.pop().split()[1]) / 1024 if lines and lines[-1].startswith("MAXRSS") else float("nan")
    message = "\n".join(lines).strip()
    if code != 0:
        message = f"exit {code}: {message}"
    return peak, seconds, counted[0], tail[0], message


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--keep", help="build (or reuse) the lake here and keep it")
    parser.add_argument("--engines", default="datafusion")
    parser.add_argument("--formats", default="table,csv,json,parquet")
    parser.add_argument("--outputs", default="stdout,file", help="stdout (a pipe), file (-o /dev/null)")
    args = parser.parse_args()

    root = args.keep or tempfile.mkdtemp(prefix="facetrack-sql-stream-")
    lake = Lake.resolve(root)
    try:
        if not lake.exists("face_events") or lake.open("face_events").count() < args.rows:
            if os.path.exists(root):
                shutil.rmtree(root)
            started = time.perf_counter()
            build(lake, args.rows)
            print(f"built {args.rows:,} face_events rows in {time.perf_counter() - started:.1f} s at {root}")
        rows = lake.open("face_events").count()
        print(f"lake: {root}, face_events: {rows:,} rows")
        print(
            f"{'engine':<11} {'format':<8} {'output':<10} {'peak RSS':>9} {'seconds':>8} {'stdout bytes':>14}"
        )
        rss, seconds, *_ = measure(["sql", "SELECT 1", "--lake", root], to_stdout=True)
        print(f"{'datafusion':<11} {'SELECT 1':<8} {'stdout':<10} {rss:>5.0f} MiB {seconds:>8.1f}")
        query = "SELECT * FROM face_events"
        for engine in args.engines.split(","):
            for fmt in args.formats.split(","):
                for output in args.outputs.split(","):
                    if fmt == "parquet" and output == "stdout":
                        continue  # Parquet is binary: -o only
                    extra = ["-o", os.devnull] if output == "file" else []
                    cli = ["sql", query, "--lake", root, "--format", fmt, "--engine", engine, *extra]
                    rss, seconds, size, tail, err = measure(cli, to_stdout=output == "stdout")
                    note = ""
                    if fmt == "json" and output == "stdout":
                        note = "  complete" if tail.endswith(b"]\n") else f"  CUT OFF (ends {tail!r})"
                    if fmt == "table" and output == "stdout":
                        note = "  " + tail.decode(errors="replace").strip()[-14:]
                    shown = f"{size:>14,}" if output == "stdout" else f"{'-':>14}"
                    label = "stdout" if output == "stdout" else "/dev/null"
                    line = f"{engine:<11} {fmt:<8} {label:<10} {rss:>5.0f} MiB {seconds:>8.1f} {shown}{note}"
                    print(line + (f"  [{err.splitlines()[-1]}]" if err and "rows ->" not in err else ""))
                    sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
