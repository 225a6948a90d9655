"""render: a query's Arrow result as an aligned text table, CSV, JSON or a Parquet file."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tasks.errors import QueryError, first_line
from tasks.settings import SQL_FORMATS

if TYPE_CHECKING:
    import pyarrow as pa


def write_result(table: pa.Table, fmt: str, output: str | None = None) -> str | None:
    """Render a result as table/csv/json text (returned, or written to ``output``) or Parquet (a file)."""
    if fmt not in SQL_FORMATS:
        raise QueryError(f"unknown format {fmt!r} (choose from {', '.join(SQL_FORMATS)})")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if not output:
            raise QueryError("--format parquet needs -o FILE (Parquet is binary)")
        try:
            pq.write_table(table, output)
        except OSError as exc:
            raise QueryError(f"cannot write {output}: {first_line(exc)}") from None
        return None
    text = {"table": render_table, "csv": render_csv, "json": render_json}[fmt](table)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise QueryError(f"cannot write {output}: {exc.strerror or exc}") from None
        return None
    return text


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def render_table(table: pa.Table) -> str:
    """A plain aligned text table, nothing truncated (a video_id is useless with an ellipsis)."""
    names = table.column_names
    rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
    numeric = [_is_numeric(table.schema.field(n).type) for n in names]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        padded = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True)]
        return " | ".join(padded).rstrip()

    out = [line(names), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _is_numeric(arrow_type: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
    )


def render_csv(table: pa.Table) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(["" if v is None else _csv_value(v) for v in row.values()])
    return buffer.getvalue()


def _csv_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, default=str)
    return value


def render_json(table: pa.Table) -> str:
    """A JSON array of row objects; timestamps as ISO-8601 strings."""
    import json

    return json.dumps(table.to_pylist(), default=_json_default, indent=None) + "\n"


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
