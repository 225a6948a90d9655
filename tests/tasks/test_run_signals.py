"""A run that is stopped: SIGTERM and SIGINT end it with one line and a failed ``runs`` row; a run that
lives rewrites its heartbeat; one whose heartbeat stopped is found by ``lake check``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

from tasks import pipeline
from tasks.lake.check import stuck_runs
from tasks.lake.runs import write_run_row
from tasks.lake.store import Lake
from tests.support.media import write_video

FACETRACK = "import sys; from flows.cli import main; sys.exit(main())"


def runs(lake: str) -> list[dict]:
    return pl.read_delta(os.path.join(lake, "runs")).to_dicts()


def test_a_live_run_beats_and_a_silent_one_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "HEARTBEAT_SECONDS", 0.3)
    lake = Lake.resolve(str(tmp_path / "lake"))
    lake.ensure_tables()
    with pipeline.recorded_run(lake, "run-beating", 1):
        time.sleep(1.5)
        (row,) = runs(lake.root)
        assert row["status"] == "running" and row["updated_at"] > row["started_at"] + timedelta(seconds=0.3)
    assert runs(lake.root)[0]["status"] == "succeeded"  # its final row replaces the running one

    now = datetime.now(UTC)
    dead = {**runs(lake.root)[0], "run_id": "run-dead", "status": "running", "finished_at": None}
    write_run_row(
        lake, {**dead, "started_at": now - timedelta(minutes=30), "updated_at": now - timedelta(minutes=20)}
    )
    alive = {**dead, "run_id": "run-alive", "started_at": now - timedelta(hours=9), "updated_at": now}
    write_run_row(lake, alive)
    problems, running = stuck_runs(lake, now=now)
    assert running == 1  # nine hours old but beating: alive
    assert [p.message.split(",")[0] for p in problems] == [
        f"run run-dead on {dead['hostname']} still 'running'"
    ]
    assert "no heartbeat since" in problems[0].message


@pytest.mark.slow
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_the_run_in_one_line_and_marks_it_failed(tmp_path: Path, sent: signal.Signals) -> None:
    video = write_video(tmp_path / "long.mp4", frames=600, fps=Fraction(25), width=320, height=240)
    lake = str(tmp_path / "lake")
    process = subprocess.Popen(
        [sys.executable, "-c", FACETRACK, "run", video, "--lake", lake],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (os.path.isdir(os.path.join(lake, "runs", "_delta_log")) and runs(lake)):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.2)
    time.sleep(1.0)  # into the detection
    process.send_signal(sent)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + sent, stderr
    assert stderr.strip().splitlines()[-1] == f"facetrack: interrupted by {sent.name}"
    assert "Traceback" not in stderr
    (row,) = runs(lake)
    assert row["status"] == "failed" and row["finished_at"] is not None
    assert row["error"] == f"interrupted by {sent.name}"
    assert pl.read_delta(os.path.join(lake, "videos")).height == 0
