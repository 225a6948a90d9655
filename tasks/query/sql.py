"""sql: SQL over the lake's Delta tables, each registered under its own name.

The default engine is Apache DataFusion through deltalake's ``QueryBuilder``, chosen on measurements
(``bench/lake_bench.py``, figures in the README): on a 220-video lake it answered the one-video query
in 16 ms and a join-and-aggregate over all face events in 56 ms, end to end, against 16/80 ms for Polars
SQL over ``scan_delta`` and 50/198 ms for DuckDB over ``to_pyarrow_dataset`` (DuckDB pays ~30 ms to
connect and ~30 ms to build an Arrow dataset of every file before its first row). DataFusion also
reads Delta natively: it prunes files by partition values and the log's min/max statistics, it needs no
dependency beyond deltalake, and its SQL has CTEs, window functions and the usual aggregates.
``--engine duckdb`` and ``--engine polars`` stay available (DuckDB's dialect is the richest).

Only the tables a query names are opened, so a query on ``videos`` does not pay for loading the
``face_events`` log. Every engine reads through Delta (never a directory listing), so uncommitted or
removed files are never seen.

Time travel (``as_of``): a timestamp loads every table as of that moment; an integer N means "the lake
as it was when ``videos`` reached version N" (``videos`` at N, every other table as of that commit's
time), because a video counts as published through its ``videos`` row and per-table version numbers
mean nothing across tables. A table younger than the moment is read at its version 0: empty, with
its declared schema (tables are created empty, before their first write).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.errors import LakeError, QueryError
from tasks.lake import schema as lake_schema
from tasks.lake.store import AUXILIARY_TABLES, Lake
from tasks.settings import DEFAULT_SQL_ENGINE, SQL_ENGINES

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable


def parse_as_of(text: str | None) -> int | datetime | None:
    """A version number or an ISO-8601 timestamp (naive times are UTC); one clear line otherwise."""
    if text is None or text == "":
        return None
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(
            f"--as-of {text!r}: expected a version number or an ISO timestamp like 2026-01-31T12:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def tables_named_in(query: str) -> list[str]:
    """The lake tables a query mentions, so only those are opened."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query.lower()))
    return [table for table in (*lake_schema.SCHEMAS, *AUXILIARY_TABLES) if table in words]


def open_tables(
    lake: Lake, names: list[str], as_of: int | datetime | None = None
) -> dict[str, DeltaTable | None]:
    """Each named table at the snapshot ``as_of`` describes; None for a table that did not exist yet."""
    moment: datetime | None = as_of if isinstance(as_of, datetime) else None
    if isinstance(as_of, int):
        moment = _commit_time(lake, "videos", as_of)
    opened: dict[str, DeltaTable | None] = {}
    for name in names:
        if not lake.exists(name):
            if name in AUXILIARY_TABLES:
                raise LakeError(f"no '{name}' table in the lake at {lake.root} yet")
            if as_of is None and not lake.exists("videos"):
                raise LakeError(
                    f"no lake at {lake.root} (run `facetrack run VIDEO --lake {lake.root}` first)"
                )
            opened[name] = None
            continue
        if isinstance(as_of, int) and name == "videos":
            opened[name] = lake.open(name, as_of)
        elif moment is not None:
            opened[name] = _open_at(lake, name, moment)
        else:
            opened[name] = lake.open(name)
    return opened


def _commit_time(lake: Lake, table: str, version: int) -> datetime:
    dt = lake.open(table)
    if version > dt.version():
        raise LakeError(f"--as-of {version}: '{table}' has versions 0..{dt.version()} only")
    for entry in dt.history():
        if int(entry.get("version", -1)) == version:
            return datetime.fromtimestamp(int(entry["timestamp"]) / 1000, tz=UTC)
    raise LakeError(f"--as-of {version}: version {version} of '{table}' is no longer in its log")


def _open_at(lake: Lake, table: str, moment: datetime) -> DeltaTable:
    """The table as of ``moment``; its empty version 0 if it was created after that."""
    dt = lake.open(table)
    created = min(int(e["timestamp"]) for e in dt.history()) / 1000
    if moment.timestamp() < created:
        dt.load_as_version(0)
    else:
        dt.load_as_version(moment)
    return dt


def run_sql(
    lake: Lake, query: str, engine: str = DEFAULT_SQL_ENGINE, as_of: int | datetime | None = None
) -> pa.Table:
    """Run one SQL query over the lake and return the result as an Arrow table.

    Errors in the query come back as ``QueryError`` carrying the engine's own message (exit code 1).
    """
    if engine not in SQL_ENGINES:
        raise QueryError(f"unknown engine {engine!r} (choose from {', '.join(SQL_ENGINES)})")
    if not query.strip():
        raise QueryError("empty query")
    tables = open_tables(lake, tables_named_in(query), as_of)
    runner = {"datafusion": _datafusion, "duckdb": _duckdb, "polars": _polars}[engine]
    try:
        return runner(tables, query, lake)
    except (QueryError, LakeError):
        raise
    except Exception as exc:  # the engine's complaint about the query, in its own words
        raise QueryError(engine_message(exc)) from None


def _duckdb(tables: dict[str, DeltaTable | None], query: str, lake: Lake) -> pa.Table:
    try:
        import duckdb
    except ImportError:
        raise QueryError("--engine duckdb needs the duckdb package (`uv add duckdb`)") from None

    connection = duckdb.connect()
    try:
        for name, dt in tables.items():
            source: Any = (
                dt.to_pyarrow_dataset() if dt is not None else lake_schema.SCHEMAS[name].empty_table()
            )
            connection.register(name, source)
        relation = connection.sql(query)
        if relation is None:  # a statement without a result (SET, CREATE VIEW ...)
            return _empty_result()
        return relation.to_arrow_table()
    finally:
        connection.close()


def _polars(tables: dict[str, DeltaTable | None], query: str, lake: Lake) -> pa.Table:
    import polars as pl

    frames: dict[str, pl.LazyFrame] = {}
    for name, dt in tables.items():
        if dt is None:
            empty = pl.from_arrow(lake_schema.SCHEMAS[name].empty_table())
            assert isinstance(empty, pl.DataFrame)
            frames[name] = empty.lazy()
        else:
            frames[name] = pl.scan_delta(dt)
    with pl.SQLContext(frames=frames) as context:
        result = context.execute(query, eager=True)
    assert isinstance(result, pl.DataFrame)
    return result.to_arrow()


def _datafusion(tables: dict[str, DeltaTable | None], query: str, lake: Lake) -> pa.Table:
    import pyarrow as pa
    from deltalake import QueryBuilder

    builder = QueryBuilder()
    for name, dt in tables.items():
        if dt is None:
            raise QueryError(f"no '{name}' table in the lake at {lake.root}")
        builder.register(name, dt)
    return pa.RecordBatchReader.from_stream(builder.execute(query)).read_all()


def _empty_result() -> pa.Table:
    import pyarrow as pa

    return pa.table({})


def engine_message(exc: BaseException) -> str:
    """An engine's error on one line: its own words, without the caret art DuckDB draws under queries."""
    lines = [line.strip() for line in str(exc).splitlines()]
    kept = [line for line in lines if line and not line.startswith("LINE ") and set(line) != {"^"}]
    return " ".join(kept) or type(exc).__name__
