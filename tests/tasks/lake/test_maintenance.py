"""Maintenance on a real lake: optimize compacts and z-orders without changing a row, vacuum keeps time
travel inside its retention and refuses a zero retention, checkpoints are written."""

from __future__ import annotations

import os

import polars as pl
import pytest
from deltalake import DeltaTable

from flows.cli import main
from tasks.errors import LakeError
from tasks.lake import schema as lake_schema
from tasks.lake.maintenance import checkpoint, file_count, optimize, vacuum
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake
from tests.support.lake_synth import synthetic_batch


@pytest.fixture
def lake(tmp_path):
    lake = Lake.resolve(tmp_path / "lake")
    for seed in range(12):
        publish_batch(lake, synthetic_batch(seed))
    publish_batch(lake, synthetic_batch(0))  # a replaced file, for vacuum to find later
    return lake


def snapshot(lake: Lake) -> dict[str, pl.DataFrame]:
    return {
        t: pl.read_delta(lake.table_uri(t)).sort(list(lake_schema.KEYS[t])) for t in lake_schema.PUBLISH_ORDER
    }


def test_optimize_compacts_and_zorders_without_changing_a_row(lake, capsys):
    before = snapshot(lake)
    files_before = {t: file_count(lake, t) for t in lake_schema.PUBLISH_ORDER}
    assert files_before["videos"] == 12

    assert main(["lake", "optimize", "--lake", lake.root]) == 0
    out = capsys.readouterr().out
    assert f"videos: {files_before['videos']} -> 1 files" in out

    after = {t: file_count(lake, t) for t in lake_schema.PUBLISH_ORDER}
    buckets = {lake_schema.video_bucket(synthetic_batch(s).video_id) for s in range(12)}
    assert after["face_events"] == len(buckets)  # one file per partition
    assert after["videos"] == after["faces"] == after["fragments"] == after["shots"] == 1
    for table, frame in snapshot(lake).items():
        assert frame.equals(before[table]), table
    assert DeltaTable(lake.table_uri("face_events")).history(1)[0]["operation"] == "OPTIMIZE"
    for uri in DeltaTable(lake.table_uri("face_events")).file_uris():
        # z-ordered by (video_id, face_id): every video, and every track in it, is one contiguous run
        rows = pl.read_parquet(uri, columns=["video_id", "face_id"])
        if rows["video_id"].n_unique() == 1:
            continue  # a partition of one video's file is left as published (frame order)
        track = pl.struct("video_id", "face_id")
        changes = rows.select(
            (pl.col("video_id") != pl.col("video_id").shift(1)).sum().alias("videos"),
            (track != track.shift(1)).sum().alias("tracks"),
        ).row(0)
        assert changes == (rows["video_id"].n_unique() - 1, rows.select(track.n_unique()).item() - 1)

    again = optimize(lake)
    assert all(r["partitions_rewritten"] == 0 for r in again.values())  # settled partitions are left alone


def test_vacuum_keeps_time_travel_inside_the_retention(lake, capsys):
    optimize(lake)
    removed = vacuum(lake)  # default retention: a week; nothing here is that old
    assert set(removed.values()) == {0}
    old = DeltaTable(lake.table_uri("face_events"), version=1).to_pyarrow_table()
    assert old.num_rows == synthetic_batch(0).tables["face_events"].height

    assert main(["lake", "vacuum", "--lake", lake.root, "--retain-hours", "1", "--dry-run"]) == 0
    assert "face_events: would remove 0 files" in capsys.readouterr().out


def test_vacuum_refuses_a_retention_that_would_break_writers_and_time_travel(lake, capsys):
    with pytest.raises(LakeError, match="minimum 1 hour"):
        vacuum(lake, retain_hours=0)
    assert main(["lake", "vacuum", "--lake", lake.root, "--retain-hours", "0"]) == 2
    assert "refusing to vacuum" in capsys.readouterr().err


def test_checkpoint_writes_a_parquet_checkpoint(lake, capsys):
    assert main(["lake", "checkpoint", "--lake", lake.root, "--table", "videos"]) == 0
    assert "videos: checkpoint at version 13" in capsys.readouterr().out
    log = os.listdir(os.path.join(lake.table_uri("videos"), "_delta_log"))
    assert "00000000000000000013.checkpoint.parquet" in log
    assert checkpoint(lake)["face_events"] == 13
    assert DeltaTable(lake.table_uri("videos")).count() == 12


def test_maintenance_of_a_missing_lake_is_one_clear_error(tmp_path, capsys):
    assert main(["lake", "optimize", "--lake", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.startswith("facetrack: error: no lake at")


def test_history_lists_the_versions_time_travel_reaches(lake, capsys):
    from tasks.lake.maintenance import history

    latest = history(lake, "videos", limit=2)
    assert [r["version"] for r in latest] == [13, 12]
    assert latest[0]["operation"] == "publish" and latest[0]["video_id"] == synthetic_batch(0).video_id
    assert main(["lake", "history", "--lake", lake.root, "--table", "face_events", "-f", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "version,time,operation,video_id,run_id,rows_added" and len(out) == 1 + 14
