"""lake_rows: one published video's rows, read from the lake for its report.

Reads the ``videos`` row, its ``face_events`` (one partition, pushed down), ``shots``, the
``validations`` of its latest validation and its ``redactions``; a table a lake does not have yet (an
older lake, a lake never validated) is simply unknown to the page, not an error. A video the gate refused
has no ``videos`` row: its batch is read from the quarantine instead, and the page names the failed
expectations, which is what a reviewer of a quarantined video needs to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tasks.errors import BadInputError, LakeError, first_line
from tasks.lake.commit import video_filters
from tasks.lake.store import Lake
from tasks.report.facts import Validation
from tasks.video.content_id import is_video_id
from tasks.video.shots import Shot

if TYPE_CHECKING:
    import polars as pl

MIN_PREFIX = 6  # hex digits of a video id a user may type instead of all 64


@dataclass
class VideoRows:
    video: dict[str, Any]
    face_events: pl.DataFrame
    shots: list[Shot] | None
    validation: Validation | None
    redacted_files: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None  # the JSON as written, when the rows may not rebuild it


def read_video_rows(lake: Lake, video_id: str) -> VideoRows:
    """The rows of the video ``video_id`` (or a unique prefix of at least six hex digits of it), from
    the published tables, else from the quarantine."""
    video = _video_row(lake, video_id)
    if video is None:
        return _quarantined_rows(lake, video_id)
    vid = str(video["video_id"])
    events = _rows(lake, "face_events", vid)
    if events is None:
        raise LakeError(f"no 'face_events' table in the lake at {lake.root}")
    shots = _shots(_rows(lake, "shots", vid))
    redactions = _rows(lake, "redactions", vid)
    redacted = [] if redactions is None else [str(u) for u in redactions["output_uri"].to_list()]
    return VideoRows(video, events, shots, _validation(lake, vid, str(video.get("status", ""))), redacted)


def _video_row(lake: Lake, video_id: str) -> dict[str, Any] | None:
    import polars as pl

    wanted = video_id.strip().lower()
    if not (len(wanted) >= MIN_PREFIX and is_video_id(wanted.ljust(64, "0"))):
        raise BadInputError(
            f"{video_id!r}: not a video id (64 hex digits, or the first {MIN_PREFIX} or more of them)"
        )
    if not lake.exists("videos"):
        return None
    try:
        if len(wanted) == 64:
            table = lake.open("videos").to_pyarrow_table(filters=[("video_id", "=", wanted)])
        else:
            table = lake.open("videos").to_pyarrow_table()
    except LakeError:
        raise
    except Exception as exc:
        raise LakeError(f"cannot read the videos table of {lake.root}: {first_line(exc)}") from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    matches = frame.filter(pl.col("video_id").str.starts_with(wanted))
    if len(matches) == 0:
        return None
    if matches["video_id"].n_unique() > 1:
        raise BadInputError(f"video {video_id}: the prefix matches {matches['video_id'].n_unique()} videos")
    return matches.sort("processed_at").row(-1, named=True)


def _quarantined_rows(lake: Lake, video_id: str) -> VideoRows:
    """A refused video's batch as the quarantine holds it, with the gate's reason and failures."""
    from tasks.validate.quarantine import load_quarantined_batch, quarantined_video_ids

    wanted = video_id.strip().lower()
    matches = [v for v in quarantined_video_ids(lake) if v.startswith(wanted)]
    if not matches:
        raise BadInputError(f"video {video_id}: neither published nor quarantined in the lake at {lake.root}")
    if len(matches) > 1:
        raise BadInputError(f"video {video_id}: the prefix matches {len(matches)} quarantined videos")
    batch = load_quarantined_batch(lake, matches[0])
    videos = batch.tables["videos"]
    if len(videos) == 0:
        raise BadInputError(f"video {video_id}: its quarantined batch has no videos row to report on")
    video = videos.row(0, named=True)
    events = batch.tables["face_events"].drop_nulls(["face_id", "frame_index", "x", "y", "width", "height"])
    validation = _validation(lake, batch.video_id, "quarantined")
    reason = str(batch.extra.get("quarantine_reason") or "")
    if validation is None or not validation.failed:
        failed = [str(v) for v in videos["failed_expectations"][0]] if "failed_expectations" in videos else []
        validation = Validation("quarantined", reason, failed)
    else:
        validation = Validation("quarantined", f"{reason} ({validation.summary})", validation.failed)
    shots = _shots(batch.tables.get("shots"))
    return VideoRows(video, events, shots, validation, [], batch.document or None)


def _shots(rows: pl.DataFrame | None) -> list[Shot] | None:
    if rows is None or len(rows) == 0:
        return None
    return [
        Shot(
            int(r["shot_index"]),
            int(r["first_frame"]),
            int(r["last_frame"]),
            float(r["start_seconds"]),
            float(r["end_seconds"]),
        )
        for r in rows.sort("shot_index").iter_rows(named=True)
    ]


def _rows(lake: Lake, table: str, video_id: str) -> pl.DataFrame | None:
    import polars as pl

    if not lake.exists(table):
        return None
    filters = video_filters(table, video_id) if table != "validations" else [("video_id", "=", video_id)]
    try:
        frame = pl.from_arrow(lake.open(table).to_pyarrow_table(filters=filters))
    except LakeError:
        raise
    except Exception as exc:
        raise LakeError(f"cannot read the {table} table of {lake.root}: {first_line(exc)}") from None
    assert isinstance(frame, pl.DataFrame)
    return frame


def _validation(lake: Lake, video_id: str, status: str) -> Validation | None:
    """The latest validation of the video: how many expectations passed, and the failed ones by name."""
    import polars as pl

    rows = _rows(lake, "validations", video_id)
    if rows is None or len(rows) == 0:
        return Validation(status or "unknown", "no validation results recorded for this video")
    latest = rows.filter(pl.col("run_id") == rows.sort("validated_at")["run_id"][-1])
    failed = latest.filter(~pl.col("success"))
    names = [
        f"{r['suite']}: {r['expectation']}" for r in failed.sort("suite", "expectation").iter_rows(named=True)
    ]
    when = str(latest["validated_at"].max())
    summary = f"{len(latest) - len(failed)} of {len(latest)} expectations met (validated {when})"
    return Validation(status or ("passed" if not names else "failed"), summary, names)
