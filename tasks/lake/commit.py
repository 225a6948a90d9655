"""commit: every write to a Delta table of the lake, through one helper: open, write, return the version.

Each facetrack write is one commit that replaces (or appends) a set of rows, so it is safe to retry.
delta-rs resolves commit races itself when they do not logically conflict and raises
``CommitFailedError`` when they do (two writers replacing the same video, or files another writer
rewrote); then the whole operation is retried, re-reading the table, with jittered exponential backoff.

A table written by an older facetrack may lack a column added since, or still require a column that has
become nullable (the schemas only ever gain nullable columns or relax required ones): the column is added,
or its NOT NULL dropped, in a metadata-only commit before the rows that need it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from tasks.errors import ContractError, LakeError, first_line, storage_full
from tasks.lake import schema as lake_schema
from tasks.video.content_id import require_video_id

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import CommitProperties, DeltaTable, WriterProperties

# A local table is not written on a disk with less free than this: delta-rs fails part-way there, and its
# storage layer (object_store's BufWriter) panics in a tokio thread on the error path, printing
# "thread 'tokio-rt-worker' panicked ... Already shut down" lines before the error comes back.
MIN_FREE_BYTES = 1 << 20
MAX_ATTEMPTS = 12
BACKOFF_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0

Filter = tuple[str, str, str]


def video_filters(table: str, video_id: str) -> list[Filter]:
    """The filters selecting one video's rows of ``table``. face_events names its partition too, so a
    replace reads and rewrites one partition only and never conflicts with writers of other buckets,
    and a read prunes to that partition."""
    filters: list[Filter] = [("video_id", "=", require_video_id(video_id))]
    if lake_schema.FACE_EVENTS_PARTITION in lake_schema.PARTITIONS[table]:
        filters.insert(0, (lake_schema.FACE_EVENTS_PARTITION, "=", lake_schema.video_bucket(video_id)))
    return filters


def predicate(filters: Sequence[Filter]) -> str:
    """The Delta SQL predicate of equality filters, values quoted."""
    return " AND ".join(f"{column} = {quoted(value)}" for column, _, value in filters)


def quoted(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def video_predicate(table: str, video_id: str) -> str:
    return predicate(video_filters(table, video_id))


def write_rows(
    uri: str,
    rows: pa.Table,
    what: str,
    *,
    storage_options: dict[str, str] | None = None,
    mode: Literal["overwrite", "append"] = "overwrite",
    where: str | None = None,
    create_as: str | None = None,
    partition_by: list[str] | None = None,
    writer_properties: WriterProperties | None = None,
    commit_properties: CommitProperties | None = None,
) -> tuple[int, int]:
    """One commit of ``rows`` to the table at ``uri``; returns (the version it made, attempts it took).

    ``where`` with ``mode="overwrite"`` replaces just the rows it selects (Delta's replaceWhere).
    ``create_as`` names a table to create with ``rows``' schema if it does not exist yet.
    """
    from deltalake import DeltaTable, write_deltalake

    options = storage_options or None
    arguments: dict[str, Any] = {"mode": mode, "partition_by": partition_by, "storage_options": options}
    if where is not None:
        arguments["predicate"] = where
    if writer_properties is not None:
        arguments["writer_properties"] = writer_properties
    if commit_properties is not None:
        arguments["commit_properties"] = commit_properties

    def write() -> int:
        require_space(uri, what)
        if create_as:
            DeltaTable.create(uri, rows.schema, mode="ignore", name=create_as, storage_options=options)
        table = DeltaTable(uri, storage_options=options)
        _add_missing_columns(table, rows.schema)
        _relax_required_columns(table, rows.schema)
        write_deltalake(table, rows, **arguments)
        return int(table.version())  # the object follows its own commit

    return with_commit_retries(write, what)


def require_space(uri: str, what: str, needed: int = MIN_FREE_BYTES) -> None:
    """Refuse, in one line, to write a local table on a disk with less than ``needed`` bytes free."""
    if "://" in uri and not uri.startswith("file://"):
        return  # an object store has no free space to ask about
    directory = uri.removeprefix("file://")
    while directory and not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    try:
        stats = os.statvfs(directory or ".")
    except OSError:
        return  # the write itself reports what is wrong
    if stats.f_blocks and stats.f_bavail * stats.f_frsize < needed:  # (some FUSE mounts report no blocks)
        free = stats.f_bavail * stats.f_frsize // 1024
        raise LakeError(f"{what}: no space left on device ({free} KiB free for the lake at {uri})")


def _add_missing_columns(table: DeltaTable, wanted: pa.Schema) -> None:
    """Add the nullable columns ``wanted`` has and the table lacks (a lake made by an older facetrack)."""
    import pyarrow as pa
    from deltalake import Schema

    present = {field.name for field in table.schema().fields}
    missing = [field for field in wanted if field.name not in present and field.nullable]
    if missing:
        table.alter.add_columns(Schema.from_arrow(pa.schema(missing)).fields)


def _relax_required_columns(table: DeltaTable, wanted: pa.Schema) -> None:
    """Drop NOT NULL from the table's columns that ``wanted`` (the current schema) makes nullable.

    Confidence and landmarks were required until imported rows (``facetrack import``) came, which have
    none; delta-rs refuses a null in a NOT NULL column, so an older lake is relaxed before its first write.
    """
    nullable = {field.name for field in wanted if field.nullable}
    for column in table.schema().fields:
        if not column.nullable and column.name in nullable:
            table.alter.drop_column_not_null(column.name)


def with_commit_retries(
    action: Callable[[], int], what: str, attempts: int = MAX_ATTEMPTS
) -> tuple[int, int]:
    """Run a table operation, retrying on ``CommitFailedError`` with jittered exponential backoff.

    Jitter matters: writers that collided once would otherwise retry in lockstep and collide again.
    Any other delta-rs error is the lake's fault (permissions, storage, schema) and becomes one line; a
    full disk's is ``<what>: no space left on device``.
    """
    from deltalake.exceptions import CommitFailedError

    for attempt in range(1, attempts + 1):
        try:
            return action(), attempt
        except CommitFailedError as exc:
            if attempt == attempts:
                raise LakeError(
                    f"{what}: gave up after {attempts} conflicting commits: {first_line(exc)}"
                ) from None
            delay = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1))
            time.sleep(delay * random.uniform(0.5, 1.5))
        except (ContractError, LakeError):
            raise
        except Exception as exc:
            full = storage_full(exc)  # the disk filled during the write: say so, not the parquet error
            if full:
                raise LakeError(f"{what}: {full}") from None
            if type(exc).__module__.split(".")[0] in {"deltalake", "_internal", "builtins", "pyarrow"}:
                raise LakeError(f"{what}: {first_line(exc)}") from None
            raise
    raise AssertionError("unreachable")
