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
``face_events`` log; a discovery query (``SHOW TABLES``, ``SHOW COLUMNS FROM t``, anything on
``information_schema``) opens every table of the lake and sees each column's meaning and unit
(``tasks.query.catalog``). Every engine reads through Delta (never a directory listing), so uncommitted or
removed files are never seen.

Time travel (``as_of``): a timestamp loads every table as of that moment; an integer N means "the lake
as it was when ``videos`` reached version N" (``videos`` at N, every other table as of that commit's
time), because a video counts as published through its ``videos`` row and per-table version numbers
mean nothing across tables. A table younger than the moment is read at its version 0: empty, with
its declared schema (tables are created empty, before their first write).

Results stream (``stream_sql``): every engine hands back Arrow record batches as it produces them
(DataFusion's stream, DuckDB's record-batch reader, Polars' streaming engine), so ``SELECT * FROM
face_events`` on millions of rows never sits in memory whole; ``run_sql`` collects the stream into a
table for callers that want one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.errors import LakeError, QueryError, first_line
from tasks.lake import schema as lake_schema
from tasks.lake.store import AUXILIARY_TABLES, Lake
from tasks.query import catalog
from tasks.settings import DEFAULT_SQL_ENGINE, SQL_ENGINES, quiet_object_store_logs

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

# Rows per record batch asked of the engines that take a size (DuckDB, Polars); DataFusion's is 8192.
BATCH_ROWS = 65_536


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
    check_lake(lake)
    moment: datetime | None = as_of if isinstance(as_of, datetime) else None
    if isinstance(as_of, int):
        moment = _commit_time(lake, "videos", as_of)
    opened: dict[str, DeltaTable | None] = {}
    for name in names:
        if not lake.exists(name):
            if lake.is_remote:
                _raise_if_unreachable(lake, name)
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


def _no_lake(lake: Lake) -> LakeError:
    return LakeError(f"no lake at {lake.root} (run `facetrack run VIDEO --lake {lake.root}` first)")


def check_lake(lake: Lake) -> None:
    """A local lake root that is not a directory is "no lake", whatever the query names (``SELECT 1``
    too: a mistyped ``--lake`` must not pass silently). Object stores are asked when a table is opened."""
    if not lake.is_remote and not os.path.isdir(lake.root):
        raise _no_lake(lake)


def _raise_if_unreachable(lake: Lake, table: str) -> None:
    """``Lake.exists`` says False for a store it cannot reach; say why (credentials, bucket, network)
    instead of "no lake at"."""
    from deltalake import DeltaTable

    try:
        DeltaTable.is_deltatable(lake.table_uri(table), lake.storage_options or None)
    except Exception as exc:
        raise LakeError(unreachable_message(lake, exc)) from None


def unreachable_message(lake: Lake, exc: BaseException) -> str:
    """One line for a store that answered with an error: credentials named as such."""
    reason = first_line(exc)
    if "credential" in str(exc).lower():
        return (
            f"cannot read the lake at {lake.root}: no usable credentials (set AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY, or AWS_PROFILE; FACETRACK_STORAGE_OPTIONS for others): {reason}"
        )
    return f"cannot read the lake at {lake.root}: {reason}"


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
    For results of any size, ``stream_sql`` hands out the same rows batch by batch.
    """
    return stream_sql(lake, query, engine, as_of).read_all()


def stream_sql(
    lake: Lake, query: str, engine: str = DEFAULT_SQL_ENGINE, as_of: int | datetime | None = None
) -> pa.RecordBatchReader:
    """Run one SQL query over the lake; its result as a stream of Arrow record batches.

    The engine runs as the stream is read, so memory stays flat in the size of the result. Errors before
    the first batch (a bad query, a missing table) are raised here; an engine error in the middle of the
    stream is raised by the read, as ``QueryError`` too.
    """
    if engine not in SQL_ENGINES:
        raise QueryError(f"unknown engine {engine!r} (choose from {', '.join(SQL_ENGINES)})")
    if not query.strip():
        raise QueryError("empty query")
    quiet_object_store_logs()
    discovery = catalog.is_discovery(query)
    names = catalog.lake_table_names(lake) if discovery else tables_named_in(query)
    tables = open_tables(lake, names, as_of)
    runner = {"datafusion": _datafusion, "duckdb": _duckdb, "polars": _polars}[engine]
    try:
        reader = runner(tables, query, lake, discovery)
    except (QueryError, LakeError):
        raise
    except Exception as exc:  # the engine's complaint about the query, in its own words
        raise QueryError(engine_message(exc)) from None
    return _guarded(reader)


def _guarded(reader: pa.RecordBatchReader, close: Callable[[], None] | None = None) -> pa.RecordBatchReader:
    """The same stream, with engine errors raised mid-stream as one-line ``QueryError``s; ``close`` runs
    when the stream ends, fails or is dropped (DuckDB's connection lives as long as its reader)."""
    import pyarrow as pa

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (QueryError, LakeError):
                    raise
                except Exception as exc:
                    raise QueryError(engine_message(exc)) from None
                yield batch
        finally:
            if close is not None:
                close()

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _duckdb(
    tables: dict[str, DeltaTable | None], query: str, lake: Lake, discovery: bool = False
) -> pa.RecordBatchReader:
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
        if discovery:  # DuckDB's own information schema, with the comments
            for statement in catalog.duckdb_statements(tables):
                connection.execute(statement)
            query = catalog.rewrite_show(query, comment_column="column_comment")
        relation = connection.sql(query)
        if relation is None:  # a statement without a result (SET, CREATE VIEW ...)
            connection.close()
            return _empty_result().to_reader()
        # to_arrow_reader since DuckDB 1.4; fetch_record_batch (deprecated there) before
        fetch = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
        reader = fetch(BATCH_ROWS)
    except BaseException:
        connection.close()
        raise
    return _guarded(reader, close=connection.close)


def _polars(
    tables: dict[str, DeltaTable | None], query: str, lake: Lake, discovery: bool = False
) -> pa.RecordBatchReader:
    import polars as pl
    import pyarrow as pa

    frames: dict[str, pl.LazyFrame] = {}
    for name, dt in tables.items():
        if dt is None:
            empty = pl.from_arrow(lake_schema.SCHEMAS[name].empty_table())
            assert isinstance(empty, pl.DataFrame)
            frames[name] = empty.lazy()
        else:
            frames[name] = pl.scan_delta(dt)
    if discovery:  # Polars has no information schema: the catalog's, registered under its names
        for view, info in zip(("tables", "columns"), catalog.catalog_tables(tables), strict=True):
            frame = pl.from_arrow(info)
            assert isinstance(frame, pl.DataFrame)
            frames[f"information_schema.{view}"] = frame.lazy()
        query = catalog.rewrite_show(query)
    with pl.SQLContext(frames=frames) as context:
        lazy = context.execute(query, eager=False)
    schema = pl.DataFrame(schema=lazy.collect_schema()).to_arrow().schema
    if not hasattr(lazy, "collect_batches"):  # Polars before 1.32: no streaming to Python
        return lazy.collect().to_arrow().cast(schema).to_reader()

    def batches() -> Iterator[pa.RecordBatch]:
        for frame in lazy.collect_batches(chunk_size=BATCH_ROWS):
            yield from frame.to_arrow().cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


def _datafusion(
    tables: dict[str, DeltaTable | None], query: str, lake: Lake, discovery: bool = False
) -> pa.RecordBatchReader:
    import pyarrow as pa
    from deltalake import QueryBuilder

    builder = QueryBuilder()
    if discovery:  # a table not created yet cannot be registered: the catalog lists what can be queried
        tables = {name: dt for name, dt in tables.items() if dt is not None}
    for name, dt in tables.items():
        if dt is None:
            raise QueryError(f"no '{name}' table in the lake at {lake.root}")
        builder.register(name, dt)
    if discovery:  # information_schema as views; DataFusion plans SHOW TABLES / SHOW COLUMNS on them
        for statement in catalog.datafusion_statements(tables):
            builder.execute(statement)
    return pa.RecordBatchReader.from_stream(builder.execute(query))


def _empty_result() -> pa.Table:
    import pyarrow as pa

    return pa.table({})


def engine_message(exc: BaseException) -> str:
    """An engine's error on one line: its own words, without the caret art DuckDB draws under queries."""
    lines = [line.strip() for line in str(exc).splitlines()]
    kept = [line for line in lines if line and not line.startswith("LINE ") and set(line) != {"^"}]
    return " ".join(kept) or type(exc).__name__
