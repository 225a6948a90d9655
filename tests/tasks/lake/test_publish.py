"""Publishing to real Delta tables on disk: schema, idempotency, one commit per table, round trip."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tasks.document.build import build_document
from tasks.document.rebuild import document_from_rows
from tasks.errors import ContractError, LakeError
from tasks.lake import schema as lake_schema
from tasks.lake.normalize import normalize
from tasks.lake.publish import delete_video, publish_batch
from tasks.lake.store import Lake
from tasks.settings import DetectorSettings
from tests.support.lake_synth import synthetic_batch, synthetic_result, synthetic_video_id


def row_counts(lake: Lake) -> dict[str, int]:
    return {t: DeltaTable(lake.table_uri(t)).count() for t in lake_schema.PUBLISH_ORDER}


def versions(lake: Lake) -> dict[str, int]:
    return {t: DeltaTable(lake.table_uri(t)).version() for t in lake_schema.PUBLISH_ORDER}


def expected_counts(*batches) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t: sum(b.tables[t].height for b in batches) for t in lake_schema.PUBLISH_ORDER}


def test_tables_have_the_declared_schema_and_partitioning(tmp_path):
    lake = Lake.resolve(tmp_path / "lake")
    publish_batch(lake, synthetic_batch(0))
    for table, schema in lake_schema.SCHEMAS.items():
        dt = DeltaTable(lake.table_uri(table))
        stored = pa.schema(dt.schema().to_arrow())
        assert stored.names == schema.names, table
        for want in schema:
            got = stored.field(want.name)
            assert got.nullable == want.nullable, (table, want.name)
            is_text = str(got.type) in {"string", "large_string", "string_view"}
            assert pa.types.is_string(want.type) == is_text, (table, want.name)
        assert dt.metadata().partition_columns == lake_schema.PARTITIONS[table]
        assert dt.metadata().configuration["delta.checkpointInterval"] == "20"


def test_republishing_replaces_rows_in_one_commit_per_table(tmp_path):
    lake = Lake.resolve(tmp_path / "lake")
    first, second = synthetic_batch(0), synthetic_batch(1)
    publish_batch(lake, first)
    publish_batch(lake, second)
    once = row_counts(lake)
    assert once == expected_counts(first, second)
    before = versions(lake)

    report = publish_batch(lake, synthetic_batch(0))  # the same video processed again

    assert not report.retracted
    assert row_counts(lake) == once
    assert versions(lake) == {t: v + 1 for t, v in before.items()}
    assert [c.table for c in report.commits] == [*lake_schema.PUBLISH_ORDER[:-1], "video_sources", "videos"]
    last = DeltaTable(lake.table_uri("face_events")).history(1)[0]
    assert last["operationParameters"]["mode"] == "Overwrite"
    assert first.video_id in last["operationParameters"]["predicate"]
    events = pl.read_delta(lake.table_uri("face_events"))
    assert events.select(pl.struct("video_id", "frame_index", "face_id").is_duplicated().sum()).item() == 0


def test_republishing_changed_results_retracts_the_video_row_first(tmp_path):
    lake = Lake.resolve(tmp_path / "lake")
    publish_batch(lake, synthetic_batch(0, faces=3))
    changed = synthetic_batch(0, faces=1, settings=DetectorSettings(threshold=0.9, model_sha256="0" * 64))

    report = publish_batch(lake, changed)

    assert report.retracted
    assert row_counts(lake) == expected_counts(changed)
    videos = pl.read_delta(lake.table_uri("videos"))
    assert json.loads(videos["detector_settings"][0])["threshold"] == 0.9


def test_a_video_without_faces_clears_its_old_events(tmp_path):
    lake = Lake.resolve(tmp_path / "lake")
    publish_batch(lake, synthetic_batch(3, faces=4))
    publish_batch(lake, synthetic_batch(3, faces=0, settings=DetectorSettings(threshold=0.99)))
    counts = row_counts(lake)
    assert counts["face_events"] == 0 and counts["faces"] == 0
    assert counts["videos"] == 1 and counts["fragments"] > 0


@pytest.mark.parametrize("rate", [Fraction(25), Fraction(30000, 1001), Fraction(60)])
def test_face_events_rebuild_the_json_exactly(tmp_path, rate):
    lake = Lake.resolve(tmp_path / "lake")
    batch = synthetic_batch(7, frames=260, faces=5, frame_rate=rate)
    publish_batch(lake, batch)
    written = tmp_path / "video.json"
    written.write_text(json.dumps(batch.document, separators=(",", ":")))

    video = pl.read_delta(lake.table_uri("videos")).row(0, named=True)
    events = pl.read_delta(lake.table_uri("face_events")).filter(pl.col("video_id") == batch.video_id)
    rebuilt = document_from_rows(video, events.sample(fraction=1.0, shuffle=True, seed=1))

    assert rebuilt == json.loads(written.read_text())
    assert json.dumps(rebuilt, separators=(",", ":")) == written.read_text()


def test_a_document_that_breaks_the_contract_is_refused_before_anything_is_written(tmp_path):
    result = synthetic_result(0)
    document = build_document(result)
    document["facesDetected"] += 1
    with pytest.raises(ContractError, match="faces-detected-count"):
        normalize(result, document, video_id=synthetic_video_id(0))

    document = build_document(result)
    document["fragments"][1]["events"][0].append({"id": 0, "x": 0.9, "y": 0.1, "width": 0.2, "height": 0.1})
    with pytest.raises(ContractError) as refused:
        normalize(result, document, video_id=synthetic_video_id(0))
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "lake").exists()


def test_a_document_that_disagrees_with_its_tracks_is_refused(tmp_path):
    result = synthetic_result(0)
    document = build_document(result)
    face = document["fragments"][1]["events"][5][0]
    face["x"] = round(face["x"] / 2, 6)
    with pytest.raises(ContractError, match="differ from the tracks"):
        normalize(result, document, video_id=synthetic_video_id(0))


def test_a_batch_whose_rows_break_the_schema_is_refused_and_nothing_written(tmp_path):
    lake = Lake.resolve(tmp_path / "lake")
    batch = synthetic_batch(0)
    batch.tables["faces"] = batch.tables["faces"].drop("best_x")
    with pytest.raises(ContractError, match="missing \\['best_x'\\]"):
        publish_batch(lake, batch)
    assert not os.path.exists(lake.root)


def test_an_unwritable_lake_gives_one_clear_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(LakeError, match=r"not a directory|cannot write") as failed:
        publish_batch(Lake.resolve(blocker / "lake"), synthetic_batch(0))
    assert "\n" not in str(failed.value)


def test_delete_video_unpublishes_first_and_removes_every_row(tmp_path):
    lake = Lake.resolve(tmp_path / "lake")
    keep, drop = synthetic_batch(0), synthetic_batch(1)
    publish_batch(lake, keep)
    publish_batch(lake, drop)
    commits = delete_video(lake, drop.video_id)
    assert [c.table for c in commits] == [*reversed(lake_schema.PUBLISH_ORDER), "video_sources"]
    assert row_counts(lake) == expected_counts(keep)


def test_tables_are_plain_delta_for_every_engine(tmp_path):
    import duckdb

    lake = Lake.resolve(tmp_path / "lake")
    for seed in range(3):
        publish_batch(lake, synthetic_batch(seed))
    expected = row_counts(lake)
    for table, rows in expected.items():
        assert pl.read_delta(lake.table_uri(table)).height == rows
        connection = duckdb.connect()
        connection.register("t", DeltaTable(lake.table_uri(table)).to_pyarrow_dataset())
        assert connection.sql("SELECT count(*) FROM t").fetchall() == [(rows,)]
        # Nothing an engine does not know: only the log and Parquet data files (in partition dirs).
        for directory, _dirs, files in os.walk(lake.table_uri(table)):
            for name in files:
                inside_log = os.path.basename(directory) == "_delta_log"
                assert inside_log or name.endswith(".parquet"), os.path.join(directory, name)


def test_the_lake_root_comes_from_the_option_the_environment_or_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FACETRACK_LAKE", raising=False)
    assert Lake.resolve().root == str(tmp_path / "facetrack-data" / "lake")
    monkeypatch.setenv("FACETRACK_LAKE", str(tmp_path / "env-lake"))
    assert Lake.resolve().root == str(tmp_path / "env-lake")
    assert Lake.resolve(tmp_path / "given").root == str(tmp_path / "given")
    assert Lake.resolve("file://" + str(tmp_path / "f")).root == str(tmp_path / "f")
    with pytest.raises(LakeError, match="unsupported storage scheme 'ftp://'"):
        Lake.resolve("ftp://host/lake")


def test_a_lake_made_before_the_detected_column_gains_it_at_the_next_publish(tmp_path):
    """A face_events table written by an older facetrack (no ``detected``): the next publish adds the
    column (nullable, so the old rows read as null) and every new row says whether it was detected;
    the lake's schema, its rows and the round trip stay right."""
    from deltalake import write_deltalake

    from tasks.validate.revalidate import PublishedRows

    lake = Lake(str(tmp_path / "lake"))
    old_schema = pa.schema([f for f in lake_schema.FACE_EVENTS if f.name != "detected"])
    DeltaTable.create(lake.table_uri("face_events"), old_schema, partition_by=["video_bucket"])
    old = synthetic_batch(seed=1)
    old_rows = old.tables["face_events"].drop("detected").to_arrow().cast(old_schema)
    write_deltalake(lake.table_uri("face_events"), old_rows, mode="append", partition_by=["video_bucket"])

    new = synthetic_batch(seed=2)
    publish_batch(lake, new)
    table = DeltaTable(lake.table_uri("face_events"))
    assert "detected" in [f.name for f in table.schema().fields]
    assert table.protocol().min_writer_version == 2  # still readable by Spark, Trino, Databricks
    rows = pl.read_delta(lake.table_uri("face_events"))
    by_video = rows.group_by("video_id").agg(pl.col("detected").null_count().alias("nulls"), pl.len())
    nulls = dict(zip(by_video["video_id"], by_video["nulls"], strict=True))
    assert nulls[old.video_id] == old_rows.num_rows and nulls[new.video_id] == 0
    mine = rows.filter(pl.col("video_id") == new.video_id).sort("frame_index", "face_id")
    assert (
        mine["detected"].to_list()
        == new.tables["face_events"].sort("frame_index", "face_id")["detected"].to_list()
    )
    assert not mine["detected"].all()  # some boxes were filled in by the tracker

    rebuilt = PublishedRows(lake).batch(new.video_id, "check")
    assert rebuilt.tables["face_events"].columns == lake_schema.SCHEMAS["face_events"].names
    assert rebuilt.document == new.document
