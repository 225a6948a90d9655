"""What Prefect costs per video, and what Dask workers buy.

    uv run python bench/orchestration_bench.py [--frames 30] [--size 320x240] [--repeat 5]
        [--dask-frames 60] [--dask-size 640x360] [--no-dask]

1. Per-video orchestration overhead: the same clip processed by the plain pipeline as ``facetrack run``
   calls it without a server (``tasks.pipeline.run_videos``: the steps plus its ``runs`` row) and by the
   ``process-video`` flow against a Prefect server (the same steps as tasks plus its ``runs`` row and
   artifact), both warmed up first (model loaded, GX imported), runs interleaved so that load from
   other processes hits both alike, median of ``--repeat`` each.
2. Scale-out: 4 different clips through ``run_videos_with_prefect`` on a Dask LocalCluster of 1 and of
   2 workers; wall time including cluster start-up, which is what a one-off batch pays.
3. Arrival latency (``--arrivals N``): ``serve`` on an inbox, N different clips moved in one at a time
   (each after the previous one's row is published); arrival (the rename into the inbox) → its
   ``videos`` row, minus the watcher's settle time and minus the pipeline's own time (the row's
   ``elapsed_seconds``): what orchestration adds. Runs in the serve process (the default) and, with
   ``--subprocess-runs``, also as one ``python -m prefect.engine`` per run (the server-side trigger).

Uses the server at PREFECT_API_URL if set, else starts a throwaway ``prefect server start`` on 127.0.0.1.
Every lake and video lives in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import demo_clip


@contextlib.contextmanager
def prefect_server(workdir: str) -> Iterator[str]:
    """The server at PREFECT_API_URL, or a throwaway ``prefect server start`` on a free local port."""
    import socket
    import subprocess
    import urllib.request

    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings

    url = os.environ.get("PREFECT_API_URL")
    if url:
        yield url
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": os.path.join(workdir, "prefect-home"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"}  # fmt: skip
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    url, started = f"http://127.0.0.1:{port}/api", time.perf_counter()
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 90:
                    raise SystemExit("prefect server did not start") from None
                time.sleep(0.3)
        print(f"prefect server started in {time.perf_counter() - started:.1f} s at {url}")
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_SERVER_ANALYTICS_ENABLED: False}):
            yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def make_clips(workdir: str, count: int, frames: int, width: int, height: int) -> list[str]:
    os.makedirs(workdir, exist_ok=True)
    return [demo_clip(os.path.join(workdir, f"clip{i}.mp4"), frames + i, width, height) for i in range(count)]


def overhead(workdir: str, clip: str, repeat: int) -> None:
    from flows.process_video import process_video
    from tasks import pipeline

    lake = os.path.join(workdir, "lake-overhead")

    def direct() -> None:
        run = pipeline.run_videos([clip], lake)
        assert run.videos[0].status == "published", run.videos[0].error

    def as_flow() -> None:
        state = process_video(video=clip, lake=lake, return_state=True)
        assert state.is_completed(), state.message

    direct()  # warm-up: detector session, GX import and suites, lake tables
    as_flow()
    plain: list[float] = []
    flowed: list[float] = []
    for _ in range(repeat):
        for action, seconds in ((direct, plain), (as_flow, flowed)):
            started = time.perf_counter()
            action()
            seconds.append(time.perf_counter() - started)
    p, f = statistics.median(plain), statistics.median(flowed)
    print(f"\n1. per-video orchestration overhead ({os.path.basename(clip)}, median of {repeat})")
    print(f"   plain pipeline      {p:6.2f} s   (runs: {', '.join(f'{s:.2f}' for s in plain)})")
    print(f"   process-video flow  {f:6.2f} s   (runs: {', '.join(f'{s:.2f}' for s in flowed)})")
    print(f"   overhead            {f - p:6.2f} s per video")


def scale_out(workdir: str, clips: list[str]) -> None:
    from flows.process_videos import run_videos_with_prefect

    print(f"\n2. {len(clips)} videos on a Dask LocalCluster (wall time incl. cluster start-up)")
    for workers in (1, 2):
        lake = os.path.join(workdir, f"lake-dask-{workers}")
        started = time.perf_counter()
        run = run_videos_with_prefect(clips, lake=lake, runner="dask", workers=workers)
        wall = time.perf_counter() - started
        statuses = sorted({str(v.status) for v in run.videos})
        detect = sum(v.detect_seconds for v in run.videos)
        print(
            f"   {workers} worker{'s' if workers > 1 else ' '}  {wall:6.1f} s   "
            f"(detection {detect:.1f} s summed over videos; {statuses})"
        )


SERVE = (
    "import sys; from flows.serve import ServeConfig, serve_forever; "
    "serve_forever(ServeConfig(inbox=sys.argv[1], lake=sys.argv[2], cron='0 0 1 1 *', workers=1, "
    "settle_seconds=float(sys.argv[3]), in_process=sys.argv[4] == 'in-process', name_suffix=sys.argv[5]))"
)


def arrivals(workdir: str, clips: list[str], settle: float, mode: str, startup_wait: float = 2.0) -> None:
    """Serve an inbox, move the clips in one by one, time each arrival → published row."""
    import shutil
    import subprocess

    from tasks.lake.store import Lake
    from tasks.video.content_id import video_id

    inbox, lake = os.path.join(workdir, f"inbox-{mode}"), os.path.join(workdir, f"lake-{mode}")
    staging = os.path.join(workdir, f"staging-{mode}")
    os.makedirs(staging, exist_ok=True)
    log_path = os.path.join(workdir, f"serve-{mode}.log")
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    command = [sys.executable, "-c", SERVE, inbox, lake, str(settle), mode, f"-bench-{mode}"]
    with open(log_path, "wb") as log:
        serve = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        started = time.perf_counter()
        while b"deployments are being served" not in Path(log_path).read_bytes():
            if serve.poll() is not None or time.perf_counter() - started > 120:
                raise SystemExit(f"serve did not start; see {log_path}")
            time.sleep(0.2)
        time.sleep(
            2.0
        )  # the watcher subscribes; the warm-up thread imports (what a real server did long ago)
        store = Lake.resolve(lake)
        rows: list[tuple[str, float, float]] = []
        for clip in clips:
            content = video_id(clip)
            staged = shutil.copy(clip, os.path.join(staging, os.path.basename(clip)))
            arrived = time.perf_counter()
            os.rename(staged, os.path.join(inbox, os.path.basename(clip)))  # complete at once
            while True:
                if store.exists("videos"):
                    table = store.open("videos").to_pyarrow_table(
                        columns=["video_id", "elapsed_seconds"], filters=[("video_id", "=", content)]
                    )
                    if table.num_rows:
                        break
                if time.perf_counter() - arrived > 300:
                    raise SystemExit(f"{clip} not published after 300 s; see {log_path}")
                time.sleep(0.1)
            latency = time.perf_counter() - arrived
            rows.append((os.path.basename(clip), latency, float(table.column("elapsed_seconds")[0].as_py())))
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(30)
    print(f"\n3. arrival → published, runs {mode} (settle {settle:.1f} s)")
    for name, latency, engine in rows:
        print(
            f"   {name:12s} {latency:6.2f} s   pipeline {engine:5.2f} s   "
            f"orchestration {latency - engine - settle:5.2f} s"
        )
    overheads = [latency - engine - settle for _name, latency, engine in rows]
    print(
        f"   median orchestration {statistics.median(overheads):.2f} s (first {overheads[0]:.2f} s) "
        f"beyond the settle time; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="frames of the overhead clip")
    parser.add_argument("--size", default="320x240", help="WIDTHxHEIGHT of the overhead clip")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per variant for the overhead")
    parser.add_argument("--dask-frames", type=int, default=60, help="frames per clip for the Dask batch")
    parser.add_argument("--dask-size", default="640x360", help="WIDTHxHEIGHT of the Dask batch's clips")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask scale-out")
    parser.add_argument("--no-overhead", action="store_true", help="skip the per-video overhead")
    parser.add_argument("--arrivals", type=int, default=0, help="clips moved into a served inbox (0: skip)")
    parser.add_argument("--settle", type=float, default=1.0, help="the watcher's settle seconds")
    parser.add_argument(
        "--startup-wait", type=float, default=2.0, help="seconds between serve starting and the first clip"
    )
    parser.add_argument(
        "--subprocess-runs", action="store_true", help="also time serve with a subprocess per run"
    )
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    dask_width, dask_height = (int(v) for v in args.dask_size.lower().split("x"))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(
        f"overhead clip {width}x{height}, {args.frames} frames; "
        f"Dask clips {dask_width}x{dask_height}, ~{args.dask_frames} frames"
    )
    with tempfile.TemporaryDirectory(prefix="facetrack-orch-bench-") as workdir:
        (single,) = make_clips(os.path.join(workdir, "single"), 1, args.frames, width, height)
        with prefect_server(workdir):
            if not args.no_overhead:
                overhead(workdir, single, args.repeat)
            if args.arrivals:
                for mode in ("in-process", *(("subprocess",) if args.subprocess_runs else ())):
                    clips = make_clips(
                        os.path.join(workdir, f"arrivals-{mode}"), args.arrivals, args.frames, width, height
                    )
                    arrivals(workdir, clips, args.settle, mode, args.startup_wait)
            if not args.no_dask:
                batch = make_clips(
                    os.path.join(workdir, "batch"), 4, args.dask_frames, dask_width, dask_height
                )
                scale_out(workdir, batch)
    print(
        f"load average {os.getloadavg()[0]:.1f} at the end (other processes on this machine skew the figures)"
    )


if __name__ == "__main__":
    main()
