"""``facetrack lake check``: one line per problem and exit 1, a one-line summary and exit 0 on a healthy
lake; ``--repair-runs``; and ``facetrack run`` refusing a damaged lake before it detects anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from flows.cli.lake import check
from tasks.lake.check import DEFAULT_STALE_HOURS
from tasks.lake.publish import publish_batch
from tasks.lake.runs import write_run_row
from tasks.lake.store import Lake
from tests.support.lake_synth import synthetic_batch


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake.resolve(tmp_path / "lake")
    publish_batch(lake, synthetic_batch(0, frames=30))
    return lake


def last_commit(lake: Lake, table: str) -> Path:
    return max(Path(lake.table_uri(table), "_delta_log").glob("0*.json"))


def test_a_healthy_lake_is_ok(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lake", "check", "--lake", lake.root]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lake OK: ") and ", 1 video, no leftovers" in out
    assert out.count("\n") == 1


def test_a_damaged_lake_prints_one_line_per_problem_and_exits_1(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    last_commit(lake, "videos").write_bytes(b"")
    assert main(["lake", "check", "--lake", lake.root]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("videos: commit 00000000000000000001.json (the last one) is empty (0 bytes)")
    assert sorted(line.split(":")[0] for line in lines[1:]) == ["face_events", "faces", "fragments", "shots"]
    assert all("with no videos row" in line for line in lines[1:])
    assert err == f"facetrack: lake check: {len(lines)} problems\n"


def test_repair_runs_marks_a_stuck_run_abandoned(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    started = datetime.now(UTC) - timedelta(hours=8)
    write_run_row(
        lake,
        {
            "run_id": "run-dead", "started_at": started, "status": "running", "videos_total": 1,
            "videos_published": 0, "videos_failed": 0, "videos_quarantined": 0, "frames_decoded": 0,
            "hostname": "worker-1", "facetrack_version": "test",
        },
    )  # fmt: skip
    assert main(["lake", "check", "--lake", lake.root]) == 1
    assert capsys.readouterr().out.startswith("runs: run run-dead on worker-1 still 'running', started ")
    assert main(["lake", "check", "--lake", lake.root, "--stale-hours", "12"]) == 0
    capsys.readouterr()

    assert main(["lake", "check", "--lake", lake.root, "--repair-runs"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("runs: run run-dead marked abandoned (started ") and out[1].startswith("lake OK")
    assert pl.read_delta(lake.table_uri("runs"))["status"].to_list() == ["abandoned"]


def test_no_lake_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lake", "check", "--lake", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == f"facetrack: error: no lake at {tmp_path / 'nowhere'}\n"


def test_run_refuses_a_damaged_lake_before_detection(
    lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    last_commit(lake, "videos").write_bytes(b"")
    runs_before = sorted(Path(lake.table_uri("runs"), "_delta_log").iterdir())
    video = tmp_path / "never-read.mp4"  # refused before any video is opened
    assert main(["run", str(video), "--lake", lake.root]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refusing to publish" in err
    assert "videos: commit 00000000000000000001.json (the last one) is empty (0 bytes)" in err
    assert sorted(Path(lake.table_uri("runs"), "_delta_log").iterdir()) == runs_before  # no runs row


def test_the_default_stale_hours_is_the_library_s() -> None:
    import inspect

    assert inspect.signature(check).parameters["stale_hours"].default == DEFAULT_STALE_HOURS


def test_lake_migrate_on_a_current_lake_changes_nothing(tmp_path, capsys) -> None:
    from flows.cli import main
    from tasks.lake.store import Lake

    Lake.resolve(str(tmp_path / "lake")).ensure_tables()
    assert main(["lake", "migrate", "--lake", str(tmp_path / "lake")]) == 0
    assert capsys.readouterr().out.strip() == "lake is current: nothing to migrate"
