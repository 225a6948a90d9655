"""runs: one row per pipeline run in the lake's ``runs`` table, written when it starts and as it goes.

A run's row says ``running`` from its first moment, so a run that dies leaves a trace; it is replaced
(keyed by run_id) with the counts so far after each video and with the outcome at the end.
"""

from __future__ import annotations

from typing import Any

from tasks.lake import schema as lake_schema
from tasks.lake.commit import predicate, write_rows
from tasks.lake.migrate import require_current_layout
from tasks.lake.store import Lake


def write_run_row(lake: Lake, row: dict[str, Any]) -> int:
    """Insert or replace the ``runs`` row of one run; returns the table version."""
    import pyarrow as pa
    from deltalake import WriterProperties

    require_current_layout(lake)  # at a run's start: refuse an older lake before any video is processed
    lake.ensure_tables(("runs",))
    run_id = str(row["run_id"])
    version, _ = write_rows(
        lake.table_uri("runs"),
        pa.Table.from_pylist([row], schema=lake_schema.RUNS),
        f"runs ({run_id})",
        storage_options=lake.storage_options,
        where=predicate([("run_id", "=", run_id)]),
        writer_properties=WriterProperties(compression="ZSTD"),
    )
    return version


# A running run rewrites its row this often (``tasks.pipeline.recorded_run``); a 'running' row not
# rewritten for HEARTBEAT_STALE_SECONDS belongs to a process that died without a word.
HEARTBEAT_SECONDS = 120.0
HEARTBEAT_STALE_SECONDS = 5 * HEARTBEAT_SECONDS


def facetrack_version() -> str:
    """The installed facetrack's version, recorded with every run and video."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("facetrack")
    except PackageNotFoundError:
        return "0+unknown"
