"""results_table: every validation result, one row per expectation per suite per video, in the lake.

Data docs show the latest validation; this Delta table keeps all of them, so "when did this video start
failing, and on what?" is a SQL query. Rows are appended (one commit per validated video), never
replaced: a re-validation is a new fact, not a correction of an old one.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tasks.document.contract import RULES
from tasks.lake.commit import write_rows
from tasks.lake.schema import UTC_MICROS

if TYPE_CHECKING:
    import polars as pl

    from tasks.lake.store import Lake

TABLE = "validations"
CONTRACT_SUITE = "contract"  # the JSON contract check, recorded next to the GX suites
SAMPLE_SIZE = 20

VALIDATIONS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("suite", pa.string(), nullable=False),  # the table's name, or "contract"
        pa.field("expectation", pa.string(), nullable=False),  # the expectation's meta name / the rule
        pa.field("expectation_type", pa.string(), nullable=False),  # GX type, e.g. expect_column_...
        pa.field("column_name", pa.string()),  # the column(s) it looks at, comma-separated
        pa.field("success", pa.bool_(), nullable=False),
        pa.field("observed_value", pa.string()),  # JSON
        pa.field("unexpected_count", pa.int64()),
        pa.field("element_count", pa.int64()),
        pa.field("unexpected_sample", pa.string()),  # JSON list, up to 20 offending values
        pa.field("exception", pa.string()),  # when the expectation could not even be evaluated
        pa.field("validated_at", UTC_MICROS, nullable=False),
        pa.field("gx_version", pa.string(), nullable=False),
    ]
)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(_plain(value), default=str, sort_keys=True)


def _plain(value: Any) -> Any:
    """JSON-safe copy: NaN/inf become strings (JSON has no NaN), numpy scalars become Python ones."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return _plain(value.item())
        except (TypeError, ValueError):
            return str(value)
    return value


def _columns(kwargs: dict[str, Any]) -> str | None:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs and len(kwargs["column_list"]) <= 8:
        return ",".join(map(str, kwargs["column_list"]))
    return None


def _exception_message(info: Any) -> str | None:
    """GX reports one exception, or a dict of them keyed by metric; keep the first message."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    for nested in info.values():
        message = _exception_message(nested)
        if message:
            return message
    return None


@dataclass(frozen=True)
class Stamp:
    """What every row of one batch's validation shares."""

    run_id: str
    video_id: str
    validated_at: datetime
    gx_version: str

    def columns(self) -> dict[str, Any]:
        return asdict(self)


def rows_from_gx(suite: str, result: Any, stamp: Stamp) -> list[dict[str, Any]]:
    """One row per expectation of a GX suite validation result, in the suite's order."""
    rows = []
    for item in result.results:
        config = item.expectation_config
        details: dict[str, Any] = dict(item.result or {})
        sample = details.get("partial_unexpected_list")
        rows.append(
            {
                **stamp.columns(),
                "suite": suite,
                "expectation": (config.meta or {}).get("name") or config.type,
                "expectation_type": config.type,
                "column_name": _columns(config.kwargs),
                "success": bool(item.success),
                "observed_value": _json(details.get("observed_value")),
                "unexpected_count": details.get("unexpected_count"),
                "element_count": details.get("element_count"),
                "unexpected_sample": _json(sample[:SAMPLE_SIZE]) if sample else None,
                "exception": _exception_message(item.exception_info),
            }
        )
    return rows


def rows_from_contract(violations: list[Any], stamp: Stamp) -> list[dict[str, Any]]:
    """One row per contract rule: passed, or failed with how often and the first messages."""
    rows = []
    for rule in RULES:
        messages = [v.message for v in violations if v.rule == rule]
        rows.append(
            {
                **stamp.columns(),
                "suite": CONTRACT_SUITE,
                "expectation": rule,
                "expectation_type": "json_contract_rule",
                "column_name": None,
                "success": not messages,
                "observed_value": None,
                "unexpected_count": len(messages),
                "element_count": None,
                "unexpected_sample": _json(messages[:SAMPLE_SIZE]) if messages else None,
                "exception": None,
            }
        )
    return rows


def to_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    import polars as pl

    frame = pl.from_arrow(pa.Table.from_pylist(rows, schema=VALIDATIONS))
    assert isinstance(frame, pl.DataFrame)
    return frame


def table_uri(lake: Lake) -> str:
    return lake.table_uri(TABLE)


def ensure_auxiliary_table(lake: Lake, name: str, schema: pa.Schema) -> None:
    """Create a table of the gate's (``validations``, a quarantine twin) if the lake lacks it, with the
    table properties every lake table gets (``tasks.lake.store.TABLE_PROPERTIES``: checkpoints every 20
    commits, a week of removed files, 30 days of log), as ``Lake.ensure_tables`` creates the others.
    Two writers may race to create it: the loser finds it there and carries on."""
    from deltalake import DeltaTable

    from tasks.errors import LakeError, first_line
    from tasks.lake.store import TABLE_PROPERTIES

    if lake.exists(name):
        return
    lake.ensure_writable()
    try:
        DeltaTable.create(
            lake.table_uri(name),
            schema,
            mode="ignore",
            name=name,
            configuration=TABLE_PROPERTIES,
            storage_options=lake.storage_options or None,
        )
    except Exception as exc:
        if not lake.exists(name):
            raise LakeError(f"cannot create table {lake.table_uri(name)}: {first_line(exc)}") from None


def append_validations(lake: Lake, results: pl.DataFrame | None) -> int | None:
    """Append validation rows to ``<lake>/validations`` (created on first use, with the lake's table
    properties); return the new version. Written with ZSTD, like every other table.

    One commit per call; concurrent appends never conflict logically in Delta, and the rare commit race
    is retried like every other lake write.
    """
    from deltalake import WriterProperties

    from tasks.lake.migrate import require_current_layout

    if results is None or results.height == 0:
        return None
    require_current_layout(lake)
    ensure_auxiliary_table(lake, TABLE, VALIDATIONS)
    version, _ = write_rows(
        table_uri(lake),
        results.to_arrow().cast(VALIDATIONS),
        f"{TABLE} ({results['video_id'][0][:12]})",
        storage_options=lake.storage_options,
        mode="append",
        writer_properties=WriterProperties(compression="ZSTD"),
    )
    return version
