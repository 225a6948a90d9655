"""quarantine: where a batch that failed the gate goes instead of the published tables.

Each video table has a twin under ``<lake>/quarantine/<table>``: the same columns (nullable, since a
broken batch may lack values) plus why the batch was refused. One more, ``quarantine/documents``,
keeps the per-video JSON itself. Nothing is lost: rows that do not even fit the lake schema (a missing
column, a wrong type, an extra column) are kept as they came in ``quarantine_unfit`` (JSON per row),
next to their best-effort cast.

Quarantining a video again replaces its earlier quarantined rows (one commit per table, keyed by
``batch_video_id``), so replaying a fixed batch repeatedly never piles up copies. ``replay_quarantined``
(``tasks.validate.gate``) re-validates a quarantined batch with the current suites and publishes it if it
now passes.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tasks.errors import BadInputError
from tasks.lake import schema as lake_schema
from tasks.lake.batch import VideoBatch
from tasks.lake.commit import predicate, write_rows
from tasks.lake.store import Lake

if TYPE_CHECKING:
    import polars as pl

    from tasks.validate.check import ValidationOutcome

AREA = "quarantine"
DOCUMENTS = "documents"
QUARANTINE_TABLES = lake_schema.VIDEO_TABLES  # the tables of a video's batch

QUARANTINE_FIELDS = [
    pa.field("batch_video_id", pa.string(), nullable=False),  # the refused batch's video_id: the replace key
    pa.field("quarantine_reason", pa.string(), nullable=False),  # one line: how many and which failed
    pa.field("failed_expectations", pa.list_(pa.string()), nullable=False),  # "table: expectation"
    pa.field("quarantine_run_id", pa.string(), nullable=False),
    pa.field("quarantined_at", lake_schema.UTC_MICROS, nullable=False),
    pa.field("quarantine_unfit", pa.string()),  # JSON of this row's values that did not fit the schema
]

DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("json_path", pa.string()),
        pa.field("document", pa.string()),  # the per-video JSON, verbatim
        *QUARANTINE_FIELDS[:5],
    ]
)


def quarantine_schema(table: str) -> pa.Schema:
    """The table's lake schema with every column nullable, followed by the quarantine columns."""
    if table == DOCUMENTS:
        return DOCUMENT_SCHEMA
    fields = [field.with_nullable(True) for field in lake_schema.SCHEMAS[table]]
    return pa.schema(fields + QUARANTINE_FIELDS)


def quarantine_uri(lake: Lake, table: str) -> str:
    return lake.table_uri(_table_name(table))


def _table_name(table: str) -> str:
    """The name SQL knows the quarantine twin by (``tasks.lake.store.AUXILIARY_TABLES``)."""
    return f"{AREA}_{table}"


def quarantine_batch(
    lake: Lake | str | os.PathLike[str],
    batch: VideoBatch,
    outcome: ValidationOutcome,
    storage_options: dict[str, str] | None = None,
) -> dict[str, int]:
    """Write a refused batch's rows and JSON to ``<lake>/quarantine/``; return table -> new version.

    One replace commit per quarantine table, so the video's earlier quarantined rows (if any) are gone in
    the same commit that adds the new ones.
    """
    import polars as pl

    lake = Lake.of(lake, storage_options)
    stamp = {
        "batch_video_id": batch.video_id,
        "quarantine_reason": outcome.reason,
        "failed_expectations": list(outcome.failed),
        "quarantine_run_id": batch.run_id,
        "quarantined_at": outcome.validated_at or datetime.now(UTC),
    }
    versions: dict[str, int] = {}
    for table in QUARANTINE_TABLES:
        frame = batch.tables.get(table)
        if frame is None:
            frame = pl.DataFrame()
        data = _fit_to_schema(frame, table, stamp)
        versions[table] = _replace(lake, table, batch.video_id, data)
    document = {
        "json_path": batch.json_path,
        "document": json.dumps(batch.document, separators=(",", ":"), default=str),
        **stamp,
    }
    versions[DOCUMENTS] = _replace(
        lake, DOCUMENTS, batch.video_id, pa.Table.from_pylist([document], schema=DOCUMENT_SCHEMA)
    )
    return versions


def _fit_to_schema(frame: pl.DataFrame, table: str, stamp: dict[str, Any]) -> pa.Table:
    """The rows in the quarantine schema: columns cast where they fit, originals kept where they do not."""
    import polars as pl

    target = lake_schema.polars_schema(table)
    unfit = [c for c in frame.columns if c not in target or frame.schema[c] != target[c]]
    columns = []
    for name, dtype in target.items():
        if name in frame.columns:
            columns.append(frame[name].cast(dtype, strict=False))
        else:
            columns.append(pl.Series(name, [None] * frame.height, dtype=dtype))
    fitted = pl.DataFrame(columns, schema=target) if columns else pl.DataFrame(schema=target)
    if unfit and frame.height:
        originals = frame.select(pl.struct(unfit).struct.json_encode().alias("quarantine_unfit"))
        unfit_json = originals["quarantine_unfit"]
    else:
        unfit_json = pl.Series("quarantine_unfit", [None] * frame.height, dtype=pl.String)
    data = fitted.to_arrow()
    schema = quarantine_schema(table)
    extra = {
        name: pa.array([value] * frame.height, type=schema.field(name).type) for name, value in stamp.items()
    }
    extra["quarantine_unfit"] = unfit_json.to_arrow().cast(pa.string())
    for name, values in extra.items():
        data = data.append_column(schema.field(name), values)
    return data.cast(schema)


def _replace(lake: Lake, table: str, video_id: str, data: pa.Table) -> int:
    from deltalake import WriterProperties

    from tasks.validate.results_table import ensure_auxiliary_table

    lake.ensure_writable()  # one line for an unwritable local root (object stores answer on write)
    ensure_auxiliary_table(lake, _table_name(table), quarantine_schema(table))
    version, _ = write_rows(
        quarantine_uri(lake, table),
        data,
        f"{AREA}/{table} ({video_id[:12]})",
        storage_options=lake.storage_options,
        where=predicate([("batch_video_id", "=", video_id)]),
        writer_properties=WriterProperties(compression="ZSTD"),
    )
    return version


def quarantined_video_ids(lake: Lake | str, storage_options: dict[str, str] | None = None) -> list[str]:
    """The videos whose latest batch sits in quarantine, oldest first."""
    lake = Lake.of(lake, storage_options)
    frame = _read(lake, DOCUMENTS)
    if frame is None:
        return []
    return [str(v) for v in frame.sort("quarantined_at")["batch_video_id"].unique(maintain_order=True)]


def _read(lake: Lake, table: str, video_id: str | None = None) -> pl.DataFrame | None:
    """The quarantine twin's rows (of one video), or None when nothing was ever quarantined there."""
    import polars as pl

    name = _table_name(table)
    if not lake.exists(name):
        return None
    filters = [("batch_video_id", "=", video_id)] if video_id is not None else None
    frame = pl.from_arrow(lake.open(name).to_pyarrow_table(filters=filters))
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_quarantined_batch(
    lake: Lake | str, video_id: str, storage_options: dict[str, str] | None = None
) -> VideoBatch:
    """Rebuild a quarantined batch (rows in the lake schema, the JSON document) for inspection or replay."""
    lake = Lake.of(lake, storage_options)
    documents = _read(lake, DOCUMENTS, video_id)
    if documents is None or documents.height == 0:
        raise BadInputError(f"video {video_id[:12]} is not in quarantine")
    row = documents.row(0, named=True)
    tables = {}
    for table in QUARANTINE_TABLES:
        frame = _read(lake, table, video_id)
        tables[table] = lake_schema.declared_columns(frame, table)
    return VideoBatch(
        video_id=video_id,
        tables=tables,
        document=json.loads(row["document"]) if row["document"] else {},
        json_path=row["json_path"],
        run_id=row["quarantine_run_id"],
        extra={"quarantine_reason": row["quarantine_reason"]},
    )


def release(lake: Lake | str, video_id: str, storage_options: dict[str, str] | None = None) -> None:
    """Remove a video from quarantine (after a replay published it): one delete commit per table."""
    lake = Lake.of(lake, storage_options)
    for table in (*QUARANTINE_TABLES, DOCUMENTS):
        if _read(lake, table) is not None:
            _replace(lake, table, video_id, quarantine_schema(table).empty_table())
