"""process_inbox: the cron sweep of an inbox (a folder or an object-store prefix).

The inbox rules (``flows.inbox``): only settled files; content already in the lake is filed as done
without reprocessing (so renamed or re-uploaded copies are not redone); every file ends in done/ or
failed/. The new ones run as one batch (``flows.batch``), each its own ``process-video`` subflow.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prefect import flow, get_run_logger

from flows.batch import refused, report, run_batch
from flows.inbox import folder
from flows.inbox.objects import ready_objects
from flows.steps import io_task
from tasks.errors import BadInputError, FacetrackError
from tasks.lake.published import published_video_ids
from tasks.lake.store import Lake, is_uri
from tasks.pipeline import VideoOutcome
from tasks.status import VideoStatus
from tasks.video.content_id import video_id


@io_task("find-new-videos")
def find_new_videos(inbox: str, lake: str, settle_seconds: float) -> tuple[list[str], list[str]]:
    """(settled videos to process, videos filed as done because their content is already published).

    For an object-store prefix: the settled objects, all "new"; each is hashed by the worker that
    downloads it (hashing here would download every object twice).
    """
    logger = get_run_logger()
    if is_uri(inbox):
        found = [item.path for item in ready_objects(inbox, settle_seconds)]
        logger.info("%s: %d settled video object(s)", inbox, len(found))
        return found, []
    hashes: dict[str, str] = {}
    for item in folder.ready_videos(inbox, settle_seconds):
        try:
            hashes[item.path] = video_id(item.path)
        except BadInputError as exc:  # taken by an arrival run meanwhile, or unreadable: not this sweep's
            logger.info("%s: skipped (%s)", item.name, exc)
    known = published_video_ids(Lake.resolve(lake), hashes.values())
    new, duplicates = [], []
    for path, content in hashes.items():
        if content not in known:
            new.append(path)
            continue
        with folder.claimed(path) as mine:
            if mine:
                folder.file_done(path)
                duplicates.append(path)
    logger.info(
        "%s: %d settled video(s), %d new, %d already in the lake",
        inbox,
        len(hashes),
        len(new),
        len(duplicates),
    )
    return new, duplicates


@flow(name="process-inbox")
def process_inbox(
    inbox: str,
    lake: str | None = None,
    json_dir: str | None = None,
    settings: dict[str, Any] | None = None,
    settle_seconds: float = folder.DEFAULT_SETTLE_SECONDS,
    runner: str = "threads",
    workers: int = 2,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Process every settled, not-yet-published video in ``inbox`` (a folder or an ``s3://`` prefix); file
    each under done/ or failed/."""
    started = time.perf_counter()
    lake_root = Lake.resolve(lake).root
    inbox = inbox.rstrip("/") if is_uri(inbox) else os.path.abspath(inbox)
    try:
        new, duplicates = find_new_videos(inbox, lake_root, settle_seconds)
        outcomes = run_batch(new, lake_root, json_dir, settings, inbox, runner, workers, dask_address)
    except FacetrackError as exc:  # the lake or the runner, not a video: the whole sweep cannot run
        return refused(exc)  # type: ignore[no-any-return]
    outcomes += [
        VideoOutcome(video=path, status=VideoStatus.SKIPPED, lake=lake_root, validation="already published")
        for path in duplicates
    ]
    return report(outcomes, f"inbox {inbox}", started)  # type: ignore[no-any-return]
