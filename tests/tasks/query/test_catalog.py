"""Discovery: ``SHOW TABLES``, ``SHOW COLUMNS`` and ``information_schema`` on every engine, each column's
meaning and unit in the Delta schema's "comment" metadata, and a lake created before the comments."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tasks.lake import schema as lake_schema
from tasks.lake.publish import publish_batch
from tasks.lake.store import TABLE_PROPERTIES, Lake
from tasks.query.catalog import is_discovery, rewrite_show
from tasks.query.sql import run_sql
from tasks.validate.gate import audit_and_publish
from tests.support.lake_synth import synthetic_batch
from tests.support.validate_batches import good_batch

ENGINES = ("datafusion", "duckdb", "polars")
# DuckDB's own information schema names its comment column COLUMN_COMMENT.
COMMENT = {"datafusion": "comment", "duckdb": "column_comment", "polars": "comment"}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """One video through the validation gate (so the auxiliary `validations` table exists), one more
    published directly."""
    lake = Lake.resolve(tmp_path_factory.mktemp("catalog") / "lake")
    assert audit_and_publish(lake, good_batch("catalog")).success
    publish_batch(lake, synthetic_batch(3, frames=40))
    return lake


def expected_tables(lake: Lake) -> set[str]:
    return {*lake_schema.SCHEMAS, "validations"}


def test_every_column_of_every_table_has_a_comment() -> None:
    for table, schema in lake_schema.SCHEMAS.items():
        assert table in lake_schema.TABLE_DESCRIPTIONS, table
        assert set(lake_schema.COLUMN_COMMENTS[table]) <= set(schema.names), f"stale comments: {table}"
        for field in schema:
            comment = (field.metadata or {}).get(b"comment", b"").decode()
            assert comment and "\n" not in comment, f"{table}.{field.name} has no comment"


def test_the_gate_tables_have_comments_for_every_column() -> None:
    from tasks.validate.quarantine import DOCUMENT_SCHEMA, QUARANTINE_FIELDS
    from tasks.validate.results_table import VALIDATIONS

    assert set(lake_schema.AUXILIARY_COMMENTS["validations"]) == set(VALIDATIONS.names)
    quarantine = {field.name for field in QUARANTINE_FIELDS} | set(DOCUMENT_SCHEMA.names)
    assert set(lake_schema.AUXILIARY_COMMENTS["quarantine"]) == quarantine


def test_validations_columns_are_described(lake: Lake) -> None:
    result = run_sql(
        lake,
        "SELECT column_name, comment FROM information_schema.columns WHERE table_name = 'validations'",
    )
    comments = dict(zip(*result.to_pydict().values(), strict=True))
    assert comments["success"] == "true when the expectation held"
    assert all(comments.values())


def test_created_tables_store_the_comments_and_description(lake: Lake) -> None:
    dt = lake.open("videos")
    fields = {field.name: field.metadata for field in dt.schema().fields}
    assert fields["interval_ticks"]["comment"] == "duration of one frame, ticks (videos.timescale per second)"
    assert dt.metadata().description == lake_schema.TABLE_DESCRIPTIONS["videos"]
    assert dt.protocol().min_reader_version == 1 and dt.protocol().min_writer_version == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_information_schema_tables_lists_every_table(lake: Lake, engine: str) -> None:
    result = run_sql(lake, "SELECT table_name FROM information_schema.tables", engine)
    assert set(result.column("table_name").to_pylist()) == expected_tables(lake)


@pytest.mark.parametrize("engine", ENGINES)
def test_show_tables_lists_every_table(lake: Lake, engine: str) -> None:
    result = run_sql(lake, "SHOW TABLES", engine)
    column = "name" if "name" in result.column_names else "table_name"
    assert set(result.column(column).to_pylist()) == expected_tables(lake)


@pytest.mark.parametrize("engine", ENGINES)
def test_information_schema_columns_carry_type_nullability_and_comment(lake: Lake, engine: str) -> None:
    query = (
        f"SELECT column_name, data_type, is_nullable, {COMMENT[engine]} AS comment "
        "FROM information_schema.columns WHERE table_name = 'videos' ORDER BY ordinal_position"
    )
    rows = {row["column_name"]: row for row in run_sql(lake, query, engine).to_pylist()}
    assert list(rows) == lake_schema.SCHEMAS["videos"].names
    assert rows["timescale"]["comment"] == "ticks per second of every tick column"
    assert rows["processing_fps"]["comment"] == "processing speed, frames decoded per second"
    assert all(row["comment"] for row in rows.values())
    assert rows["timescale"]["data_type"].lower() in {"int64", "bigint"}
    if engine != "duckdb":  # DuckDB calls every column of a registered Arrow dataset nullable
        assert rows["video_id"]["is_nullable"] == "NO" and rows["pix_fmt"]["is_nullable"] == "YES"


@pytest.mark.parametrize("engine", ENGINES)
def test_show_columns(lake: Lake, engine: str) -> None:
    result = run_sql(lake, "SHOW COLUMNS FROM fragments", engine)
    assert result.column("column_name").to_pylist() == lake_schema.SCHEMAS["fragments"].names
    assert {"data_type", "is_nullable"} <= set(result.column_names)


def test_table_comments_and_quoted_text(lake: Lake) -> None:
    """Comments with quotes in them (the JSON's start) survive the SQL the views are made of."""
    comments = run_sql(
        lake,
        "SELECT comment FROM information_schema.columns "
        "WHERE table_name = 'fragments' AND column_name = 'start_ticks'",
    )
    assert comments.column("comment").to_pylist() == [
        "fragment start (the JSON's start), ticks (videos.timescale per second)"
    ]
    described = run_sql(lake, "SELECT comment FROM information_schema.tables WHERE table_name = 'faces'")
    assert described.column("comment").to_pylist() == [lake_schema.TABLE_DESCRIPTIONS["faces"]]


def test_discovery_joins_lake_tables(lake: Lake) -> None:
    """information_schema and lake tables in one query (DataFusion): every table is registered."""
    result = run_sql(
        lake,
        "SELECT count(*) AS n FROM information_schema.columns c "
        "WHERE c.table_name = 'videos' AND (SELECT count(*) FROM videos) = 2",
    )
    assert result.column("n").to_pylist() == [len(lake_schema.SCHEMAS["videos"])]


def test_ordinary_queries_are_not_discovery() -> None:
    assert is_discovery("SHOW TABLES") and is_discovery("  show columns from videos")
    assert is_discovery("SELECT * FROM information_schema.columns")
    assert not is_discovery("SELECT count(*) FROM videos WHERE file_name LIKE '%show%'")
    assert rewrite_show("SELECT 1") == "SELECT 1"


def _without_comments(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field.remove_metadata() for field in schema])


def test_a_lake_created_before_the_comments_still_takes_publishes(tmp_path: Path) -> None:
    """Tables created without field metadata: appends and replaceWhere still work, and SQL shows the
    comments facetrack knows."""
    lake = Lake.resolve(tmp_path / "old")
    for table, schema in lake_schema.SCHEMAS.items():
        DeltaTable.create(
            lake.table_uri(table),
            _without_comments(schema),
            partition_by=lake_schema.PARTITIONS[table] or None,
            name=table,
            configuration=TABLE_PROPERTIES,
        )
    assert not lake.open("videos").schema().fields[0].metadata
    batch = synthetic_batch(5, frames=40)
    publish_batch(lake, batch)
    publish_batch(lake, synthetic_batch(5, frames=40, faces=1))  # replaces the video's rows
    assert audit_and_publish(lake, good_batch("old-lake")).success
    assert run_sql(lake, "SELECT count(*) AS n FROM videos").column("n").to_pylist() == [2]
    comments = run_sql(
        lake,
        "SELECT comment FROM information_schema.columns "
        "WHERE table_name = 'face_events' AND column_name = 'pts'",
    )
    pts = "presentation time, ticks (videos.timescale per second)"
    assert comments.column("comment").to_pylist() == [pts]
    assert not lake.open("videos").schema().fields[0].metadata  # writes leave the table's schema as it was
