"""The ``shots`` table on real Delta tables: a video's shots as rows, through the real gate; re-publishing
replaces them; a lake made before the table existed gains it at its next publish."""

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tasks.detect.result import VideoResult
from tasks.document.build import build_document
from tasks.lake import schema as lake_schema
from tasks.lake.batch import VideoBatch
from tasks.lake.normalize import normalize
from tasks.lake.publish import publish_batch, replace_video_rows
from tasks.lake.store import Lake
from tasks.query.sql import run_sql
from tasks.validate.check import validate_batch
from tasks.validate.gate import audit_and_publish
from tests.support.lake_synth import synthetic_batch, synthetic_video_id
from tests.support.results import result_with

BOX = (100.0, 100.0, 300.0, 300.0)
COLUMNS = ["shot_index", "first_frame", "last_frame", "start_seconds", "end_seconds"]


def clip(frames: int = 100, cuts: tuple[int, ...] = (), frame_rate: Fraction = Fraction(25)) -> VideoResult:
    """One face on every frame, shots cut at ``cuts``."""
    return result_with([(f, 0, BOX) for f in range(frames)], frames, frame_rate, cuts=cuts)


def batch_of(result: VideoResult, seed: int = 0) -> VideoBatch:
    return normalize(result, build_document(result), video_id=synthetic_video_id(seed), run_id="shots")


def shot_rows(lake: Lake, video_id: str) -> list[tuple[object, ...]]:
    rows = pl.read_delta(lake.table_uri("shots")).filter(pl.col("video_id") == video_id)
    return rows.sort("shot_index").select(COLUMNS).rows()


def test_a_video_with_three_shots_is_published_with_its_shots(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    batch = batch_of(clip(100, cuts=(40, 75)))

    outcome = audit_and_publish(lake, batch)

    assert outcome.success, outcome.failed
    assert shot_rows(lake, batch.video_id) == [
        (0, 0, 39, 0.0, 1.6),
        (1, 40, 74, 1.6, 3.0),
        (2, 75, 99, 3.0, 4.0),
    ]
    stored = pa.schema(DeltaTable(lake.table_uri("shots")).schema().to_arrow())
    assert stored.names == lake_schema.SHOTS.names
    # Shots and face events share one frame grid: every event falls in exactly one shot.
    per_shot = run_sql(
        lake,
        "SELECT s.shot_index, count(*) AS events FROM shots s JOIN videos v USING (video_id)"
        " JOIN face_events e ON e.video_id = s.video_id"
        " AND e.frame_index BETWEEN s.first_frame AND s.last_frame"
        " GROUP BY s.shot_index ORDER BY s.shot_index",
    ).to_pylist()
    assert per_shot == [
        {"shot_index": 0, "events": 40},
        {"shot_index": 1, "events": 35},
        {"shot_index": 2, "events": 25},
    ]


def test_shot_times_are_frames_over_the_frame_rate(tmp_path):
    rate = Fraction(30000, 1001)
    batch = batch_of(clip(90, cuts=(31,), frame_rate=rate))
    fps = float(rate)
    assert batch.tables["shots"].select(COLUMNS).rows() == [
        (0, 0, 30, 0.0, 31 / fps),
        (1, 31, 89, 31 / fps, 90 / fps),
    ]
    assert audit_and_publish(Lake(str(tmp_path / "lake")), batch).success


def test_a_result_without_shots_gets_one_shot_over_the_whole_grid(tmp_path):
    """A result made before shot detection (or by hand) has no shots; a video without a cut is one shot,
    so normalize gives it that one and every published video has at least one."""
    result = clip(60)
    result.shots = []
    batch = batch_of(result)
    assert batch.tables["shots"].select(COLUMNS).rows() == [(0, 0, 59, 0.0, 2.4)]
    assert audit_and_publish(Lake(str(tmp_path / "lake")), batch).success


def test_republishing_replaces_the_shots_and_never_duplicates_them(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    bystander, video = batch_of(clip(50, cuts=(20,)), seed=1), batch_of(clip(100, cuts=(40, 75)))
    publish_batch(lake, bystander)
    publish_batch(lake, video)
    first = pl.read_delta(lake.table_uri("shots")).sort("video_id", "shot_index")
    version = DeltaTable(lake.table_uri("shots")).version()

    report = publish_batch(lake, batch_of(clip(100, cuts=(40, 75))))  # the same video, processed again

    again = pl.read_delta(lake.table_uri("shots")).sort("video_id", "shot_index")
    assert again.equals(first) and again.height == 2 + 3
    assert DeltaTable(lake.table_uri("shots")).version() == version + 1  # one commit
    assert [c.rows for c in report.commits if c.table == "shots"] == [3]

    publish_batch(lake, batch_of(clip(100, cuts=(50,))))  # a re-run that finds other cuts
    assert shot_rows(lake, video.video_id) == [(0, 0, 49, 0.0, 2.0), (1, 50, 99, 2.0, 4.0)]
    assert shot_rows(lake, bystander.video_id) == [(0, 0, 19, 0.0, 0.8), (1, 20, 49, 0.8, 2.0)]
    keys = pl.read_delta(lake.table_uri("shots"), columns=list(lake_schema.KEYS["shots"]))
    assert keys.height == keys.unique().height == 4


def test_a_lake_made_before_the_shots_table_gains_it_at_the_next_publish(tmp_path):
    """A lake written by a facetrack without shots: every other table, one published video, no
    ``shots``. Reading it still works, the next publish creates the table with its declared schema and
    properties, and the old video keeps its rows until it is published again."""
    from tasks.lake.store import TABLE_PROPERTIES
    from tasks.validate.revalidate import PublishedRows

    lake = Lake(str(tmp_path / "lake"))
    old = synthetic_batch(seed=1)
    lake.ensure_tables(tuple(t for t in lake_schema.SCHEMAS if t != "shots"))
    for table in (t for t in lake_schema.PUBLISH_ORDER if t != "shots"):
        rows = old.tables[table].to_arrow().cast(lake_schema.SCHEMAS[table])
        replace_video_rows(lake, table, old.video_id, rows)
    assert not lake.exists("shots")
    assert run_sql(lake, "SELECT count(*) AS n FROM videos").to_pylist() == [{"n": 1}]
    before = PublishedRows(lake).batch(old.video_id, "check")  # re-validation reads it as no shots ...
    assert before.tables["shots"].height == 0 and before.tables["shots"].columns == lake_schema.SHOTS.names
    assert validate_batch(before).failed == ["videos: shots_cover_grid"]  # ... and says just that

    new = synthetic_batch(seed=2)
    publish_batch(lake, new)

    table = DeltaTable(lake.table_uri("shots"))
    assert pa.schema(table.schema().to_arrow()).names == lake_schema.SHOTS.names
    assert table.metadata().partition_columns == lake_schema.PARTITIONS["shots"]
    assert table.metadata().configuration == TABLE_PROPERTIES
    assert shot_rows(lake, new.video_id) == new.tables["shots"].sort("shot_index").select(COLUMNS).rows()
    assert shot_rows(lake, old.video_id) == []
    counts = {t: pl.read_delta(lake.table_uri(t)).height for t in ("videos", "face_events")}
    assert counts == {"videos": 2, "face_events": sum(b.tables["face_events"].height for b in (old, new))}

    publish_batch(lake, synthetic_batch(seed=1))  # the old video, processed again, gets its shots
    assert shot_rows(lake, old.video_id) == old.tables["shots"].sort("shot_index").select(COLUMNS).rows()


@pytest.mark.parametrize("engine", ["datafusion", "duckdb", "polars"])
def test_every_engine_reads_the_shots_table(tmp_path, engine):
    lake = Lake(str(tmp_path / "lake"))
    for seed in range(3):
        publish_batch(lake, synthetic_batch(seed))
    expected = sum(synthetic_batch(seed).tables["shots"].height for seed in range(3))
    query = "SELECT count(*) AS n FROM shots JOIN videos USING (video_id)"
    assert run_sql(lake, query, engine=engine).to_pylist() == [{"n": expected}]
