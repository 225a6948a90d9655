"""published: which videos the lake holds. A video counts as published only through its ``videos`` row
(``tasks.lake.publish``), so that is the table asked; a filter on ``video_id`` is pushed down to the Delta
scan, so an inbox sweep does not read the whole table once per file."""

from __future__ import annotations

from collections.abc import Iterable

from tasks.errors import LakeError, first_line
from tasks.lake.store import Lake
from tasks.status import VideoStatus
from tasks.video.content_id import is_video_id


def published_video_ids(lake: Lake, among: Iterable[str] | None = None) -> set[str]:
    """Every published video's id, or those of ``among`` (SHA-256 hex ids) that are published."""
    import pyarrow.compute as pc

    filters = None
    if among is not None:
        wanted = sorted({c for c in among if is_video_id(c)})
        if not wanted:
            return set()
        filters = [("video_id", "in", wanted)]
    if not lake.exists("videos"):
        return set()
    try:
        table = lake.open("videos").to_pyarrow_table(columns=["video_id", "status"], filters=filters)
    except LakeError:
        raise
    except Exception as exc:
        raise LakeError(f"cannot read the videos table of {lake.root}: {first_line(exc)}") from None
    published = table.filter(pc.equal(table["status"], str(VideoStatus.PUBLISHED)))
    return set(published.column("video_id").to_pylist())
