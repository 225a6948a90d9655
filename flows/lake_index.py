"""lake_index: which video contents the lake already holds, for deduplicating an inbox by content hash.

A video counts as published only through its ``videos`` row (``tasks.publish``), so that is the table
asked. The filter on ``video_id`` is pushed down to the Delta scan: a sweep of a busy inbox must not read
the whole table once per file.
"""

from __future__ import annotations

from collections.abc import Iterable

from tasks.errors import LakeError


def published_video_ids(lake: str | None, candidates: Iterable[str]) -> set[str]:
    """The subset of ``candidates`` (SHA-256 hex ids) with a published ``videos`` row."""
    import pyarrow.compute as pc

    from tasks.lake import Lake
    from tasks.normalize import PUBLISHED, is_video_id

    wanted = sorted({c for c in candidates if is_video_id(c)})
    if not wanted:
        return set()
    store = Lake.resolve(lake)
    if not store.exists("videos"):
        return set()
    try:
        table = store.open("videos").to_pyarrow_table(
            columns=["video_id", "status"], filters=[("video_id", "in", wanted)]
        )
    except LakeError:
        raise
    except Exception as exc:
        raise LakeError(f"cannot read the videos table of {store.root}: {exc}") from None
    published = table.filter(pc.equal(table["status"], PUBLISHED))
    return set(published.column("video_id").to_pylist())
