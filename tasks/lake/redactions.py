"""redactions: the lake's record of every redacted video written, one row per (video, output file).

``facetrack run --redact`` and ``serve --redact`` write the redacted video beside the video's JSON and
then record it here, after the GX gate accepted the row (``expectations/redactions.json``). The file is
complete (renamed into place, or uploaded in one PUT) before its row exists, so a row always points at a
whole video; redacting the same video to the same file again replaces its row.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tasks.lake import schema as lake_schema
from tasks.lake.commit import predicate, write_rows
from tasks.lake.runs import facetrack_version
from tasks.lake.store import Lake
from tasks.video.content_id import require_video_id

if TYPE_CHECKING:
    import polars as pl

    from tasks.redact.video import RedactionResult, RedactOptions

TABLE = "redactions"


def redaction_rows(
    video_id: str,
    output_uri: str,
    result: RedactionResult,
    options: RedactOptions,
    face_ids: Collection[int],
    all_faces: bool,
    margin: float,
    run_id: str,
) -> pl.DataFrame:
    """The ``redactions`` row of one redacted file, in the lake's schema."""
    import polars as pl

    row = {
        "video_id": video_id,
        "output_uri": output_uri,
        "face_ids": sorted(int(i) for i in face_ids),
        "all_faces": all_faces,
        "blur": options.blur,
        "shape": options.shape,
        "margin": float(margin),
        "codec": options.codec,
        "crf": options.crf,
        "frames": result.frames,
        "masked_frames": result.masked_frames,
        "size_bytes": result.size_bytes,
        "seconds": result.seconds,
        "redacted_at": datetime.now(UTC),
        "run_id": run_id,
        "facetrack_version": facetrack_version(),
    }
    return pl.DataFrame([row], schema=lake_schema.polars_schema(TABLE))


def record_redaction(lake: Lake, rows: pl.DataFrame) -> int:
    """Insert or replace the row of each (video, output file); one commit, retried on conflict."""
    from deltalake import WriterProperties

    data = rows.to_arrow().cast(lake_schema.REDACTIONS)
    (video_id,) = set(data.column("video_id").to_pylist())
    (output_uri,) = set(data.column("output_uri").to_pylist())
    lake.ensure_tables((TABLE,))
    where = predicate([("video_id", "=", require_video_id(video_id)), ("output_uri", "=", output_uri)])
    version, _ = write_rows(
        lake.table_uri(TABLE),
        data,
        f"{TABLE} ({video_id[:12]})",
        storage_options=lake.storage_options,
        where=where,
        writer_properties=WriterProperties(compression="ZSTD"),
    )
    return version
