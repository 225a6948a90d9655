"""process_video: one video through the pipeline as a Prefect flow, each step its own task run.

The steps are ``tasks.pipeline``'s, run as the tasks of ``flows.steps``; this module adds what only a
flow has: the video's own ``runs`` row when it is not part of a batch, a download when the video is an
object URI, the inbox's rules when it was dropped into one, and the artifact on the run's page.

With an ``inbox``, the flow owns the file's life there (claim → done/ or failed/) and skips content
already in the lake, so the arrival trigger and the cron sweep can race for a file safely.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import Any

from prefect import flow, get_run_logger

from flows.inbox import folder, objects
from flows.steps import as_tasks, io_task
from tasks.errors import BadInputError, FacetrackError, first_line
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
from tasks.redact.blur import checked_blur
from tasks.redact.video import RedactOptions
from tasks.settings import DetectorSettings
from tasks.status import VideoStatus

download_video = io_task("download")(objects.download)


def settings_from(values: dict[str, Any] | None) -> DetectorSettings:
    """Detector settings from a flow parameter (a plain dict, as deployments and events carry them)."""
    try:
        return DetectorSettings(**(values or {}))
    except TypeError as exc:
        raise BadInputError(f"bad detector settings: {exc}") from None


def redact_options_from(blur: str | None) -> RedactOptions | None:
    """The redaction a flow parameter asks for: a blur kind (``"med"``), or None for no redacted copy."""
    if blur is None:
        return None
    return RedactOptions(blur=checked_blur(blur, "the redact parameter"))


class VideoFailed(FacetrackError):
    """A ``process-video`` run that ended Failed: its one-line reason, and the outcome as a dict.

    Prefect wants an exception as a failed state's data; this one carries the outcome, so a caller that
    reads ``state.result(raise_on_failure=False)`` still learns what became of the video
    (``outcome_of``). Picklable (both values are in ``args``), so it crosses Dask workers.
    """

    def __init__(self, message: str, outcome: dict[str, Any]) -> None:
        super().__init__(message, outcome)
        self.outcome = outcome
        self.exit_code = int(outcome.get("exit_code") or FacetrackError.exit_code)

    def __str__(self) -> str:
        return str(self.args[0])


def outcome_of(result: Any) -> dict[str, Any] | None:
    """The outcome dict in a ``process-video`` run's result: its return value, or its ``VideoFailed``."""
    if isinstance(result, dict):
        return result
    if isinstance(result, VideoFailed):
        return result.outcome
    return None


class _NoTracebackForFacetrackErrors(logging.Filter):
    """Drop Prefect's "Engine execution exited with unexpected exception" record (and its 40-line
    traceback) when what ended the run is a ``FacetrackError``: the run already logged its one line
    naming the file and the reason, and the state carries it. Anything else keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, FacetrackError) and "unexpected exception" in str(record.msg))


def quiet_engine_tracebacks() -> None:
    """Install the filter on the loggers Prefect's engine reports a failed flow run with (idempotent).

    A served deployment's run is ``python -m prefect.engine``: it imports this module before running
    the flow, so importing it is enough."""
    for name in ("prefect.flow_runs", "prefect.engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTracebackForFacetrackErrors) for f in logger.filters):
            logger.addFilter(_NoTracebackForFacetrackErrors())


quiet_engine_tracebacks()


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
    redact: str | None = None,
    report: bool = True,
) -> dict[str, Any]:
    """Detect and track faces in one video, write its JSON, validate its rows and publish them to the lake.

    ``video`` is a path or an object URI (e.g. from an S3 notification relayed as an event; downloaded
    first, recorded in the lake by its URI). ``inbox``: the video was dropped there; claim it, skip it if
    its content is already published, and file it under done/ or failed/. ``run_id``: the batch run (an
    inbox sweep) this video belongs to; without one, this flow run is the run and gets its own ``runs``
    row. ``redact``: a blur kind (``med``, ``black``, ...); the video is also written with its faces hidden,
    beside its JSON, and recorded in the ``redactions`` table. ``report``: write the HTML report beside the
    JSON. Returns a ``VideoOutcome`` dict; bad input ends the run Failed with its one-line reason.
    """
    from prefect.runtime import flow_run
    from prefect.states import Failed

    from tasks.validate.suites import warm_up

    warm_up()  # Great Expectations imports (seconds) while the video is probed, hashed and decoded
    store = Lake.resolve(lake)
    own_id = str(flow_run.id or "")
    outcome = VideoOutcome(
        video=video if is_uri(video) else os.path.abspath(video), lake=store.root, flow_run_id=own_id
    )
    try:
        job = VideoJob(
            outcome.video, store, settings_from(settings), json_dir, run_id or own_id,
            redact=redact_options_from(redact), report=report,
        )  # fmt: skip
        as_tasks(prepare_step, store, json_dir)
        with nullcontext(None) if run_id else recorded_run(store, own_id, 1) as run:
            _process(job, outcome, inbox)
            if run is not None and outcome.status != VideoStatus.SKIPPED:
                run.videos.append(outcome)
    except FacetrackError as exc:  # the settings or the lake: nothing could start
        outcome.fail(exc)
        get_run_logger().error("%s", outcome.error_line())
    publish_video_artifact(outcome, store)
    if outcome.status in (VideoStatus.FAILED, VideoStatus.QUARANTINED):
        failure = VideoFailed(outcome.error_line(), outcome.to_dict())
        return Failed(message=outcome.error, data=failure)  # type: ignore[return-value]
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
                record_skipped_source(job.lake, outcome.video_id, job.video, job.run_id)
            else:
                _run(replace(here, video_id=outcome.video_id), outcome)
            outcome.filed_as = _file(job.video, outcome, remote)
    except FacetrackError as exc:  # the download or the filing
        outcome.fail(exc)
        get_run_logger().error("%s", outcome.error_line())


def record_skipped_source(lake: Lake, video_id: str, path: str, run_id: str) -> None:
    """Keep the name a skipped copy arrived as in ``video_sources`` (lineage: every source of a video is
    kept); a failure to record it is a warning, the copy is filed as done either way."""
    from tasks.lake.sources import record_source

    try:
        record_source(lake, video_id, path, run_id)
    except FacetrackError as exc:
        get_run_logger().warning("%s: source not recorded in video_sources (%s)", os.path.basename(path), exc)


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
        "redacted": outcome.redacted_path,
        "report": outcome.report_path,
        "lake": outcome.lake,
        "error": outcome.error,
    }


def artifact_key(outcome: VideoOutcome) -> str | None:
    """``<file name>-<id>`` as Prefect keys allow (lowercase letters, digits, dashes), e.g.
    ``lobby-cam-2-mp4-3f2a9c01b2d4``: one card per file name and content; None before the id is known."""
    if not outcome.video_id:
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", outcome.name.lower()).strip("-")[:60].strip("-") or "video"
    return f"{slug}-{outcome.video_id[:12]}"


FACE_COLUMNS = ("face_id", "first_seconds", "last_seconds", "screen_seconds", "mean_confidence")


def face_rows(lake: Lake, video_id: str) -> list[dict[str, Any]]:
    """The video's rows of the lake's ``faces`` table, by face id: what the per-face table shows."""
    if not video_id or not lake.exists("faces"):
        return []
    try:
        table = lake.open("faces").to_pyarrow_table(
            columns=list(FACE_COLUMNS), filters=[("video_id", "=", video_id)]
        )
    except Exception as exc:  # the card is a courtesy: a read error must not fail a published video
        get_run_logger().warning("faces of %s not shown: %s", video_id[:12], first_line(exc))
        return []
    return sorted(table.to_pylist(), key=lambda row: row["face_id"])


def _link(location: str) -> str:
    target = location if is_uri(location) else "file://" + location
    return f"[{os.path.basename(location)}]({target})"


def video_artifact_markdown(outcome: VideoOutcome, faces: list[dict[str, Any]]) -> str:
    """The run's card: what was found, the faces, and links to what was written."""
    lines = [f"## {outcome.name}: {outcome.status}", ""]
    if outcome.video_id:
        o = outcome
        lines.append(f"content id `{o.video_id[:12]}` · {o.frames} frames at {o.fps:.3f} fps")
        lines.append(
            f"{o.faces} face ids, {o.events} face events · validation: {o.validation or '-'}"
            f" · {o.seconds:.1f} s"
        )
    if outcome.error:
        lines += ["", f"**{outcome.error_line()}**"]
    links = [f"- JSON: {_link(outcome.json_path)}"] if outcome.json_path else []
    if outcome.redacted_path:
        links.append(f"- redacted video: {_link(outcome.redacted_path)}")
    if outcome.report_path:
        links.append(f"- report (gallery, timeline, contact sheet): {_link(outcome.report_path)}")
    if outcome.filed_as:
        links.append(f"- filed as: `{outcome.filed_as}`")
    links.append(f"- lake: `{outcome.lake}`")
    lines += ["", *links]
    if faces:
        lines += [
            "",
            "| face | first s | last s | screen time s | confidence |",
            "|---:|---:|---:|---:|---:|",
            *(
                f"| {f['face_id']} | {f['first_seconds']:.2f} | {f['last_seconds']:.2f} "
                f"| {f['screen_seconds']:.2f} | {f['mean_confidence']:.3f} |"
                for f in faces
            ),
        ]
    return "\n".join(lines) + "\n"


def publish_video_artifact(outcome: VideoOutcome, lake: Lake | None = None) -> None:
    """The run's card on its Artifacts tab, keyed by file name and content id, with the per-face table.

    A skip gets no keyed card (it would overwrite the card of the run that published the video): just
    an unkeyed note on its own run's page."""
    from prefect.artifacts import create_markdown_artifact

    if outcome.status == VideoStatus.SKIPPED:
        create_markdown_artifact(
            markdown=f"{outcome.name}: skipped ({outcome.validation})"
            + (f"; content `{outcome.video_id[:12]}`" if outcome.video_id else ""),
            description=f"{outcome.name}: skipped, {outcome.validation}",
        )
        return
    published = outcome.status == VideoStatus.PUBLISHED
    faces = face_rows(lake, outcome.video_id) if lake is not None and published else []
    create_markdown_artifact(
        markdown=video_artifact_markdown(outcome, faces),
        key=artifact_key(outcome),
        description=f"{outcome.name} · {outcome.video_id[:12] or 'no id'} · {outcome.status}",
    )
