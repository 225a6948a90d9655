"""process_inbox / process_videos: many videos, each its own ``process-video`` run, a few at a time.

Each video runs whole inside one task on the chosen task runner (threads here, or a Dask worker
elsewhere; ``flows.runners``), as a ``process-video`` subflow, so the UI shows one run per video with its
steps and artifact, and a corrupt file fails its own run only. The batch run reports the totals.

``process_inbox`` adds the inbox rules (``flows.inbox``): only settled files, content already in the
lake is filed as done without reprocessing (so renamed or re-uploaded copies are not redone), and every
file ends in done/ or failed/.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.process_video import FAILED, PUBLISHED, QUARANTINED, SKIPPED, VideoOutcome, process_video
from flows.retry_policy import io_task
from tasks.errors import FacetrackError


@task(name="process-one-video", cache_policy=NO_CACHE)
def process_one_video(
    video: str,
    lake: str,
    json_dir: str | None,
    settings: dict[str, Any] | None,
    inbox: str | None,
    run_id: str,
) -> dict[str, Any]:
    """Run the ``process-video`` subflow; its failure is reported, not raised, so siblings carry on."""
    from flows.object_inbox import is_object_uri

    if inbox is not None and is_object_uri(video):
        return _process_object(video, lake, json_dir, settings, run_id).to_dict()
    return _subflow(video, lake, json_dir, settings, inbox, run_id, source=None).to_dict()


def _subflow(
    video: str,
    lake: str,
    json_dir: str | None,
    settings: dict[str, Any] | None,
    inbox: str | None,
    run_id: str,
    source: str | None,
) -> VideoOutcome:
    state = process_video(
        video=video,
        lake=lake,
        json_dir=json_dir,
        settings=settings,
        inbox=inbox,
        run_id=run_id,
        source=source,
        return_state=True,
    )
    data = state.result(raise_on_failure=False)
    if isinstance(data, dict):
        return VideoOutcome.from_dict(data)
    return VideoOutcome(video=source or video, status=FAILED, lake=lake, error=str(data or state.message))


def _process_object(
    uri: str, lake: str, json_dir: str | None, settings: dict[str, Any] | None, run_id: str
) -> VideoOutcome:
    """Download on this worker, skip known content, process the copy, then file the object."""
    import shutil
    import tempfile

    from flows import object_inbox
    from flows.lake_index import published_video_ids
    from tasks.normalize import file_sha256

    staging = tempfile.mkdtemp(prefix="facetrack-inbox-")
    try:
        local = object_inbox.download(uri, staging)
        video_id = file_sha256(local)
        if video_id in published_video_ids(lake, [video_id]):
            filed = object_inbox.file_object_done(uri)
            return VideoOutcome(
                video=uri,
                status=SKIPPED,
                video_id=video_id,
                lake=lake,
                validation="already published",
                filed_as=filed,
            )
        outcome = _subflow(local, lake, json_dir, settings, None, run_id, source=uri)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if outcome.status == PUBLISHED:
        outcome.filed_as = object_inbox.file_object_done(uri)
    else:
        outcome.filed_as = object_inbox.file_object_failed(uri, outcome.error)
    return outcome


@io_task("find-new-videos")
def find_new_videos(inbox: str, lake: str, settle_seconds: float) -> tuple[list[str], list[str]]:
    """(settled videos to process, videos filed as done because their content is already published).

    For an object-store prefix: the settled objects, all "new"; each is hashed by the worker that
    downloads it (hashing here would download every object twice).
    """
    from flows import inbox as ib
    from flows.lake_index import published_video_ids
    from flows.object_inbox import is_object_uri, ready_objects

    logger = get_run_logger()
    if is_object_uri(inbox):
        objects = [item.path for item in ready_objects(inbox, settle_seconds)]
        logger.info("%s: %d settled video object(s)", inbox, len(objects))
        return objects, []
    ready = ib.ready_videos(inbox, settle_seconds)
    hashes: dict[str, str] = {}
    for item in ready:
        try:
            hashes[item.path] = ib.content_hash(item.path)
        except FileNotFoundError:  # taken by an arrival run meanwhile
            continue
    known = published_video_ids(lake, hashes.values())
    new, duplicates = [], []
    for path, video_id in hashes.items():
        if video_id not in known:
            new.append(path)
            continue
        with ib.claimed(path) as mine:
            if mine:
                ib.file_done(path)
                duplicates.append(path)
    logger.info(
        "%s: %d settled video(s), %d new, %d already in the lake",
        inbox,
        len(hashes),
        len(new),
        len(duplicates),
    )
    return new, duplicates


def run_batch(
    videos: list[str],
    lake: str,
    json_dir: str | None,
    settings: dict[str, Any] | None,
    inbox: str | None,
    run_id: str,
    runner: str,
    workers: int,
    dask_address: str | None,
) -> list[VideoOutcome]:
    """Submit one task per video to the chosen runner; at most ``workers`` run at once."""
    from flows.runners import make_task_runner

    if not videos:
        return []
    with make_task_runner(runner, workers, dask_address) as task_runner:
        futures = [
            task_runner.submit(
                process_one_video,
                parameters={
                    "video": video,
                    "lake": lake,
                    "json_dir": json_dir,
                    "settings": settings,
                    "inbox": inbox,
                    "run_id": run_id,
                },
            )
            for video in videos
        ]
        return [VideoOutcome.from_dict(future.result()) for future in futures]


def totals(outcomes: list[VideoOutcome]) -> dict[str, int]:
    counts = {status: 0 for status in (PUBLISHED, QUARANTINED, FAILED, SKIPPED)}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    counts["total"] = len(outcomes)
    return counts


def _report(outcomes: list[VideoOutcome], title: str, started: float) -> dict[str, Any]:
    """Log and publish the batch totals; returns the flow's result."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    counts = totals(outcomes)
    summary = (
        ", ".join(f"{n} {status}" for status, n in counts.items() if n and status != "total") or "no videos"
    )
    get_run_logger().info("%s: %s in %.1f s", title, summary, time.perf_counter() - started)
    if outcomes:
        create_table_artifact(table=[o.artifact_row() for o in outcomes], description=f"{title}: {summary}")
    failures = [f"- `{os.path.basename(o.video)}`: {o.error}" for o in outcomes if o.error]
    create_markdown_artifact(
        markdown=f"## {title}\n\n{summary}\n\n" + ("\n".join(failures) if failures else ""),
        description=summary,
    )
    return {"totals": counts, "videos": [o.to_dict() for o in outcomes]}


def _completed(result: dict[str, Any]) -> Any:
    """Completed even when some videos failed (their own runs show it); the message says how many."""
    from prefect.states import Completed

    counts = result["totals"]
    message = f"{counts[PUBLISHED]} published, {counts[FAILED]} failed, {counts[QUARANTINED]} quarantined"
    return Completed(message=message, data=result)


def _run_recorded(
    lake: str,
    videos: list[str],
    json_dir: str | None,
    settings: dict[str, Any] | None,
    inbox: str | None,
    runner: str,
    workers: int,
    dask_address: str | None,
) -> list[VideoOutcome]:
    """The batch under one ``runs`` row keyed by this flow run's id ("running" first, then the totals)."""
    from datetime import UTC, datetime

    from prefect.runtime import flow_run

    from flows.pipeline import RunSummary, record_run
    from flows.process_video import ensure_lake
    from tasks.lake import Lake

    if not videos:
        return []
    store = Lake.resolve(lake)
    ensure_lake(store.root)
    run = RunSummary(run_id=str(flow_run.id or ""), started_at=datetime.now(UTC))
    record_run(store, run, total=len(videos))
    outcomes = run_batch(
        videos, store.root, json_dir, settings, inbox, run.run_id, runner, workers, dask_address
    )
    run.videos = [o.to_summary() for o in outcomes if o.status != SKIPPED]
    run.finished_at = datetime.now(UTC)
    record_run(store, run, total=len(run.videos))
    return outcomes


def _refused(exc: FacetrackError) -> Any:
    """End the run Failed with the one-line reason (no traceback); the caller gets the exception back."""
    from prefect.states import Failed

    get_run_logger().error("%s", exc)
    return Failed(message=str(exc), data=exc)


@flow(name="process-inbox")
def process_inbox(
    inbox: str,
    lake: str | None = None,
    json_dir: str | None = None,
    settings: dict[str, Any] | None = None,
    settle_seconds: float = 10.0,
    runner: str = "threads",
    workers: int = 2,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Process every settled, not-yet-published video in ``inbox`` (a folder or an ``s3://`` prefix); file
    each under done/ or failed/."""
    from flows.object_inbox import is_object_uri
    from tasks.lake import Lake

    started = time.perf_counter()
    lake_root = Lake.resolve(lake).root
    inbox = inbox.rstrip("/") if is_object_uri(inbox) else os.path.abspath(inbox)
    try:
        new, duplicates = find_new_videos(inbox, lake_root, settle_seconds)
        outcomes = _run_recorded(lake_root, new, json_dir, settings, inbox, runner, workers, dask_address)
    except FacetrackError as exc:  # the lake or the runner, not a video: the whole sweep cannot run
        return _refused(exc)
    outcomes += [
        VideoOutcome(video=path, status=SKIPPED, lake=lake_root, validation="already published")
        for path in duplicates
    ]
    return _completed(_report(outcomes, f"inbox {inbox}", started))


@flow(name="process-videos")
def process_videos(
    videos: list[str],
    lake: str | None = None,
    json_dir: str | None = None,
    settings: dict[str, Any] | None = None,
    runner: str = "threads",
    workers: int = 1,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Process the given videos (``facetrack run`` with a server); files stay where they are."""
    from tasks.lake import Lake

    started = time.perf_counter()
    try:
        lake_root = Lake.resolve(lake).root
        outcomes = _run_recorded(lake_root, videos, json_dir, settings, None, runner, workers, dask_address)
    except FacetrackError as exc:
        return _refused(exc)
    return _completed(_report(outcomes, f"{len(videos)} video(s)", started))
