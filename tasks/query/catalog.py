"""catalog: what the lake holds, for people and for SQL (``SHOW TABLES``, ``information_schema``).

A query that names ``information_schema`` or is a ``SHOW`` statement opens every table of the lake
(its own tables and the auxiliary ones that exist), not only the tables it names. Each engine then
answers from the same facts, taken from the Delta tables themselves (their Arrow schema and the
"comment" metadata of each field; ``tasks.lake.schema.COLUMN_COMMENTS`` for a lake created before the
comments existed, ``AUXILIARY_COMMENTS`` for the validation gate's tables):

- DataFusion: ``information_schema.tables`` and ``information_schema.columns`` are views this module
  defines in the session (a schema named ``information_schema``), with a ``comment`` column (Spark's and
  Databricks' name). DataFusion's own information schema (``datafusion.catalog.information_schema``,
  which deltalake's ``QueryBuilder`` can switch on) has no column for comments and accepts no
  additions, so it stays off; DataFusion's parser still plans ``SHOW TABLES`` and ``SHOW COLUMNS FROM t``
  itself, as queries on these two views.
- DuckDB: its own information schema over the registered tables, with the comments set by ``COMMENT
  ON`` (``information_schema.columns.COLUMN_COMMENT``, ``duckdb_columns().comment``).
- Polars: the two views registered as frames under the same names.

``table_summary`` is ``facetrack lake tables``: per table its rows, version, files and size from the
Delta log alone (no data file is read), and its one-line description.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tasks.errors import LakeError
from tasks.lake import schema as lake_schema
from tasks.lake.store import AUXILIARY_TABLES, Lake

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

# DataFusion's default catalog and schema, the ones `SHOW COLUMNS FROM t` filters on.
CATALOG = "datafusion"
SCHEMA = "public"

TABLE_COLUMNS = ("table_catalog", "table_schema", "table_name", "table_type", "comment")
COLUMN_COLUMNS = (
    "table_catalog",
    "table_schema",
    "table_name",
    "column_name",
    "ordinal_position",
    "column_default",
    "is_nullable",
    "data_type",
    "comment",
)

_SHOW = re.compile(r"^\s*show\b", re.IGNORECASE)
_INFORMATION_SCHEMA = re.compile(r"\binformation_schema\b", re.IGNORECASE)
_SHOW_TABLES = re.compile(r"^\s*show\s+tables\s*;?\s*$", re.IGNORECASE)
_SHOW_COLUMNS = re.compile(
    r"^\s*show\s+columns\s+(?:from|in)\s+\"?([A-Za-z_][A-Za-z0-9_]*)\"?\s*;?\s*$", re.IGNORECASE
)


def is_discovery(query: str) -> bool:
    """A query about the lake's tables rather than over them: a SHOW statement or information_schema."""
    return bool(_SHOW.match(query) or _INFORMATION_SCHEMA.search(query))


def lake_table_names(lake: Lake) -> list[str]:
    """Every table a discovery query sees: the lake's own (absent ones too: they read as empty, with
    their declared schema) and the auxiliary tables that exist."""
    return [*lake_schema.SCHEMAS, *(name for name in AUXILIARY_TABLES if lake.exists(name))]


def table_description(name: str, dt: DeltaTable | None = None) -> str | None:
    """The one-line description of a table: the Delta table's own, else the one facetrack knows."""
    if dt is not None:
        stored = dt.metadata().description
        if stored:
            return str(stored)
    return lake_schema.TABLE_DESCRIPTIONS.get(name)


def arrow_schema(name: str, dt: DeltaTable | None) -> pa.Schema:
    """A table's Arrow schema as stored (its declared one when the table does not exist yet)."""
    import pyarrow as pa

    return lake_schema.SCHEMAS[name] if dt is None else pa.schema(dt.schema().to_arrow())


def column_comment(table: str, field: pa.Field) -> str | None:
    """A column's comment: the Delta field's "comment" metadata, else ``COLUMN_COMMENTS`` (a quarantine
    twin shares its table's)."""
    stored = (field.metadata or {}).get(b"comment")
    if stored:
        return stored.decode() if isinstance(stored, bytes) else str(stored)
    if table.startswith("quarantine_"):
        base = table.removeprefix("quarantine_")
        own = lake_schema.COLUMN_COMMENTS.get(base, {}).get(field.name)
        return own or lake_schema.AUXILIARY_COMMENTS["quarantine"].get(field.name)
    known = lake_schema.COLUMN_COMMENTS.get(table) or lake_schema.AUXILIARY_COMMENTS.get(table, {})
    return known.get(field.name)


def catalog_tables(
    tables: dict[str, DeltaTable | None], catalog: str = CATALOG, schema: str = SCHEMA
) -> tuple[pa.Table, pa.Table]:
    """``information_schema.tables`` and ``information_schema.columns`` of the opened tables."""
    import pyarrow as pa

    table_rows: list[dict[str, Any]] = []
    column_rows: list[dict[str, Any]] = []
    for name, dt in tables.items():
        described = (catalog, schema, name, "BASE TABLE", table_description(name, dt))
        table_rows.append(dict(zip(TABLE_COLUMNS, described, strict=True)))
        for position, field in enumerate(arrow_schema(name, dt)):
            values = (
                catalog,
                schema,
                name,
                field.name,
                position,
                None,
                "YES" if field.nullable else "NO",
                str(field.type),
                column_comment(name, field),
            )
            column_rows.append(dict(zip(COLUMN_COLUMNS, values, strict=True)))
    strings = pa.string()
    tables_schema = pa.schema([(column, strings) for column in TABLE_COLUMNS])
    columns_schema = pa.schema(
        [(column, pa.int64() if column == "ordinal_position" else strings) for column in COLUMN_COLUMNS]
    )
    return (
        pa.Table.from_pylist(table_rows, schema=tables_schema),
        pa.Table.from_pylist(column_rows, schema=columns_schema),
    )


def datafusion_statements(tables: dict[str, DeltaTable | None]) -> list[str]:
    """SQL that defines ``information_schema.tables`` and ``.columns`` as views in a DataFusion session."""
    info_tables, info_columns = catalog_tables(tables)
    return [
        "CREATE SCHEMA IF NOT EXISTS information_schema",
        _values_view("information_schema.tables", info_tables),
        _values_view("information_schema.columns", info_columns),
    ]


def _values_view(name: str, table: pa.Table) -> str:
    import pyarrow as pa

    types = {field.name: "BIGINT" if pa.types.is_integer(field.type) else "VARCHAR" for field in table.schema}
    projection = ", ".join(
        f"CAST(column{index} AS {types[column]}) AS {column}"
        for index, column in enumerate(table.column_names, start=1)
    )
    rows = ", ".join(
        "(" + ", ".join(_literal(row[column]) for column in table.column_names) + ")"
        for row in table.to_pylist()
    )
    if not rows:  # no table at all: a view with the right columns and no rows
        nulls = ", ".join("NULL" for _ in table.column_names)
        return f"CREATE VIEW {name} AS SELECT {projection} FROM (VALUES ({nulls})) WHERE false"
    return f"CREATE VIEW {name} AS SELECT {projection} FROM (VALUES {rows})"


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def duckdb_statements(tables: dict[str, DeltaTable | None]) -> list[str]:
    """``COMMENT ON`` statements that put the descriptions into DuckDB's own catalog."""
    _, info_columns = catalog_tables(tables)
    statements = [
        f"COMMENT ON VIEW {name} IS {_literal(description)}"
        for name, dt in tables.items()
        if (description := table_description(name, dt))
    ]
    for row in info_columns.to_pylist():
        if row["comment"]:
            target = f'{row["table_name"]}."{row["column_name"]}"'
            statements.append(f"COMMENT ON COLUMN {target} IS {_literal(row['comment'])}")
    return statements


def rewrite_show(query: str, comment_column: str = "comment") -> str:
    """``SHOW TABLES`` and ``SHOW COLUMNS FROM t`` as queries on information_schema, for engines whose
    SQL lacks them (Polars; DuckDB has no SHOW COLUMNS). Any other query comes back unchanged."""
    if _SHOW_TABLES.match(query):
        return "SELECT table_name FROM information_schema.tables ORDER BY table_name"
    match = _SHOW_COLUMNS.match(query)
    if match:
        return (
            f"SELECT table_name, column_name, data_type, is_nullable, {comment_column} AS comment "
            f"FROM information_schema.columns WHERE table_name = {_literal(match.group(1))} "
            "ORDER BY ordinal_position"
        )
    return query


def table_summary(lake: Lake) -> pa.Table:
    """One row per table of the lake: rows, version, files and bytes from its Delta log, and what it
    holds. A lake table not created yet has nulls; an auxiliary table that does not exist is left out."""
    import pyarrow as pa

    present = [name for name in [*lake_schema.SCHEMAS, *AUXILIARY_TABLES] if lake.exists(name)]
    if not present:
        raise LakeError(f"no lake at {lake.root} (run `facetrack run VIDEO --lake {lake.root}` first)")
    rows: list[dict[str, Any]] = []
    for name in [*lake_schema.SCHEMAS, *AUXILIARY_TABLES]:
        if name not in present:
            if name in lake_schema.SCHEMAS:
                rows.append({"table": name, "description": table_description(name)})
            continue
        dt = lake.open(name)
        actions = pa.table(dt.get_add_actions(flatten=True))
        records = actions.column("num_records").to_pylist() if actions.num_rows else []
        count = sum(records) if all(n is not None for n in records) else dt.to_pyarrow_dataset().count_rows()
        sizes = actions.column("size_bytes").to_pylist() if actions.num_rows else []
        rows.append(
            {
                "table": name,
                "rows": count,
                "version": dt.version(),
                "files": actions.num_rows,
                "size_bytes": sum(sizes),
                "description": table_description(name, dt),
            }
        )
    schema = pa.schema(
        [
            ("table", pa.string()),
            ("rows", pa.int64()),
            ("version", pa.int64()),
            ("files", pa.int64()),
            ("size_bytes", pa.int64()),
            ("description", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
