"""render: a query's Arrow result as an aligned text table, CSV, JSON or a Parquet file.

``stream_result`` writes a result as it arrives, batch by batch, to a file or to stdout: memory stays
flat in the size of the result (``bench/sql_stream.py``), and no single write is large (Python cannot
write 2 GiB or more in one call, which once cut a JSON result off at exactly 2 GiB). The text table is
for people: it shows the first ``TABLE_ROWS`` rows, then counts the rest without keeping them and says
how many there were. ``write_result`` renders a table already in memory (small results: ``lake
history``, the demo).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from tasks.errors import OutputError, QueryError, first_line, os_error_line, storage_full
from tasks.settings import SQL_FORMATS

if TYPE_CHECKING:
    import pyarrow as pa

# Rows of a `table` result printed; the rest are counted. CSV, JSON and Parquet always carry every row.
TABLE_ROWS = 1000
# Rows rendered per write (CSV and JSON): a few MB of text at most, whatever batch the engine produced.
CHUNK_ROWS = 8192


def write_result(table: pa.Table, fmt: str, output: str | None = None) -> str | None:
    """Render a result as table/csv/json text (returned, or written to ``output``) or Parquet (a file)."""
    if fmt not in SQL_FORMATS:
        raise QueryError(f"unknown format {fmt!r} (choose from {', '.join(SQL_FORMATS)})")
    if output or fmt == "parquet":
        stream_result(table.to_reader(), fmt, output, table_rows=None)
        return None
    import io

    buffer = io.StringIO()
    stream_result(table.to_reader(), fmt, out=buffer, table_rows=None)
    return buffer.getvalue()


def stream_result(
    reader: pa.RecordBatchReader,
    fmt: str,
    output: str | None = None,
    out: TextIO | None = None,
    table_rows: int | None = TABLE_ROWS,
) -> int:
    """Write a result as it streams: to the file ``output``, else to ``out`` (default: stdout).

    Returns the number of rows. ``table_rows`` caps the rows a text table prints (None: all).
    """
    if fmt not in SQL_FORMATS:
        raise QueryError(f"unknown format {fmt!r} (choose from {', '.join(SQL_FORMATS)})")
    if fmt == "parquet":
        if not output:
            raise QueryError("--format parquet needs -o FILE (Parquet is binary)")
        return _write_parquet(reader, output)
    writer: Callable[[pa.RecordBatchReader, TextIO, int | None], int] = {
        "table": _write_table,
        "csv": _write_csv,
        "json": _write_json,
    }[fmt]
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                return writer(reader, handle, table_rows)
        except OSError as exc:
            raise OutputError(os_error_line(output, exc)) from None
    target = sys.stdout if out is None else out
    try:
        rows = writer(reader, target, table_rows)
        target.flush()
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the caller decides
    except OSError as exc:
        raise OutputError(os_error_line("stdout", exc)) from None
    return rows


def _chunks(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The stream's batches, none longer than CHUNK_ROWS (slices: no copy)."""
    for batch in reader:
        for start in range(0, batch.num_rows, CHUNK_ROWS):
            yield batch.slice(start, CHUNK_ROWS)


def _write_parquet(reader: pa.RecordBatchReader, output: str) -> int:
    import pyarrow.parquet as pq

    rows = 0
    try:
        with pq.ParquetWriter(output, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    except OSError as exc:
        raise OutputError(f"{output}: {storage_full(exc) or first_line(exc)}") from None
    return rows


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _write_table(reader: pa.RecordBatchReader, out: TextIO, limit: int | None) -> int:
    import pyarrow as pa

    kept: list[pa.RecordBatch] = []
    shown = rows = 0
    for batch in reader:
        rows += batch.num_rows
        if limit is None or shown < limit:
            take = batch if limit is None else batch.slice(0, limit - shown)
            kept.append(take)
            shown += take.num_rows
    out.write(render_table(pa.Table.from_batches(kept, schema=reader.schema), total=rows))
    return rows


def render_table(table: pa.Table, total: int | None = None) -> str:
    """A plain aligned text table, nothing cut (a video_id is useless with an ellipsis); ``total``: the
    result's rows when ``table`` holds only its first ones, said in the last line."""
    names = table.column_names
    columns = [[_cell(v) for v in column.to_pylist()] for column in table.columns]
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else []
    numeric = [_is_numeric(table.schema.field(n).type) for n in names]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        padded = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True)]
        return " | ".join(padded).rstrip()

    out = [line(names), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    shown = table.num_rows
    if total is None or total <= shown:
        out.append(f"({shown} row{'s' if shown != 1 else ''})")
    else:
        out.append(
            f"(first {shown:,} of {total:,} rows; {total - shown:,} more not shown: add LIMIT/OFFSET, "
            "or use --format csv, json or parquet for every row)"
        )
    return "\n".join(out) + "\n"


def _is_numeric(arrow_type: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
    )


def _write_csv(reader: pa.RecordBatchReader, out: TextIO, limit: int | None = None) -> int:
    """CSV with minimal quoting, a header line, empty fields for NULL. Formatted by Arrow's compute
    kernels, a column at a time (numbers in their shortest round-trip form, booleans true/false); only
    timestamps, dates, lists and the like go through Python (ISO-8601; lists and structs as JSON)."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.compute as pc

    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(reader.schema.names)
    out.write(header.getvalue())
    rows = 0
    for batch in _chunks(reader):
        if not batch.num_rows:
            continue
        if batch.num_columns == 0:
            out.write("\n" * batch.num_rows)
        else:
            fields = [_csv_field(column) for column in batch.columns]
            lines = pc.binary_join_element_wise(*fields, ",", null_handling="replace", null_replacement="")
            assert isinstance(lines, pa.Array)
            out.write("\n".join(lines.to_pylist()) + "\n")
        rows += batch.num_rows
    return rows


_NEEDS_QUOTES = '[,"\r\n]'


def _csv_field(column: pa.Array) -> pa.Array:
    """A column as CSV fields: text, quoted where it must be (a comma, quote or line break in it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return column.cast(pa.string())
    if _is_text(kind):
        text = column.cast(pa.string())
    else:
        values = [None if v is None else _csv_value(v) for v in column.to_pylist()]
        text = pa.array([None if v is None else str(v) for v in values], pa.string())
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    # Rare (a comma or quote in a name): quote those in Python (Arrow's element-wise join of scalars and
    # a column is slow: seconds for 100k rows).
    values = text.to_pylist()
    for index in pc.indices_nonzero(needs).to_pylist():
        values[index] = '"' + values[index].replace('"', '""') + '"'
    return pa.array(values, pa.string())


def _is_text(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind))
    )


def render_csv(table: pa.Table) -> str:
    import io

    buffer = io.StringIO()
    _write_csv(table.to_reader(), buffer)
    return buffer.getvalue()


def _csv_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, default=str)
    return value


def _write_json(reader: pa.RecordBatchReader, out: TextIO, limit: int | None = None) -> int:
    """A JSON array of row objects, written one chunk of rows at a time.

    Serialized by Polars (its JSON writer is ~15x faster than ``json.dumps`` of row dicts); columns it
    would write in its own way (timestamps, dates, decimals, binary) are first turned into what the
    JSON promises (ISO-8601 strings, numbers, hex) in Python, and a chunk with such values nested
    inside lists or structs is written by ``json.dumps``.
    """
    names = reader.schema.names
    rows = 0
    out.write("[")
    for batch in _chunks(reader):
        if not batch.num_rows:
            continue
        text = _json_rows(batch, names)
        out.write(("," if rows else "") + text[1:-1])
        rows += batch.num_rows
    out.write("]\n")
    return rows


def _json_rows(batch: pa.RecordBatch, names: list[str]) -> str:
    import pyarrow as pa

    columns: list[pa.Array] = []
    for column in batch.columns:
        if _json_native(column.type):
            columns.append(column)
        elif _json_nested(column.type):
            return _json_dumps(batch, names)
        else:
            columns.append(pa.array([None if v is None else _json_default(v) for v in column.to_pylist()]))
    if not columns:
        return _json_dumps(batch, names)
    import polars as pl

    frame = pl.from_arrow(pa.Table.from_arrays(columns, names=names))
    assert isinstance(frame, pl.DataFrame)
    return frame.write_json()


def _json_native(kind: pa.DataType) -> bool:
    """Types whose JSON Polars writes as ``json.dumps`` would (numbers, booleans, text, and lists and
    structs of those)."""
    import pyarrow as pa

    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind) or _is_text(kind):
        return True
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _json_native(kind.value_type)
    if pa.types.is_struct(kind):
        return all(_json_native(kind.field(i).type) for i in range(kind.num_fields))
    return False


def _json_nested(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_nested(kind))


def _json_dumps(batch: pa.RecordBatch, names: list[str]) -> str:
    import json

    columns = [column.to_pylist() for column in batch.columns]
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    return json.dumps(records, default=_json_default, indent=None)


def render_json(table: pa.Table) -> str:
    """A JSON array of row objects; timestamps as ISO-8601 strings."""
    import io

    buffer = io.StringIO()
    _write_json(table.to_reader(), buffer)
    return buffer.getvalue()


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
