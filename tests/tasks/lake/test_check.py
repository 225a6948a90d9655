"""The lake check on real Delta tables damaged as a crash damages them: an empty or truncated last commit,
a gap in a log, child rows without a ``videos`` row, a run left ``running``; and ``run`` refusing a
damaged lake before it detects anything."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable

from tasks import pipeline
from tasks.errors import LakeError
from tasks.lake.check import Problem, check_lake, damaged_logs, leftovers, log_problems, stuck_runs
from tasks.lake.maintenance import checkpoint
from tasks.lake.publish import publish_batch
from tasks.lake.runs import write_run_row
from tasks.lake.store import Lake
from tests.support.lake_synth import synthetic_batch

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def run_row(run_id: str, started: datetime, status: str = "running") -> dict[str, Any]:
    return {
        "run_id": run_id, "started_at": started, "finished_at": None, "status": status,
        "videos_total": 1, "videos_published": 0, "videos_failed": 0, "videos_quarantined": 0,
        "frames_decoded": 0, "elapsed_seconds": None, "frames_per_second": None, "error": None,
        "hostname": "worker-1", "facetrack_version": "test",
    }  # fmt: skip


@pytest.fixture(scope="module")
def base_lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two published videos and a finished run: a healthy lake, built once and copied by each test."""
    lake = Lake.resolve(tmp_path_factory.mktemp("base") / "lake")
    for seed in range(2):
        publish_batch(lake, synthetic_batch(seed, frames=40))
    write_run_row(lake, run_row("run-done", NOW - timedelta(days=1), "succeeded"))
    return lake.root


@pytest.fixture
def lake(base_lake: str, tmp_path: Path) -> Lake:
    shutil.copytree(base_lake, tmp_path / "lake")
    return Lake.resolve(tmp_path / "lake")


def commits(lake: Lake, table: str) -> list[Path]:
    log = Path(lake.table_uri(table), "_delta_log")
    return sorted(p for p in log.iterdir() if p.name.endswith(".json") and p.name[:20].isdigit())


def kinds(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.table, p.kind) for p in problems]


def test_a_healthy_lake_has_no_problem(lake: Lake) -> None:
    assert damaged_logs(lake) == []
    report = check_lake(lake, now=NOW)
    assert report.problems == []
    assert report.videos == 2 and report.tables >= 6 and report.commits >= 6 * 2
    assert report.summary().startswith(f"lake OK: {report.tables} tables, {report.commits} commits, 2 videos")


def test_a_lake_checkpointed_and_republished_has_no_problem(lake: Lake) -> None:
    """Checkpoints, log cleanup and replaced rows (remove actions) are a healthy log's normal life."""
    checkpoint(lake)
    publish_batch(lake, synthetic_batch(0, frames=40))  # replaces video 0's rows: add + remove actions
    assert check_lake(lake, now=NOW).problems == []
    assert damaged_logs(lake) == []  # which parses only the commits after the checkpoint


def test_a_gap_before_a_checkpoint_is_reported_as_broken_time_travel(lake: Lake) -> None:
    checkpoint(lake, ["faces"])  # at version 2
    publish_batch(lake, synthetic_batch(3, frames=40))
    commits(lake, "faces")[1].unlink()
    (problem,) = log_problems(lake, "faces")[0]
    assert problem.kind == "gap"
    assert "reads from its checkpoint, time travel before it is broken" in problem.message


def test_an_empty_last_commit_is_reported_and_run_refuses_the_lake(lake: Lake) -> None:
    last = commits(lake, "videos")[-1]
    last.write_bytes(b"")  # what a crash (or a full disk) can leave
    assert pl.read_delta(lake.table_uri("videos")).height == 1  # delta-rs silently lost a video

    damaged = damaged_logs(lake)
    assert kinds(damaged) == [("videos", "empty_commit")]
    assert damaged[0].line().startswith(f"videos: commit {last.name} (the last one) is empty (0 bytes)")

    report = check_lake(lake, now=NOW)
    lost = synthetic_batch(1, frames=40).video_id
    assert ("videos", "empty_commit") in kinds(report.problems)
    leftover = [p for p in report.problems if p.kind == "leftover"]
    assert {p.table for p in leftover} == {"face_events", "faces", "fragments", "shots"}
    assert all(lost in p.message for p in leftover)  # the lost video is named

    with pytest.raises(LakeError, match=r"videos: commit .* is empty .*refusing to publish") as caught:
        pipeline.prepare_step(lake)
    assert "\n" not in str(caught.value)
    assert commits(lake, "videos")[-1] == last and last.stat().st_size == 0  # nothing written on top


def test_a_gap_in_a_log_is_reported(lake: Lake) -> None:
    commits(lake, "faces")[1].unlink()
    problems, _ = log_problems(lake, "faces")
    assert kinds(problems) == [("faces", "gap")]
    assert "version 1 missing between versions 0 and 2 (delta-rs refuses to read the table)" in str(
        problems[0]
    )
    assert kinds(damaged_logs(lake)) == [("faces", "gap")]
    with pytest.raises(LakeError, match="faces: the log has a gap"):
        pipeline.prepare_step(lake)


def test_a_log_without_its_first_commit_nor_a_checkpoint_is_reported(lake: Lake) -> None:
    commits(lake, "shots")[0].unlink()
    assert kinds(log_problems(lake, "shots")[0])[0] == ("shots", "gap")


def test_a_truncated_commit_is_reported(lake: Lake) -> None:
    last = commits(lake, "fragments")[-1]
    data = last.read_bytes()
    last.write_bytes(data[: len(data) // 2])  # cut mid-line
    (problem,) = damaged_logs(lake)
    assert (problem.table, problem.kind) == ("fragments", "corrupt_commit")
    assert "its last line is not JSON" in problem.message


def test_a_commit_cut_at_a_line_end_is_reported_by_its_commit_info(lake: Lake) -> None:
    """Every line parses, but the ``add`` the commitInfo announces is gone: rows lost without a trace."""
    last = commits(lake, "faces")[-1]
    lines = last.read_text().splitlines()
    last.write_text("\n".join(line for line in lines if not line.startswith('{"add"')))
    assert DeltaTable(lake.table_uri("faces")).version() == 2  # delta-rs reads it without a word
    (problem,) = damaged_logs(lake)
    assert problem.kind == "corrupt_commit" and "announces 1 add actions, it holds 0" in problem.message


def test_children_without_a_videos_row_are_leftovers_per_video(lake: Lake) -> None:
    batch = synthetic_batch(7, frames=40)
    publish_batch(lake, batch)
    DeltaTable(lake.table_uri("videos")).delete(f"video_id = '{batch.video_id}'")  # as if killed before it
    found, published = leftovers(lake)
    assert published == 2
    assert sorted(kinds(found)) == [(t, "leftover") for t in ("face_events", "faces", "fragments", "shots")]
    events = next(p for p in found if p.table == "face_events")
    rows = batch.tables["face_events"].height
    assert events.line() == (
        f"face_events: {rows} rows of video {batch.video_id} with no videos row (an interrupted publish, "
        "or one in flight; publishing the video again replaces them)"
    )
    assert damaged_logs(lake) == []  # the log is sound: run may publish (and replace them)


def test_a_run_left_running_is_stuck_after_the_threshold_and_can_be_abandoned(lake: Lake) -> None:
    write_run_row(lake, run_row("run-dead", NOW - timedelta(hours=9)))
    write_run_row(lake, run_row("run-alive", NOW - timedelta(hours=1)))
    found, alive = stuck_runs(lake, stale_hours=6, now=NOW)
    assert alive == 1 and kinds(found) == [("runs", "stuck_run")]
    assert "run run-dead on worker-1 still 'running'" in found[0].message
    assert "9.0 h ago" in found[0].message and "started_at" in found[0].message
    assert stuck_runs(lake, stale_hours=12, now=NOW)[0] == []

    report = check_lake(lake, stale_hours=6, repair_runs=True, now=NOW)
    assert report.problems == [] and report.running == 1
    assert report.repaired == ["runs: run run-dead marked abandoned (started 2026-06-01 03:00 UTC)"]
    rows = {r["run_id"]: r for r in pl.read_delta(lake.table_uri("runs")).to_dicts()}
    assert len(rows) == 3  # replaced by run_id, not appended
    assert rows["run-dead"]["status"] == "abandoned"
    assert "abandoned by lake check" in rows["run-dead"]["error"]
    assert rows["run-alive"]["status"] == "running"
    assert "1 run in progress" in report.summary()


def test_no_lake_is_an_error_and_missing_tables_are_no_problem(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match="no lake at"):
        check_lake(tmp_path / "nowhere")
    assert damaged_logs(tmp_path / "nowhere") == []
    assert not os.path.exists(tmp_path / "nowhere")


@pytest.mark.slow
def test_a_damaged_log_on_s3_is_reported(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The log is listed and read through pyarrow's S3 filesystem, configured like delta-rs."""
    from tests.support.servers import use_s3

    client = use_s3(monkeypatch, s3_endpoint, "check")
    lake = Lake.resolve("s3://check/lake")
    lake.ensure_tables(("videos",))
    assert damaged_logs(lake) == [] and check_lake(lake).problems == []

    client.put_object(Bucket="check", Key="lake/videos/_delta_log/00000000000000000002.json", Body=b"")
    assert kinds(damaged_logs(lake)) == [("videos", "gap"), ("videos", "empty_commit")]
    client.put_object(Bucket="check", Key="lake/videos/_delta_log/00000000000000000001.json", Body=b"{")
    assert kinds(check_lake(lake).problems) == [("videos", "corrupt_commit"), ("videos", "empty_commit")]


def test_an_interrupted_create_is_reported_and_a_run_creates_the_table(tmp_path: Path) -> None:
    os.makedirs(tmp_path / "lake" / "shots" / "_delta_log")  # killed before version 0 was written
    os.makedirs(tmp_path / "lake" / "faces")  # an empty folder is no table yet, and no problem
    lake = Lake.resolve(tmp_path / "lake")
    assert kinds(damaged_logs(lake)) == [("shots", "unreadable")]
    pipeline.prepare_step(lake)  # ensure_tables creates both
    assert check_lake(lake).problems == []
