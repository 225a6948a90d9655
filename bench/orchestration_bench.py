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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="frames of the overhead clip")
    parser.add_argument("--size", default="320x240", help="WIDTHxHEIGHT of the overhead clip")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per variant for the overhead")
    parser.add_argument("--dask-frames", type=int, default=60, help="frames per clip for the Dask batch")
    parser.add_argument("--dask-size", default="640x360", help="WIDTHxHEIGHT of the Dask batch's clips")
    parser.add_argument("--no-dask", action="store_true", help="only measure the overhead")
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
            overhead(workdir, single, args.repeat)
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
