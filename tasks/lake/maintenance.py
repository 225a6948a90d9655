"""maintenance: keep a lake fed one small commit per video fast to read and bounded in size.

- optimize: every publish adds one small file per table; compaction merges them, and ``face_events`` is
  z-ordered by (video_id, face_id) so a compacted file still covers a narrow range of video_ids and the
  one-video query keeps skipping files and row groups. Only partitions with more than one file are
  rewritten: z-ordering is not incremental, and rewriting settled partitions every night is waste.
- vacuum: deletes data files that no version inside the retention window needs. The default retention
  (7 days) keeps time travel working for a week; there is a hard floor of 1 hour because vacuum also
  deletes files no commit references yet, which includes those of a publish still in flight.
- checkpoint: writes a Parquet checkpoint of the log so readers stop replaying JSON commits, and drops
  log entries older than the log retention.

Maintenance commits compete with publishes; a lost race is retried like any other commit.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tasks.errors import LakeError, first_line
from tasks.lake import schema as lake_schema
from tasks.lake.commit import with_commit_retries
from tasks.lake.store import AUXILIARY_TABLES, Lake
from tasks.settings import DEFAULT_RETAIN_HOURS, MIN_RETAIN_HOURS

TARGET_FILE_BYTES = 128 * 1024 * 1024
Z_ORDER = {"face_events": ["video_id", "face_id"]}


def _tables(lake: Lake, tables: list[str] | None) -> list[str]:
    """The named tables, or every lake table plus the gate's own (validations, quarantine) that exist:
    they grow by one small file per video too."""
    known = [*lake_schema.SCHEMAS, *AUXILIARY_TABLES]
    names = tables or known
    unknown = [t for t in names if t not in known]
    if unknown:
        raise LakeError(f"unknown table(s) {', '.join(unknown)} (tables: {', '.join(known)})")
    present = [t for t in names if lake.exists(t)]
    if not any(t in lake_schema.SCHEMAS for t in present) and not tables:
        raise LakeError(f"no lake at {lake.root}")
    if not present:
        raise LakeError(f"no such table in the lake at {lake.root}: {', '.join(names)}")
    return present


def file_count(lake: Lake | str | None, table: str) -> int:
    """Data files in the table's current version."""
    return len(Lake.of(lake).open(table).file_uris())


def optimize(
    lake: Lake | str | None = None, tables: list[str] | None = None, target_size: int = TARGET_FILE_BYTES
) -> dict[str, dict[str, Any]]:
    """Compact small files (z-order face_events); returns files before/after and rewritten partitions."""
    lake = Lake.of(lake)
    report: dict[str, dict[str, Any]] = {}
    for table in _tables(lake, tables):
        before = file_count(lake, table)
        partitions = _partitions_needing_work(lake, table)
        for partition in partitions:
            filters = [(col, "=", value) for col, value in partition] or None

            def run(table: str = table, filters: Any = filters) -> int:
                dt = lake.open(table)
                if table in Z_ORDER:
                    dt.optimize.z_order(Z_ORDER[table], partition_filters=filters, target_size=target_size)
                else:
                    dt.optimize.compact(partition_filters=filters, target_size=target_size)
                return int(dt.version())

            with_commit_retries(run, f"optimize {table}")
        report[table] = {
            "files_before": before,
            "files_after": file_count(lake, table),
            "partitions_rewritten": len(partitions),
        }
    return report


def _partitions_needing_work(lake: Lake, table: str) -> list[tuple[tuple[str, str], ...]]:
    """Partitions (as (column, value) pairs) holding more than one file; ``[()]`` for a whole table."""
    dt = lake.open(table)
    columns = list(dt.metadata().partition_columns)
    if not columns:
        return [()] if len(dt.file_uris()) > 1 else []
    import pyarrow as pa

    actions = pa.table(dt.get_add_actions(flatten=True)).to_pydict()  # arro3 -> pyarrow
    values = [[str(v) for v in actions[f"partition.{c}"]] for c in columns]
    keys = [tuple(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
    return sorted(key for key, files in Counter(keys).items() if files > 1)


def vacuum(
    lake: Lake | str | None = None,
    retain_hours: float = DEFAULT_RETAIN_HOURS,
    tables: list[str] | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete files older than ``retain_hours`` that no retained version needs; returns files per table."""
    if retain_hours < MIN_RETAIN_HOURS:
        raise LakeError(
            f"refusing to vacuum with {retain_hours:g} hours of retention: files of publishes still in "
            f"flight would be deleted and time travel broken (minimum {MIN_RETAIN_HOURS:g} hour)"
        )
    lake = Lake.of(lake)
    removed: dict[str, int] = {}
    for table in _tables(lake, tables):
        dt = lake.open(table)
        try:
            files = dt.vacuum(
                retention_hours=int(retain_hours), dry_run=dry_run, enforce_retention_duration=False
            )
        except Exception as exc:
            raise LakeError(f"vacuum {table}: {first_line(exc)}") from None
        removed[table] = len(files)
    return removed


def checkpoint(lake: Lake | str | None = None, tables: list[str] | None = None) -> dict[str, int]:
    """Write a checkpoint at each table's current version and drop expired log files; returns versions."""
    lake = Lake.of(lake)
    versions: dict[str, int] = {}
    for table in _tables(lake, tables):
        dt = lake.open(table)
        try:
            dt.create_checkpoint()
            dt.cleanup_metadata()
        except Exception as exc:
            raise LakeError(f"checkpoint {table}: {first_line(exc)}") from None
        versions[table] = int(dt.version())
    return versions


def history(lake: Lake | str | None = None, table: str = "videos", limit: int = 20) -> list[dict[str, Any]]:
    """The table's latest commits, newest first: what ``sql --as-of VERSION`` can travel to.

    Each row: version, UTC time, operation, and for facetrack's own commits the video and run.
    """
    from datetime import UTC, datetime

    lake = Lake.of(lake)
    _tables(lake, [table])
    rows = []
    for entry in lake.open(table).history(limit):
        rows.append(
            {
                "version": int(entry["version"]),
                "time": datetime.fromtimestamp(int(entry["timestamp"]) / 1000, tz=UTC),
                "operation": str(entry.get("facetrack.operation") or entry.get("operation", "")).lower(),
                "video_id": entry.get("facetrack.video_id"),
                "run_id": entry.get("facetrack.run_id"),
                "rows_added": (entry.get("operationMetrics") or {}).get("num_added_rows"),
            }
        )
    return rows
