"""migrate: bring a lake made by an older facetrack up to the current layout (``facetrack lake migrate``).

Most schema changes need no migration: new columns are nullable, added at the end, and added to an
older table by the first write that carries them, and a required column made nullable (confidence and
landmarks, for imported rows) loses its NOT NULL the same way (``tasks.lake.commit``). A *renamed* column is
different: an old table still has the old name, and a write with the new one would add it as a second,
empty column. Renamed so far, because SQL engines reserve old names (DataFusion fails on an unquoted
``interval``, DuckDB on ``column``; ``start`` and ``duration`` went with ``interval``, so every tick
count ends in ``_ticks``), or because they said too little:

- ``videos``: ``interval`` -> ``interval_ticks``, ``frames_per_second`` -> ``processing_fps``, and the
  ``container`` values from FFmpeg's list (``mov,mp4,m4a,3gp,3g2,mj2``) to its short name
  (``tasks.lake.schema.container_name``);
- ``fragments``: ``start``, ``duration``, ``interval`` -> ``start_ticks``, ``duration_ticks``,
  ``interval_ticks``;
- ``validations``: ``column`` -> ``column_name``;
- the quarantine twins of ``videos`` and ``fragments``, as their tables.

The gate's own tables (``validations``, the quarantine twins) made by an older facetrack also lack the
table properties every other table is created with (checkpoints every 20 commits, retention); the
migration sets them (one more commit on each such table).

``migrate_lake`` rewrites each affected table in one commit (read it whole, rename, overwrite with
``schema_mode="overwrite"``; the table's properties, name and protocol are kept, and time travel still
reaches the old versions under their old names), ``videos`` last as in publish order, so a crash
half-way leaves a lake that the next ``migrate_lake`` finishes. It is idempotent: a current table is not
touched, and a current lake makes no commit at all. Until a lake is migrated, every write (a publish, a
delete, a run's row, the gate's records, ``facetrack validate``) refuses it with one line
(``require_current_layout``) rather than failing on the first old column it meets. Stop the older
facetrack's workers first: each table is rewritten from what was read, so nothing else may write to it
meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tasks.errors import LakeError, first_line
from tasks.lake import schema as lake_schema
from tasks.lake.store import AUXILIARY_TABLES, TABLE_PROPERTIES, Lake

if TYPE_CHECKING:
    import pyarrow as pa

_VIDEOS: Final = {"interval": "interval_ticks", "frames_per_second": "processing_fps"}
_FRAGMENTS: Final = {"start": "start_ticks", "duration": "duration_ticks", "interval": "interval_ticks"}

# Old name -> new name, per table; in the order migrate_lake rewrites them (videos last).
RENAMED: Final[dict[str, dict[str, str]]] = {
    "validations": {"column": "column_name"},
    "quarantine_fragments": _FRAGMENTS,
    "quarantine_videos": _VIDEOS,
    "fragments": _FRAGMENTS,
    "videos": _VIDEOS,
}

OLD_LAKE: Final = "lake made by an older facetrack: run `facetrack lake migrate`"

_current: set[str] = set()  # lake roots found current in this process (a lake never goes back)


def old_columns(lake: Lake, table: str) -> list[str]:
    """The old column names ``table`` still has; none when it is current or does not exist."""
    renamed = RENAMED.get(table, {})
    if not renamed or not lake.exists(table):
        return []
    names = {field.name for field in lake.open(table).schema().fields}
    return [name for name in renamed if name in names]


def outdated_tables(lake: Lake) -> dict[str, list[str]]:
    """Table -> its old column names, for every table ``migrate_lake`` would rewrite."""
    found = {table: old_columns(lake, table) for table in RENAMED}
    return {table: columns for table, columns in found.items() if columns}


def require_current_layout(lake: Lake) -> None:
    """Refuse, with one line, to write to a lake whose tables still have old column names.

    Checked once per lake and process (opening five tables' logs is cheap, but not for every write).
    """
    if lake.root in _current:
        return
    outdated = outdated_tables(lake)
    if outdated:
        tables = ", ".join(f"{table} ({', '.join(columns)})" for table, columns in outdated.items())
        raise LakeError(f"{OLD_LAKE} (old columns in {tables})")
    _current.add(lake.root)


def migrate_lake(lake: Lake | str) -> list[str]:
    """Rewrite every table with old column names under the current ones; return what was done, one
    line per table (empty when the lake was current already)."""
    from deltalake import CommitProperties, WriterProperties, write_deltalake

    lake = Lake.of(lake)
    done: list[str] = []
    for table, renamed in RENAMED.items():
        old = old_columns(lake, table)
        if not old:
            continue
        uri = lake.table_uri(table)
        dt = lake.open(table)
        data = _renamed(dt.to_pyarrow_table(), renamed, table.removeprefix("quarantine_"))
        if table.endswith("videos"):
            data = _short_containers(data)
        metadata = {"facetrack.operation": "migrate", "facetrack.renamed": ", ".join(old)}
        partitions = list(dt.metadata().partition_columns) or None
        try:
            write_deltalake(
                uri,
                data,
                mode="overwrite",
                schema_mode="overwrite",
                partition_by=partitions,
                storage_options=lake.storage_options or None,
                writer_properties=WriterProperties(compression="ZSTD"),
                commit_properties=CommitProperties(custom_metadata=metadata),
            )
        except Exception as exc:
            raise LakeError(f"migrate {table}: {first_line(exc)}") from None
        renamed_text = ", ".join(f"{name} -> {renamed[name]}" for name in old)
        version = lake.open(table).version()
        done.append(f"{table}: renamed {renamed_text} ({data.num_rows} rows, now version {version})")
    for table in AUXILIARY_TABLES:
        missing = _missing_properties(lake, table)
        if missing:
            lake.open(table).alter.set_table_properties(missing)
            done.append(f"{table}: set {', '.join(missing)}")
    _current.discard(lake.root)
    return done


def _missing_properties(lake: Lake, table: str) -> dict[str, str]:
    """The table properties every table is created with that this one (made by an older facetrack's
    gate, which created ``validations`` and the quarantine twins without them) lacks."""
    if not lake.exists(table):
        return {}
    configuration = lake.open(table).metadata().configuration
    return {key: value for key, value in TABLE_PROPERTIES.items() if key not in configuration}


def _renamed(data: pa.Table, renamed: dict[str, str], kind: str = "") -> pa.Table:
    """The table with its old column names replaced, in place: same order, types and nullability; each
    column of a lake table (``kind``) gains the comment (meaning, unit) the current schema gives it."""
    import pyarrow as pa

    from tasks.lake import schema as lake_schema

    current = lake_schema.SCHEMAS.get(kind)
    fields = []
    for field in data.schema:
        name = renamed.get(field.name, field.name)
        field = field.with_name(name)
        if current is not None and name in current.names:
            field = field.with_metadata(current.field(name).metadata)
        fields.append(field)
    return pa.Table.from_arrays(data.columns, schema=pa.schema(fields, metadata=data.schema.metadata))


def _short_containers(data: pa.Table) -> pa.Table:
    """``container`` as its short name (``mp4``), from FFmpeg's list and the row's file name."""
    import pyarrow as pa

    if "container" not in data.column_names or "file_name" not in data.column_names:
        return data
    names = [
        None if container is None else lake_schema.container_name(container, file_name or "")
        for container, file_name in zip(
            data.column("container").to_pylist(), data.column("file_name").to_pylist(), strict=True
        )
    ]
    index = data.column_names.index("container")
    field = data.schema.field(index)
    return data.set_column(index, field, pa.array(names, type=field.type))
