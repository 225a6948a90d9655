"""quarantine: where a batch that failed the gate goes instead of the published tables.

Each video table has a twin under ``<lake>/quarantine/<table>``: the same columns (nullable, since a
broken batch may lack values) plus why the batch was refused. A fifth table, ``quarantine/documents``,
keeps the per-video JSON itself. Nothing is lost: rows that do not even fit the lake schema (a missing
column, a wrong type, an extra column) are kept as they came in ``quarantine_unfit`` (JSON per row),
next to their best-effort cast.

Quarantining a video again replaces its earlier quarantined rows (one commit per table, keyed by
``batch_video_id``), so replaying a fixed batch repeatedly never piles up copies. ``replay_quarantined``
re-validates a quarantined batch with the current suites and publishes it if it now passes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tasks import lake_schema
from tasks.lake import Lake, first_line

if TYPE_CHECKING:
    import polars as pl

    from tasks.batch import VideoBatch
    from tasks.validate import ValidationOutcome

AREA = "quarantine"
DOCUMENTS = "documents"
QUARANTINE_TABLES = lake_schema.VIDEO_TABLES  # the four tables of a video's batch

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


def as_lake(lake: Lake | str | os.PathLike[str], storage_options: dict[str, str] | None = None) -> Lake:
    """Accept a ``Lake`` or a root path/URI (with storage options, else those of the environment)."""
    if isinstance(lake, Lake):
        return lake
    resolved = Lake.resolve(lake)
    if storage_options is not None:
        return Lake(resolved.root, dict(storage_options))
    return resolved


def lake_path(lake: Lake, *parts: str) -> str:
    """A location under the lake root, for tables outside ``lake_schema`` (quarantine, validations)."""
    if lake.is_remote:
        return "/".join([lake.root, *parts])
    return os.path.join(lake.root, *parts)


def quarantine_uri(lake: Lake, table: str) -> str:
    return lake_path(lake, AREA, table)


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

    lake = as_lake(lake, storage_options)
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
    from deltalake import DeltaTable, write_deltalake

    from tasks.publish import with_commit_retries

    uri = quarantine_uri(lake, table)
    options = lake.storage_options or None
    quoted = video_id.replace("'", "''")

    def write() -> int:
        DeltaTable.create(uri, data.schema, mode="ignore", name=f"{AREA}_{table}", storage_options=options)
        write_deltalake(
            uri,
            data,
            mode="overwrite",
            predicate=f"batch_video_id = '{quoted}'",
            storage_options=options,
        )
        return int(DeltaTable(uri, storage_options=options).version())

    if not lake.is_remote:
        lake.ensure_writable()
    version, _ = with_commit_retries(write, f"{AREA}/{table} ({video_id[:12]})")
    return version


def quarantined_video_ids(lake: Lake | str, storage_options: dict[str, str] | None = None) -> list[str]:
    """The videos whose latest batch sits in quarantine, oldest first."""
    lake = as_lake(lake, storage_options)
    frame = _read(lake, DOCUMENTS)
    if frame is None:
        return []
    return [str(v) for v in frame.sort("quarantined_at")["batch_video_id"].unique(maintain_order=True)]


def _read(lake: Lake, table: str, video_id: str | None = None) -> pl.DataFrame | None:
    import polars as pl
    from deltalake import DeltaTable

    uri = quarantine_uri(lake, table)
    options = lake.storage_options or None
    try:
        if not DeltaTable.is_deltatable(uri, options):
            return None
        dt = DeltaTable(uri, storage_options=options)
    except Exception as exc:
        from tasks.errors import LakeError

        raise LakeError(f"cannot read {uri}: {first_line(exc)}") from None
    filters = [("batch_video_id", "=", video_id)] if video_id is not None else None
    frame = pl.from_arrow(dt.to_pyarrow_table(filters=filters))
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_quarantined_batch(
    lake: Lake | str, video_id: str, storage_options: dict[str, str] | None = None
) -> VideoBatch:
    """Rebuild a quarantined batch (rows in the lake schema, the JSON document) for inspection or replay."""
    from tasks.batch import VideoBatch
    from tasks.errors import BadInputError

    lake = as_lake(lake, storage_options)
    documents = _read(lake, DOCUMENTS, video_id)
    if documents is None or documents.height == 0:
        raise BadInputError(f"video {video_id[:12]} is not in quarantine")
    row = documents.row(0, named=True)
    tables = {}
    for table in QUARANTINE_TABLES:
        frame = _read(lake, table, video_id)
        columns = lake_schema.SCHEMAS[table].names
        tables[table] = frame.select(columns) if frame is not None else lake_schema_frame(table)
    return VideoBatch(
        video_id=video_id,
        tables=tables,
        document=json.loads(row["document"]) if row["document"] else {},
        json_path=row["json_path"],
        run_id=row["quarantine_run_id"],
        extra={"quarantine_reason": row["quarantine_reason"]},
    )


def lake_schema_frame(table: str) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema=lake_schema.polars_schema(table))


def release(lake: Lake | str, video_id: str, storage_options: dict[str, str] | None = None) -> None:
    """Remove a video from quarantine (after a replay published it): one delete commit per table."""
    lake = as_lake(lake, storage_options)
    for table in (*QUARANTINE_TABLES, DOCUMENTS):
        if _read(lake, table) is not None:
            _replace(lake, table, video_id, quarantine_schema(table).empty_table())


Publisher = Callable[[Lake, "VideoBatch"], Any]


def replay_quarantined(
    lake: Lake | str,
    video_id: str,
    publish: Publisher | None = None,
    storage_options: dict[str, str] | None = None,
) -> ValidationOutcome:
    """Re-validate a quarantined batch with the current suites; publish and release it if it passes.

    The usual fix is to the suites (a rule was too strict) or to the data written by hand into the
    quarantine tables; a fix to the engine or normalizer is replayed by re-running the video instead.
    """
    from tasks.gate import audit_and_publish

    lake = as_lake(lake, storage_options)
    batch = load_quarantined_batch(lake, video_id)
    outcome = audit_and_publish(lake, batch, publish)
    if outcome.success:
        release(lake, video_id)
    return outcome
