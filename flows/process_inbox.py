"""process_inbox: the cron sweep of an inbox (a folder or an object-store prefix).

The inbox rules (``flows.inbox``): only settled files; content already in the lake is filed as done
without reprocessing (so renamed or re-uploaded copies are not redone); every file ends in done/ or
failed/. The new ones run as one batch (``flows.batch``), each its own ``process-video`` subflow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger

from flows.batch import refused, report, run_batch
from flows.inbox import folder
from flows.inbox.objects import ready_objects
from flows.process_video import record_skipped_source
from flows.steps import io_task
from tasks.errors import BadInputError, FacetrackError
from tasks.lake.published import published_video_ids
from tasks.lake.store import Lake, is_uri
from tasks.pipeline import VideoOutcome
from tasks.status import VideoStatus
from tasks.video.content_id import video_id


def pending_videos(inbox: str, settle_seconds: float, skip: Iterable[str] = ()) -> list[str]:
    """What a sweep would look at: settled videos nobody has claimed, less ``skip`` (files another run
    of this process is about to take). Cheap (a listing), so a caller can decide whether a sweep is
    worth a flow run at all."""
    leave = {os.path.abspath(p) if not is_uri(p) else p for p in skip}
    if is_uri(inbox):
        ready = ready_objects(inbox, settle_seconds)
    else:
        ready = folder.ready_videos(inbox, settle_seconds)
    return [item.path for item in ready if item.path not in leave]


@io_task("find-new-videos")
def find_new_videos(
    inbox: str, lake: str, settle_seconds: float, skip: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """(settled videos to process, videos filed as done because their content is already published).

    Files claimed by another run (an arrival run) or named in ``skip`` are left alone. For an
    object-store prefix: the settled objects, all "new"; each is hashed by the worker that downloads it
    (hashing here would download every object twice).
    """
    logger = get_run_logger()
    if is_uri(inbox):
        found = pending_videos(inbox, settle_seconds, skip or ())
        logger.info("%s: %d settled video object(s)", inbox, len(found))
        return found, []
    hashes: dict[str, str] = {}
    for path in pending_videos(inbox, settle_seconds, skip or ()):
        try:
            hashes[path] = video_id(path)
        except BadInputError as exc:  # taken by an arrival run meanwhile, or unreadable: not this sweep's
            logger.info("%s: skipped (%s)", os.path.basename(path), exc)
    known = published_video_ids(Lake.resolve(lake), hashes.values())
    new, duplicates = [], []
    for path, content in hashes.items():
        if content not in known:
            if not folder.is_claimed(path):  # an arrival run took it while this sweep was hashing
                new.append(path)
            continue
        with folder.claimed(path) as mine:
            if mine:
                record_skipped_source(Lake.resolve(lake), content, path, _flow_run_id())
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


def _flow_run_id() -> str:
    from prefect.runtime import flow_run

    return str(flow_run.id or "")


def _sweep_run_name() -> str:
    from prefect.runtime import flow_run

    inbox = str(flow_run.parameters.get("inbox", "inbox")).rstrip("/")
    return f"sweep {os.path.basename(inbox) or inbox} {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _rename_run(name: str) -> None:
    """Put the counts into the run's name once they are known (best effort: a name is not worth a
    failed sweep)."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    if not flow_run.id:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(UUID(flow_run.id), name=name)
    except Exception as exc:
        get_run_logger().debug("could not rename the run: %s", exc)


@flow(name="process-inbox", flow_run_name=_sweep_run_name)
def process_inbox(
    inbox: str,
    lake: str | None = None,
    json_dir: str | None = None,
    settings: dict[str, Any] | None = None,
    settle_seconds: float = folder.DEFAULT_SETTLE_SECONDS,
    runner: str = "threads",
    workers: int = 2,
    dask_address: str | None = None,
    redact: str | None = None,
    skip: list[str] | None = None,
) -> dict[str, Any]:
    """Process every settled, not-yet-published video in ``inbox`` (a folder or an ``s3://`` prefix); file
    each under done/ or failed/. ``skip``: files to leave to other runs (``facetrack serve`` passes the
    arrivals it is about to process itself)."""
    from prefect.runtime import flow_run

    started = time.perf_counter()
    lake_root = Lake.resolve(lake).root
    inbox = inbox.rstrip("/") if is_uri(inbox) else os.path.abspath(inbox)
    try:
        new, duplicates = find_new_videos(inbox, lake_root, settle_seconds, skip)
        if new or duplicates:
            _rename_run(f"{flow_run.name}: {len(new)} new, {len(duplicates)} known")
        outcomes = run_batch(new, lake_root, json_dir, settings, inbox, runner, workers, dask_address, redact)
    except FacetrackError as exc:  # the lake or the runner, not a video: the whole sweep cannot run
        return refused(exc)  # type: ignore[no-any-return]
    outcomes += [
        VideoOutcome(video=path, status=VideoStatus.SKIPPED, lake=lake_root, validation="already published")
        for path in duplicates
    ]
    return report(outcomes, f"inbox {inbox}", started)  # type: ignore[no-any-return]
