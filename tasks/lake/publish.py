"""publish: commit one validated video to the lake, one Delta commit per table, crash-safe across tables.

Delta commits are atomic per table, never across tables, so the order is the contract:
``face_events``, ``fragments``, ``faces``, ``shots`` first, then the lineage table ``video_sources``
(``tasks.lake.sources``), and ``videos`` last. A video counts as published
only through its ``videos`` row, and every query that means "published data" joins through ``videos``. A
process killed at any moment therefore leaves either no ``videos`` row (children may be left over, and
are invisible through the join) or a ``videos`` row with all of its rows. Publishing the video again
replaces every leftover: each table's rows for the video are replaced in one commit
(``write_deltalake(mode="overwrite", predicate=...)``, Delta's replaceWhere), so the row counts after
two runs equal those after one.

One case needs more than ordering: re-publishing a video whose rows will *change* (other detector
settings, model or facetrack version). Killed between the child commits and the ``videos`` commit, the
old ``videos`` row would vouch for new child rows. So that case retracts the ``videos`` row first (one
extra commit on ``videos``); re-publishing identical results keeps to one commit per table.

Concurrent writers: each table operation is a pure "replace this video's rows", so a commit that loses
a race is simply retried (``tasks.lake.commit``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tasks.errors import ContractError, first_line
from tasks.lake import schema as lake_schema
from tasks.lake.commit import video_predicate, write_rows
from tasks.lake.migrate import require_current_layout
from tasks.lake.store import Lake

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from tasks.lake.batch import VideoBatch

# Columns of a videos row that decide what the child rows contain; if any differs on re-publish, the
# old videos row is retracted before the children are replaced (see the module docstring).
RESULT_DEFINING = ("detector_settings", "model_sha256", "facetrack_version", "event_count", "faces_detected")
# face_events row groups of 128k rows: small enough that a compacted, z-ordered file still skips most
# row groups for a one-video query, large enough that scans stay sequential.
ROW_GROUP_ROWS = {"face_events": 131_072}

AfterCommit = Callable[[str, int], None]


@dataclass
class TableCommit:
    table: str
    version: int  # the table version this commit created
    rows: int
    attempts: int
    seconds: float


@dataclass
class PublishReport:
    video_id: str
    commits: list[TableCommit] = field(default_factory=list)
    retracted: bool = False
    seconds: float = 0.0

    @property
    def attempts(self) -> int:
        return sum(c.attempts for c in self.commits)


def publish_batch(lake: Lake, batch: VideoBatch, after_commit: AfterCommit | None = None) -> PublishReport:
    """Replace the video's rows in every table, children first and ``videos`` last.

    ``after_commit(table, version)`` is called after each commit; the crash tests use it to kill the
    process between commits, and a flow can use it for progress.
    """
    started = time.perf_counter()
    report = PublishReport(batch.video_id)
    data = {table: _as_arrow(batch, table) for table in lake_schema.PUBLISH_ORDER}
    require_current_layout(lake)  # an older lake's renamed columns: one line, `facetrack lake migrate`
    lake.ensure_tables()
    video_predicate("videos", batch.video_id)  # refuses an id that is not a SHA-256 before any query
    if _published_row_differs(lake, batch.video_id, data["videos"]):
        commit = retract_video(lake, batch.video_id, run_id=batch.run_id)
        report.retracted = True
        if after_commit:
            after_commit("videos", commit.version)
    for table in lake_schema.PUBLISH_ORDER:
        if table == "videos":  # lineage, child-like: every source seen for the content (tasks.lake.sources)
            commit = record_batch_sources(lake, batch.video_id, data["videos"])
            report.commits.append(commit)
            if after_commit:
                after_commit(commit.table, commit.version)
        commit = replace_video_rows(lake, table, batch.video_id, data[table], run_id=batch.run_id)
        report.commits.append(commit)
        if after_commit:
            after_commit(table, commit.version)
    report.seconds = time.perf_counter() - started
    return report


def replace_video_rows(
    lake: Lake, table: str, video_id: str, rows: pa.Table, run_id: str = "", operation: str = "publish"
) -> TableCommit:
    """Replace every row of ``video_id`` in ``table`` with ``rows``: one commit, retried on conflict."""
    from deltalake import CommitProperties, WriterProperties

    metadata = {"facetrack.operation": operation, "facetrack.video_id": video_id, "facetrack.run_id": run_id}
    started = time.perf_counter()
    version, attempts = write_rows(
        lake.table_uri(table),
        rows,
        f"{table} ({operation} {video_id[:12]})",
        storage_options=lake.storage_options,
        where=video_predicate(table, video_id),
        partition_by=lake_schema.PARTITIONS[table] or None,
        writer_properties=WriterProperties(compression="ZSTD", max_row_group_size=ROW_GROUP_ROWS.get(table)),
        commit_properties=CommitProperties(custom_metadata=metadata),
    )
    return TableCommit(table, version, rows.num_rows, attempts, time.perf_counter() - started)


def record_batch_sources(lake: Lake, video_id: str, videos: pa.Table) -> TableCommit:
    """Upsert the batch's source into ``video_sources``, keeping the sources earlier runs saw."""
    from tasks.lake.sources import TABLE, sources_of_videos_rows, upsert_sources

    started = time.perf_counter()
    version, rows, attempts = upsert_sources(lake, video_id, sources_of_videos_rows(videos), "publish")
    return TableCommit(TABLE, version, rows, attempts, time.perf_counter() - started)


def retract_video(lake: Lake, video_id: str, run_id: str = "") -> TableCommit:
    """Unpublish a video by removing its ``videos`` row; its child rows stay until replaced."""
    empty = lake_schema.VIDEOS.empty_table()
    return replace_video_rows(lake, "videos", video_id, empty, run_id=run_id, operation="retract")


def delete_video(lake: Lake, video_id: str, run_id: str = "") -> list[TableCommit]:
    """Remove a video from the lake: ``videos`` first (so it is unpublished at once), then its children."""
    require_current_layout(lake)
    commits = []
    for table in reversed(lake_schema.PUBLISH_ORDER):
        if lake.exists(table):
            empty = lake_schema.SCHEMAS[table].empty_table()
            commits.append(
                replace_video_rows(lake, table, video_id, empty, run_id=run_id, operation="delete")
            )
    if lake.exists("video_sources"):  # its lineage goes with it
        empty = lake_schema.SCHEMAS["video_sources"].empty_table()
        commits.append(replace_video_rows(lake, "video_sources", video_id, empty, run_id, "delete"))
    return commits


def _as_arrow(batch: VideoBatch, table: str) -> pa.Table:
    """The batch's frame for ``table`` as Arrow with exactly the declared schema, or a one-line refusal."""
    frame: pl.DataFrame | None = batch.tables.get(table)
    if frame is None:
        raise ContractError(f"batch for {batch.video_id[:12]} has no '{table}' rows")
    schema = lake_schema.SCHEMAS[table]
    if frame.columns != schema.names:
        missing = sorted(set(schema.names) - set(frame.columns))
        extra = sorted(set(frame.columns) - set(schema.names))
        raise ContractError(
            f"{table}: columns differ from the lake schema (missing {missing}, extra {extra})"
        )
    data = frame.to_arrow()
    for name in schema.names:
        if not schema.field(name).nullable and data.column(name).null_count:
            raise ContractError(f"{table}: column '{name}' holds nulls but the lake schema forbids them")
    try:
        data = data.cast(schema)
    except Exception as exc:
        raise ContractError(f"{table}: rows do not fit the lake schema: {first_line(exc)}") from None
    ids = data.column("video_id").unique().to_pylist()
    if ids and ids != [batch.video_id]:
        raise ContractError(f"{table}: rows of other videos in the batch for {batch.video_id[:12]}")
    return data


def _published_row_differs(lake: Lake, video_id: str, new_videos: pa.Table) -> bool:
    """True when the video is published and re-publishing will change its rows.

    Read through deltalake's own query engine: it prunes files by their video_id statistics from the
    log, where building an Arrow dataset would first make an expression for every file of the table.
    """
    import pyarrow as pa
    from deltalake import QueryBuilder

    columns = ", ".join(RESULT_DEFINING)
    query = f"SELECT {columns} FROM videos WHERE video_id = '{video_id}'"  # video_id checked: hex only
    reader = QueryBuilder().register("videos", lake.open("videos")).execute(query)
    old = pa.RecordBatchReader.from_stream(reader).read_all()
    if old.num_rows == 0:
        return False
    new = new_videos.select(list(RESULT_DEFINING)).to_pylist()[0]
    return any(row != new for row in old.to_pylist())
