"""process_video: one video through the pipeline as a Prefect flow, each step its own task run.

The steps are ``tasks.pipeline``'s, run as the tasks of ``flows.steps``; this module adds what only a
flow has: the video's own ``runs`` row when it is not part of a batch, a download when the video is an
object URI, the inbox's rules when it was dropped into one, and the artifact on the run's page.

With an ``inbox``, the flow owns the file's life there (claim → done/ or failed/) and skips content
already in the lake, so the arrival trigger and the cron sweep can race for a file safely.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import Any

from prefect import flow, get_run_logger

from flows.inbox import folder, objects
from flows.steps import as_tasks, io_task
from tasks.errors import BadInputError, FacetrackError
from tasks.lake.published import published_video_ids
from tasks.lake.store import Lake, is_uri
from tasks.pipeline import (
    VideoJob,
    VideoOutcome,
    hash_step,
    logged_progress,
    prepare_step,
    recorded_run,
)
from tasks.pipeline import (
    process_video as run_pipeline,
)
from tasks.settings import DetectorSettings
from tasks.status import VideoStatus

download_video = io_task("download")(objects.download)


def settings_from(values: dict[str, Any] | None) -> DetectorSettings:
    """Detector settings from a flow parameter (a plain dict, as deployments and events carry them)."""
    try:
        return DetectorSettings(**(values or {}))
    except TypeError as exc:
        raise BadInputError(f"bad detector settings: {exc}") from None


def _flow_run_name() -> str:
    from prefect.runtime import flow_run

    return os.path.basename(str(flow_run.parameters.get("video", "video")))


@flow(name="process-video", flow_run_name=_flow_run_name)
def process_video(
    video: str,
    lake: str | None = None,
    json_dir: str | None = None,
    settings: dict[str, Any] | None = None,
    inbox: str | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Detect and track faces in one video, write its JSON, validate its rows and publish them to the lake.

    ``video`` is a path or an object URI (e.g. from an S3 notification relayed as an event; downloaded
    first, recorded in the lake by its URI). ``inbox``: the video was dropped there; claim it, skip it if
    its content is already published, and file it under done/ or failed/. ``run_id``: the batch run (an
    inbox sweep) this video belongs to; without one, this flow run is the run and gets its own ``runs``
    row. Returns a ``VideoOutcome`` dict; bad input ends the run Failed with its one-line reason.
    """
    from prefect.runtime import flow_run
    from prefect.states import Failed

    store = Lake.resolve(lake)
    own_id = str(flow_run.id or "")
    outcome = VideoOutcome(
        video=video if is_uri(video) else os.path.abspath(video), lake=store.root, flow_run_id=own_id
    )
    try:
        job = VideoJob(outcome.video, store, settings_from(settings), json_dir, run_id or own_id)
        as_tasks(prepare_step, store, json_dir)
        with nullcontext(None) if run_id else recorded_run(store, own_id, 1) as run:
            _process(job, outcome, inbox)
            if run is not None and outcome.status != VideoStatus.SKIPPED:
                run.videos.append(outcome)
    except FacetrackError as exc:  # the settings or the lake: nothing could start
        outcome.fail(exc)
        get_run_logger().error("%s", exc)
    publish_video_artifact(outcome)
    if outcome.status in (VideoStatus.FAILED, VideoStatus.QUARANTINED):
        return Failed(message=outcome.error, data=outcome.to_dict())  # type: ignore[return-value]
    return outcome.to_dict()


def _process(job: VideoJob, outcome: VideoOutcome, inbox: str | None) -> None:
    """The pipeline on a local copy; with an inbox, claimed, deduplicated and filed away."""
    remote = is_uri(job.video)
    try:
        with (
            _claimed(job.video, job.run_id, inbox is not None and not remote) as mine,
            _local_copy(job.video) as local,
        ):
            if not mine:
                get_run_logger().info("%s: taken by another run, or already filed away", outcome.name)
                outcome.status, outcome.validation = VideoStatus.SKIPPED, "claimed elsewhere"
                return
            here = replace(job, video=local, source=job.video if remote else None)
            if inbox is None:
                _run(here, outcome)
                return
            outcome.video_id = as_tasks(hash_step, local)
            if outcome.video_id in published_video_ids(job.lake, [outcome.video_id]):
                get_run_logger().info(
                    "%s: content %s is already in the lake", outcome.name, outcome.video_id[:12]
                )
                outcome.status, outcome.validation = VideoStatus.SKIPPED, "already published"
            else:
                _run(replace(here, video_id=outcome.video_id), outcome)
            outcome.filed_as = _file(job.video, outcome, remote)
    except FacetrackError as exc:  # the download or the filing
        outcome.fail(exc)
        get_run_logger().error("%s", exc)


def _run(job: VideoJob, outcome: VideoOutcome) -> None:
    run_pipeline(job, outcome, steps=as_tasks, progress=logged_progress(get_run_logger), log=get_run_logger)


def _file(video: str, outcome: VideoOutcome, remote: bool) -> str:
    """File an inbox video: done/ when published or already known, failed/ with the reason otherwise."""
    if outcome.status in (VideoStatus.PUBLISHED, VideoStatus.SKIPPED):
        return objects.file_object_done(video) if remote else folder.file_done(video)
    return (
        objects.file_object_failed(video, outcome.error)
        if remote
        else folder.file_failed(video, outcome.error)
    )


@contextmanager
def _claimed(video: str, owner: str, claim: bool) -> Iterator[bool]:
    """A folder inbox's lock on the file (object stores have no atomic create: one sweep at a time)."""
    if not claim:
        yield True
        return
    with folder.claimed(video, owner=owner) as mine:
        yield mine


@contextmanager
def _local_copy(video: str) -> Iterator[str]:
    """The video itself, or for an object URI a download that is removed afterwards."""
    if not is_uri(video):
        yield video
        return
    staging = tempfile.mkdtemp(prefix="facetrack-video-")
    try:
        yield download_video(video, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def video_artifact_row(outcome: VideoOutcome) -> dict[str, Any]:
    """One video as a row of an artifact table on the run's page."""
    return {
        "video": outcome.name,
        "status": str(outcome.status),
        "frames": outcome.frames,
        "fps": round(outcome.fps, 3),
        "face ids": outcome.faces,
        "face events": outcome.events,
        "validation": outcome.validation,
        "video_id": outcome.video_id[:12],
        "json": outcome.json_path,
        "lake": outcome.lake,
        "error": outcome.error,
    }


def publish_video_artifact(outcome: VideoOutcome) -> None:
    """A one-row table on the run's Artifacts tab: what was found and where it went."""
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        table=[video_artifact_row(outcome)],
        key=f"video-{outcome.video_id[:16]}" if outcome.video_id else None,
        description=f"facetrack: {outcome.name} {outcome.status}",
    )
