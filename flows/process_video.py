"""process_video: one video through the whole pipeline, as a Prefect flow with one task per step.

    probe → content hash → detect+track → write JSON → normalize → validate → publish (or quarantine)

The steps are the plain pipeline's (``flows.pipeline``, ``tasks.*``); this module only decides how each
is run: which may be retried, what is logged to the run, what the UI shows. Retries are for I/O (a
flaky network disk, an object store timing out, a Delta commit losing a race); a ``FacetrackError`` is
the input's fault (not a video, a contract breach, a failed gate) and fails at once with its one-line
reason — retrying a corrupt file only triples the time to learn it is corrupt.

When given an ``inbox``, the flow also owns the file's life there (claim → done/ or failed/) and skips
content already in the lake, so the arrival trigger and the cron sweep can race for a file safely.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.retry_policy import io_task
from tasks.errors import FacetrackError

if TYPE_CHECKING:
    from flows.pipeline import RunSummary, VideoSummary
    from tasks.batch import VideoBatch
    from tasks.probe import VideoInfo
    from tasks.results import DetectorSettings, VideoResult
    from tasks.validate import ValidationOutcome

PUBLISHED, QUARANTINED, FAILED, SKIPPED = "published", "quarantined", "failed", "skipped"


@dataclass
class VideoOutcome:
    """What became of one video: plain values, so it crosses processes (Dask) and fills artifacts."""

    video: str
    status: str = FAILED  # published | quarantined | failed | skipped
    video_id: str = ""
    frames: int = 0
    fps: float = 0.0
    faces: int = 0  # distinct face ids
    events: int = 0
    validation: str = ""
    json_path: str = ""
    lake: str = ""
    error: str = ""
    exit_code: int = 0
    detect_seconds: float = 0.0
    seconds: float = 0.0
    flow_run_id: str = ""
    filed_as: str = ""  # where an inbox file went (done/ or failed/)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoOutcome:
        return cls(**data)

    def to_summary(self) -> VideoSummary:
        """The plain pipeline's summary: ``facetrack run`` prints the same lines with or without a server."""
        from flows.pipeline import VideoSummary

        return VideoSummary(
            path=self.video,
            status=self.status,
            video_id=self.video_id,
            json_path=self.json_path or None,
            frames=self.frames,
            face_events=self.events,
            faces=self.faces,
            detect_seconds=self.detect_seconds,
            seconds=self.seconds,
            error=self.error or None,
            exit_code=self.exit_code,
        )

    def artifact_row(self) -> dict[str, Any]:
        return {
            "video": os.path.basename(self.video),
            "status": self.status,
            "frames": self.frames,
            "fps": round(self.fps, 3),
            "face ids": self.faces,
            "face events": self.events,
            "validation": self.validation,
            "video_id": self.video_id[:12],
            "json": self.json_path,
            "lake": self.lake,
            "error": self.error,
        }


# Every task opts out of Prefect's input-hash cache (see ``io_task``).


@io_task("check-lake")
def ensure_lake(lake: str) -> None:
    """Create missing tables now: an unwritable lake fails before decoding, not after an hour of it."""
    from tasks.lake import Lake

    Lake.resolve(lake).ensure_tables()


@io_task("download")
def download_video(uri: str, directory: str) -> str:
    """A local copy of an object-store video: PyAV and the hash read local files."""
    from flows.object_inbox import download

    return download(uri, directory)


@io_task("probe")
def probe_video(video: str) -> VideoInfo:
    from flows.pipeline import probe_step

    info = probe_step(video)
    get_run_logger().info(
        "%s: %dx%d %s, %.3f fps, %d frames",
        info.path,
        info.width,
        info.height,
        info.codec,
        info.fps,
        info.frame_count,
    )
    return info


@io_task("content-hash")
def hash_video(video: str) -> str:
    from flows.pipeline import hash_step

    return hash_step(video)


# A decode that dies on a flaky read gets one more go; bad input never does.
@io_task("detect-track", retries=1, retry_delay_seconds=[5.0])
def detect_and_track(video: str, settings: DetectorSettings, info: VideoInfo) -> VideoResult:
    from flows.pipeline import detect_step

    logger = get_run_logger()
    step = max(1, info.frame_count // 10)
    logged = {-1}

    def progress(done: int, total: int, faces: int) -> None:
        if (done % step == 0 or done == total) and done not in logged:
            logged.add(done)
            logger.info("frame %d/%d, %d faces so far", done, total, faces)

    result = detect_step(video, settings, info, progress)
    logger.info(
        "%d frames in %.1f s (%.1f frames/s): %d face events, %d face ids",
        result.frames_decoded,
        result.elapsed_seconds,
        result.frames_per_second,
        len(result.tracks),
        result.tracks.faces_detected,
    )
    return result


@task(name="normalize", cache_policy=NO_CACHE)  # deterministic: a retry would fail the same way
def normalize_rows(
    result: VideoResult, document: dict[str, Any], video_id: str, json_path: str, run_id: str, source: str
) -> VideoBatch:
    """``flows.pipeline.normalize_step``, with the video's real origin (an object URI for a download)."""
    from tasks.normalize import normalize

    return normalize(
        result, document, video_id=video_id, source_uri=source, json_path=json_path, run_id=run_id
    )


@io_task("write-json")
def write_json(document: dict[str, Any], location: str, lake: str) -> str:
    from flows.pipeline import write_json_step
    from tasks.lake import Lake

    return write_json_step(document, location, Lake.resolve(lake))


# The gate never raises on bad data; what it raises is the lake's I/O.
@io_task("validate-and-publish")
def gate_and_publish(lake: str, batch: VideoBatch) -> ValidationOutcome:
    """Write, audit, publish: a passing batch is committed, a failing one quarantined (``tasks.gate``)."""
    from flows.pipeline import gate_step
    from tasks.lake import Lake

    outcome = gate_step(Lake.resolve(lake), batch)
    logger = get_run_logger()
    if outcome.success:
        logger.info("validation passed in %.2f s; published %s", outcome.seconds, batch.video_id[:12])
    else:
        logger.warning("validation %s; quarantined, not published", outcome.reason)
    return outcome


def run_steps(
    outcome: VideoOutcome,
    settings: DetectorSettings,
    json_dir: str | None,
    run_id: str,
    local: str | None = None,
) -> None:
    """The pipeline as tasks, in ``flows.pipeline.process_video``'s order, filling ``outcome`` as it goes
    (so a failure still reports what was learnt); raises ``FacetrackError`` for bad input or a refusal.
    ``local``: a downloaded copy of ``outcome.video`` (an object URI) to read instead."""
    from flows.pipeline import json_location
    from tasks.errors import ValidationFailed
    from tasks.fragments import build_document
    from tasks.lake import Lake

    started = time.perf_counter()
    video, lake = local or outcome.video, outcome.lake
    try:
        info = probe_video(video)
        outcome.fps = info.fps
        outcome.video_id = hash_video(video)
        result = detect_and_track(video, settings, info)
        outcome.frames, outcome.detect_seconds = result.frames_decoded, result.elapsed_seconds
        outcome.faces, outcome.events = result.tracks.faces_detected, len(result.tracks)
        document = build_document(result)
        location = json_location(video, Lake.resolve(lake), json_dir)
        batch = normalize_rows(result, document, outcome.video_id, location, run_id, outcome.video)
        outcome.json_path = write_json(document, location, lake)
        verdict = gate_and_publish(lake, batch)
        outcome.validation = verdict.reason
    finally:
        outcome.seconds = time.perf_counter() - started
    if not verdict.success:
        raise ValidationFailed(f"{os.path.basename(video)}: validation {verdict.reason}; not published")
    outcome.status = PUBLISHED


def _settings_from(values: dict[str, Any] | None) -> DetectorSettings:
    from tasks.errors import BadInputError
    from tasks.results import DetectorSettings

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
    source: str | None = None,
) -> dict[str, Any]:
    """Detect and track faces in one video, write its JSON, validate its rows and publish them to the lake.

    ``inbox``: the video was dropped there; claim it, skip it if its content is already published, and
    file it under done/ or failed/. ``run_id``: the batch run (an inbox sweep) this video belongs to;
    without one, this flow run is the run and gets its own ``runs`` row. ``source``: where ``video`` (a
    local download) really came from, e.g. ``s3://bucket/inbox/a.mp4``; recorded in the lake as such.
    Returns a ``VideoOutcome`` dict; bad input ends the run Failed with its one-line reason, no traceback.
    """
    from datetime import UTC, datetime

    from prefect.runtime import flow_run
    from prefect.states import Failed

    from flows.object_inbox import is_object_uri
    from flows.pipeline import RunSummary, record_run
    from tasks.errors import ValidationFailed
    from tasks.lake import Lake

    store = Lake.resolve(lake)
    own_id = str(flow_run.id or "")
    remote = source is None and is_object_uri(video)  # e.g. from an S3 notification relayed as an event
    outcome = VideoOutcome(
        video=source or (video if remote else os.path.abspath(video)), lake=store.root, flow_run_id=own_id
    )
    run = RunSummary(run_id=own_id, started_at=datetime.now(UTC)) if run_id is None else None
    staging = tempfile.mkdtemp(prefix="facetrack-video-") if remote else None
    try:
        settings_obj = _settings_from(settings)
        ensure_lake(store.root)
        if run is not None:
            record_run(store, run, total=1)  # "running" until the end, so a crash leaves a trace
        if staging is not None:
            local: str | None = download_video(video, staging)
        else:
            local = video if source else None
        if inbox is None or remote:
            run_steps(outcome, settings_obj, json_dir, run_id or own_id, local=local)
        else:
            _process_inbox_file(outcome, settings_obj, json_dir, run_id or own_id)
    except FacetrackError as exc:
        outcome.status = QUARANTINED if isinstance(exc, ValidationFailed) else FAILED
        outcome.error, outcome.exit_code = str(exc), exc.exit_code
        get_run_logger().error("%s", exc)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    if run is not None and store.exists("runs"):
        run.videos = [] if outcome.status == SKIPPED else [outcome.to_summary()]
        run.finished_at = datetime.now(UTC)
        record_run(store, run, total=len(run.videos))
    _publish_artifact(outcome)
    if outcome.status in (FAILED, QUARANTINED):
        return Failed(message=outcome.error, data=outcome.to_dict())  # type: ignore[return-value]
    return outcome.to_dict()


def _process_inbox_file(
    outcome: VideoOutcome, settings: DetectorSettings, json_dir: str | None, run_id: str
) -> None:
    """Claim, dedup by content, process, file: exactly once per file even with sweeps and triggers racing."""
    from flows import inbox as ib
    from flows.lake_index import published_video_ids

    logger = get_run_logger()
    video = outcome.video
    with ib.claimed(video, owner=run_id) as mine:
        if not mine:
            logger.info("%s: taken by another run, or already filed away; nothing to do", video)
            outcome.status, outcome.validation = SKIPPED, "claimed elsewhere"
            return
        outcome.video_id = hash_video(video)
        if outcome.video_id in published_video_ids(outcome.lake, [outcome.video_id]):
            outcome.filed_as = ib.file_done(video)
            outcome.status, outcome.validation = SKIPPED, "already published"
            logger.info("%s: content %s is already in the lake; filed as done", video, outcome.video_id[:12])
            return
        try:
            run_steps(outcome, settings, json_dir, run_id)
        except FacetrackError as exc:
            outcome.filed_as = ib.file_failed(video, str(exc))
            raise
        outcome.filed_as = ib.file_done(video)


def _publish_artifact(outcome: VideoOutcome) -> None:
    """A one-row table on the run's Artifacts tab: what was found and where it went."""
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        table=[outcome.artifact_row()],
        key=f"video-{outcome.video_id[:16]}" if outcome.video_id else None,
        description=f"facetrack: {os.path.basename(outcome.video)} {outcome.status}",
    )


def run_videos_with_prefect(
    paths: list[str],
    lake: str | None = None,
    settings: DetectorSettings | None = None,
    json_dir: str | None = None,
    runner: str = "threads",
    workers: int = 1,
    dask_address: str | None = None,
) -> RunSummary:
    """``facetrack run`` against a Prefect server (PREFECT_API_URL set): the ``process-videos`` flow with
    one ``process-video`` subflow per video, all visible in the UI.

    Returns the same ``RunSummary`` as ``flows.pipeline.run_videos`` (``run_id`` is the flow run's id), so
    the command prints the same lines and exit code either way. One bad file does not stop the others.
    """
    from datetime import UTC, datetime

    from flows.pipeline import RunSummary
    from flows.process_inbox import process_videos

    started = datetime.now(UTC)
    state = process_videos(
        videos=[os.path.abspath(p) for p in paths],
        lake=lake,
        json_dir=json_dir,
        settings=settings.to_dict() if settings is not None else None,
        runner=runner,
        workers=workers,
        dask_address=dask_address,
        return_state=True,
    )
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    run = RunSummary(run_id=str(state.state_details.flow_run_id or ""), started_at=started)
    run.videos = [VideoOutcome.from_dict(row).to_summary() for row in result["videos"]]
    run.finished_at = datetime.now(UTC)
    return run
