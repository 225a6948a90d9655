"""A lake made by an older facetrack (reserved words as column names, FFmpeg's container lists): writes
refuse it with one line, ``migrate_lake`` renames its columns in one commit per table, and it publishes
again afterwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from tasks.document.rebuild import document_from_rows
from tasks.errors import LakeError
from tasks.lake import schema as lake_schema
from tasks.lake.migrate import OLD_LAKE, RENAMED, migrate_lake, outdated_tables
from tasks.lake.publish import delete_video, publish_batch
from tasks.lake.runs import write_run_row
from tasks.lake.schema import container_name
from tasks.lake.store import TABLE_PROPERTIES, Lake
from tasks.query.sql import run_sql
from tasks.validate.quarantine import quarantine_schema, quarantine_uri
from tasks.validate.results_table import (
    VALIDATIONS,
    Stamp,
    append_validations,
    rows_from_contract,
    to_frame,
)
from tests.support.lake_synth import synthetic_batch

OLD_NAMES = {table: {new: old for old, new in renamed.items()} for table, renamed in RENAMED.items()}
LONG_CONTAINER = "mov,mp4,m4a,3gp,3g2,mj2"


def _old(schema: pa.Schema, table: str) -> pa.Schema:
    back = OLD_NAMES.get(table, {})
    return pa.schema([field.with_name(back.get(field.name, field.name)) for field in schema])


def _write_old(uri: str, data: pa.Table, table: str, properties: dict[str, str] | None) -> None:
    """A table as an older facetrack wrote it: the old column names, straight through write_deltalake."""
    old = data.rename_columns(_old(data.schema, table).names).cast(_old(data.schema, table))
    partitions = lake_schema.PARTITIONS.get(table) or None
    DeltaTable.create(uri, old.schema, partition_by=partitions, name=table, configuration=properties)
    write_deltalake(uri, old, mode="append", partition_by=partitions)


def old_lake(root: str) -> tuple[Lake, dict[str, int]]:
    """Two published videos, a validation record and an (empty) quarantine, in the old layout."""
    lake = Lake(root)
    batches = [synthetic_batch(seed) for seed in (3, 4)]
    counts = {}
    for table in lake_schema.PUBLISH_ORDER:
        frames = [b.tables[table] for b in batches]
        if table == "videos":
            frames = [f.with_columns(pl.lit(LONG_CONTAINER).alias("container")) for f in frames]
        data = pl.concat(frames).to_arrow().cast(lake_schema.SCHEMAS[table])
        _write_old(lake.table_uri(table), data, table, TABLE_PROPERTIES)
        counts[table] = data.num_rows
    stamp = Stamp("old-run", batches[0].video_id, datetime(2025, 1, 1, tzinfo=UTC), "1.0")
    validations = to_frame(rows_from_contract([], stamp)).to_arrow().cast(VALIDATIONS)
    _write_old(lake.table_uri("validations"), validations, "validations", None)  # no properties: as made
    counts["validations"] = validations.num_rows
    _write_old(quarantine_uri(lake, "videos"), quarantine_schema("videos").empty_table(), "videos", None)
    counts["quarantine_videos"] = 0
    return lake, counts


def columns(lake: Lake, table: str) -> list[str]:
    return [field.name for field in lake.open(table).schema().fields]


def test_container_short_name() -> None:
    assert container_name(LONG_CONTAINER, "/videos/clip.mp4") == "mp4"
    assert container_name(LONG_CONTAINER, "/videos/CLIP.MOV") == "mov"
    assert container_name(LONG_CONTAINER, "talk.m4a") == "m4a"
    assert container_name(LONG_CONTAINER, "s3://bucket/noext") == "mov"  # no extension: the first
    assert container_name("matroska,webm", "x.webm") == "webm"
    assert container_name("matroska,webm", "x.mkv") == "matroska"  # mkv is no member: the first
    assert container_name("avi", "x.avi") == "avi"


def test_a_new_lake_has_no_reserved_words_and_short_containers(tmp_path: Any) -> None:
    lake = Lake(str(tmp_path / "lake"))
    batch = synthetic_batch(0)
    publish_batch(lake, batch)
    assert outdated_tables(lake) == {}
    assert batch.tables["videos"]["container"].to_list() == ["mp4"]  # probed as FFmpeg's list
    sql = (
        "SELECT v.interval_ticks, v.processing_fps, f.start_ticks, f.duration_ticks, f.interval_ticks"
        " FROM videos v JOIN fragments f USING (video_id) WHERE f.start_ticks >= 0"
    )
    for engine in ("datafusion", "duckdb", "polars"):  # unquoted on every engine: no reserved word
        assert run_sql(lake, sql, engine=engine).num_rows == batch.tables["fragments"].height, engine


def test_an_old_lake_is_refused_with_one_line_then_migrated_and_published(tmp_path: Any) -> None:
    lake, counts = old_lake(str(tmp_path / "lake"))
    assert set(outdated_tables(lake)) == {"videos", "fragments", "validations", "quarantine_videos"}
    before = {table: lake.open(table).version() for table in counts}

    with pytest.raises(LakeError) as refused:
        publish_batch(lake, synthetic_batch(5))
    message = str(refused.value)
    assert message.startswith(OLD_LAKE) and "\n" not in message
    assert "fragments (start, duration, interval)" in message
    stamp = Stamp("new-run", synthetic_batch(5).video_id, datetime(2026, 1, 1, tzinfo=UTC), "1.0")
    refusals: list[Callable[[], object]] = [
        lambda: append_validations(lake, to_frame(rows_from_contract([], stamp))),  # the gate's record
        lambda: write_run_row(lake, {"run_id": "r"}),  # a run's first row
        lambda: delete_video(lake, synthetic_batch(3).video_id),
    ]
    for refused_write in refusals:
        with pytest.raises(LakeError, match="run `facetrack lake migrate`"):
            refused_write()
    assert {table: lake.open(table).version() for table in counts} == before  # nothing written

    from tasks.lake.check import check_lake

    outdated = [p for p in check_lake(lake).problems if p.kind == "outdated"]
    assert {p.table for p in outdated} >= {"videos", "fragments"}
    assert all("run `facetrack lake migrate`" in p.message for p in outdated)
    done = migrate_lake(lake)
    assert [line.split(":")[0] for line in done] == [
        "validations", "quarantine_videos", "fragments", "videos", "validations", "quarantine_videos"
    ]  # fmt: skip
    assert outdated_tables(lake) == {}
    for table, count in counts.items():
        assert lake.open(table).count() == count, table
    for table in lake_schema.PUBLISH_ORDER:
        assert columns(lake, table) == lake_schema.SCHEMAS[table].names, table
        assert lake.open(table).metadata().configuration == TABLE_PROPERTIES, table
    assert columns(lake, "videos")[14] == "interval_ticks"  # renamed in place, not appended
    assert columns(lake, "validations") == VALIDATIONS.names
    assert columns(lake, "quarantine_videos") == quarantine_schema("videos").names
    for table in ("validations", "quarantine_videos"):  # made without the properties: now they have them
        assert lake.open(table).metadata().configuration == TABLE_PROPERTIES, table
    after = {table: lake.open(table).version() for table in counts}
    assert {t: after[t] - before[t] for t in counts} == {
        "face_events": 0, "faces": 0, "shots": 0, "fragments": 1, "videos": 1,
        "validations": 2, "quarantine_videos": 2,
    }  # fmt: skip
    videos = pl.read_delta(lake.table_uri("videos"))
    assert videos["container"].to_list() == ["mp4", "mp4"]
    assert pa.schema(lake.open("videos").schema().to_arrow()).field("interval_ticks").nullable is False

    assert migrate_lake(lake) == []  # idempotent: nothing left to do, no commit
    assert {table: lake.open(table).version() for table in counts} == after

    events = pl.read_delta(lake.table_uri("face_events"))
    old_batch = synthetic_batch(3)
    video = videos.filter(pl.col("video_id") == old_batch.video_id).row(0, named=True)
    mine = events.filter(pl.col("video_id") == old_batch.video_id)
    assert document_from_rows(video, mine) == old_batch.document  # the migrated rows still round-trip

    new = synthetic_batch(5)
    publish_batch(lake, new)  # accepted now
    publish_batch(lake, old_batch)  # re-publishing a migrated video replaces its rows
    assert lake.open("videos").count() == 3
    assert lake.open("fragments").count() == counts["fragments"] + new.tables["fragments"].height
    assert columns(lake, "fragments") == lake_schema.FRAGMENTS.names
