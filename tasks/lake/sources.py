"""sources: the lake's lineage, every file a video's content was seen as (``video_sources``).

A video is its bytes (``video_id`` is their SHA-256), so a renamed or re-uploaded copy is the same video:
its ``videos`` row keeps one ``source_uri`` and ``file_name``, those of the latest publish. The
``video_sources`` table keeps all of them, one row per (video, source), with when each was first and last
seen and by which run. Rows are only ever added or refreshed, never dropped by a later sighting of
another name (``delete_video`` removes a video's rows with the rest of it).

Written two ways:

- at publish (``tasks.lake.publish``), from the batch's ``videos`` row, after the child tables and before
  ``videos``: like a child table, a process killed before the ``videos`` commit leaves a row that no
  published video vouches for, and the next publish refreshes it;
- by ``record_source`` for a copy that is *not* processed because its content is already published (the
  inbox's "already published" skip), so that sighting is kept too.

Each write reads the video's rows, upserts the sources seen and writes them all back in one commit that
replaces the video's rows (replaceWhere on ``video_id``). The read and the write use the same table
snapshot inside one retried operation: a concurrent writer of the same video makes the commit fail
(delta-rs sees files added under the predicate) and the whole read-merge-write is retried on the new
version, so no sighting is lost. Not validated by the gate: it is metadata about files, not results
(``tasks.validate.suites`` covers a video's batch and ``redactions``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.errors import LakeError, first_line
from tasks.lake import schema as lake_schema
from tasks.lake.commit import require_space, video_predicate, with_commit_retries
from tasks.lake.store import Lake, arrow_filesystem, is_uri
from tasks.video.content_id import require_video_id

if TYPE_CHECKING:
    import pyarrow as pa

TABLE = "video_sources"


def source_row(
    video_id: str, source_uri: str, size_bytes: int, run_id: str, seen_at: datetime | None = None
) -> dict[str, Any]:
    """One sighting: ``source_uri`` (an absolute path or a URI) held the content ``video_id``."""
    seen = seen_at or datetime.now(UTC)
    return {
        "video_id": require_video_id(video_id),
        "source_uri": source_uri,
        "file_name": os.path.basename(source_uri.rstrip("/")),
        "size_bytes": int(size_bytes),
        "first_seen_at": seen,
        "last_seen_at": seen,
        "run_id": run_id,
    }


def record_source(
    lake: Lake, video_id: str, path: str, run_id: str = "", size_bytes: int | None = None
) -> int:
    """Record that the file at ``path`` (a local path or an object URI) holds the already-published
    content ``video_id``; returns the ``video_sources`` version written.

    For a caller that skips a copy instead of processing it (the inbox's "already published" path):
    call it before the file is filed away, with the path it arrived as. Its size is read from the file
    unless given.
    """
    source = path if is_uri(path) else os.path.abspath(path)
    size = _size_of(source, lake) if size_bytes is None else size_bytes
    version, _, _ = upsert_sources(lake, video_id, [source_row(video_id, source, size, run_id)])
    return version


def sources_of_videos_rows(videos: pa.Table) -> list[dict[str, Any]]:
    """The sightings a batch's ``videos`` rows (one, in practice) record: source, size and run."""
    return [
        source_row(row["video_id"], row["source_uri"], row["size_bytes"], row["run_id"])
        for row in videos.select(["video_id", "source_uri", "size_bytes", "run_id"]).to_pylist()
    ]


def upsert_sources(
    lake: Lake, video_id: str, sightings: list[dict[str, Any]], operation: str = "record-source"
) -> tuple[int, int, int]:
    """Merge ``sightings`` into the video's ``video_sources`` rows in one commit: a source already there
    keeps its ``first_seen_at`` and takes the new ``last_seen_at``, ``run_id``, name and size; every
    other source stays. Returns (version, rows the video now has, attempts)."""
    import pyarrow as pa
    from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake

    video_id = require_video_id(video_id)
    if any(s["video_id"] != video_id for s in sightings):
        raise LakeError(f"{TABLE}: sightings of other videos given for {video_id[:12]}")
    lake.ensure_tables((TABLE,))
    uri, options = lake.table_uri(TABLE), lake.storage_options or None
    where = video_predicate(TABLE, video_id)
    run_id = sightings[-1]["run_id"] if sightings else ""
    metadata = {"facetrack.operation": operation, "facetrack.video_id": video_id, "facetrack.run_id": run_id}
    count = 0

    def merge_and_write() -> int:
        nonlocal count
        require_space(uri, TABLE)
        table = DeltaTable(uri, storage_options=options)  # one snapshot: read and commit against it
        existing = table.to_pyarrow_table(filters=[("video_id", "=", video_id)]).to_pylist()
        rows = merged(existing, sightings)
        count = len(rows)
        data = pa.Table.from_pylist(rows, schema=lake_schema.SCHEMAS[TABLE])
        write_deltalake(
            table,
            data,
            mode="overwrite",
            predicate=where,
            writer_properties=WriterProperties(compression="ZSTD"),
            commit_properties=CommitProperties(custom_metadata=metadata),
        )
        return int(table.version())

    version, attempts = with_commit_retries(merge_and_write, f"{TABLE} ({operation} {video_id[:12]})")
    return version, count, attempts


def merged(existing: list[dict[str, Any]], sightings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``existing`` rows with ``sightings`` upserted by ``source_uri``, oldest first sighting first."""
    by_source = {row["source_uri"]: dict(row) for row in existing}
    for seen in sightings:
        old = by_source.get(seen["source_uri"])
        row = dict(seen)
        if old is not None and old["first_seen_at"] is not None:
            row["first_seen_at"] = min(old["first_seen_at"], seen["first_seen_at"])
        by_source[seen["source_uri"]] = row
    return sorted(by_source.values(), key=lambda r: (r["first_seen_at"], r["source_uri"]))


def published_json_path(lake: Lake, video_id: str) -> str | None:
    """The ``json_path`` of the video's ``videos`` row, if it is published and has one."""
    row = published_values(lake, video_id, ("json_path",))
    return row["json_path"] if row and row["json_path"] else None


def published_values(lake: Lake, video_id: str, columns: Sequence[str]) -> dict[str, Any] | None:
    """These columns of the video's ``videos`` row, None when it is not published; a column the table
    does not have yet (a lake made by an older facetrack) comes back as None."""
    import pyarrow as pa
    from deltalake import QueryBuilder

    require_video_id(video_id)
    if not lake.exists("videos"):
        return None
    try:
        table = lake.open("videos")
        names = {f.name for f in table.schema().fields}
        present = [c for c in columns if c in names] or ["video_id"]
        query = f"SELECT {', '.join(present)} FROM videos WHERE video_id = '{video_id}'"  # hex only
        reader = QueryBuilder().register("videos", table).execute(query)
        rows = pa.RecordBatchReader.from_stream(reader).read_all().to_pylist()
    except LakeError:
        raise
    except Exception as exc:
        raise LakeError(f"cannot read the videos table of {lake.root}: {first_line(exc)}") from None
    if not rows:
        return None
    return {column: rows[0].get(column) for column in columns}


def _size_of(source: str, lake: Lake) -> int:
    try:
        if not is_uri(source):
            return os.path.getsize(source)
        fs, path = arrow_filesystem(source, lake.storage_options)
        return int(fs.get_file_info(path).size or 0)
    except OSError as exc:
        raise LakeError(f"{source}: cannot read its size ({exc})") from None
