"""pipeline: videos into the lake as plain Python, no Prefect (the flows wrap these same steps).

    probe → content hash → detect+track → JSON document → normalize (contract check) → write JSON
          → gate (validate; publish or quarantine) → runs row

Each step is its own function so an orchestrator can make it a task with its own retries. Bad input
fails at probe, before a model is loaded or anything is written; a lake that cannot be written fails
before the first video is decoded, not after an hour of detection.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.errors import FacetrackError, ValidationFailed
from tasks.lake import Lake, is_uri, write_object

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tasks.batch import VideoBatch
    from tasks.detect_track import Progress
    from tasks.probe import VideoInfo
    from tasks.publish import PublishReport
    from tasks.results import DetectorSettings, VideoResult
    from tasks.validate import ValidationOutcome

PUBLISHED, QUARANTINED, FAILED = "published", "quarantined", "failed"


@dataclass
class VideoSummary:
    """What happened to one video; also the line ``facetrack run`` prints."""

    path: str
    status: str = FAILED  # published | quarantined | failed
    video_id: str = ""
    json_path: str | None = None
    frames: int = 0
    face_events: int = 0
    faces: int = 0
    detect_seconds: float = 0.0
    seconds: float = 0.0
    error: str | None = None
    exit_code: int = 0

    def line(self) -> str:
        name = os.path.basename(self.path)
        if self.status == PUBLISHED:
            return (
                f"{name}: published {self.video_id[:12]}: {self.frames} frames, "
                f"{self.face_events} face events, {self.faces} face ids in {self.seconds:.1f} s"
                f" -> {self.json_path}"
            )
        error = self.error or ""
        return f"{self.status}: {error}" if error.startswith(name) else f"{name}: {self.status}: {error}"


@dataclass
class RunSummary:
    run_id: str
    started_at: datetime
    videos: list[VideoSummary] = field(default_factory=list)
    finished_at: datetime | None = None

    @property
    def status(self) -> str:
        published = sum(v.status == PUBLISHED for v in self.videos)
        if published == len(self.videos):
            return "succeeded"
        return "partial" if published else "failed"


def new_run_id() -> str:
    return f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


# --- the steps -------------------------------------------------------------------------------------


def probe_step(path: str) -> VideoInfo:
    from tasks.probe import probe

    return probe(path)


def hash_step(path: str) -> str:
    from tasks.normalize import file_sha256

    return file_sha256(path)


def detect_step(
    path: str, settings: DetectorSettings, info: VideoInfo, progress: Progress | None = None
) -> VideoResult:
    from tasks.detect_track import detect_track

    return detect_track(path, settings, progress=progress, info=info)


def json_location(video: str, lake: Lake, json_dir: str | None = None, video_id: str | None = None) -> str:
    """Where a video's JSON goes: ``<json_dir>/<stem>.faces.json`` (the name ``facetrack detect`` uses),
    else the lake's store ``<lake>/json/<stem>.<video_id[:12]>.faces.json``.

    The lake's store names files by content too: two different videos called ``clip.mp4`` (from two
    cameras) would otherwise overwrite each other's JSON while both ``videos`` rows point at it.
    """
    stem = os.path.splitext(os.path.basename(video))[0]
    directory = json_dir or lake.json_dir
    name = f"{stem}.faces.json" if json_dir or not video_id else f"{stem}.{video_id[:12]}.faces.json"
    return f"{directory.rstrip('/')}/{name}" if is_uri(directory) else os.path.join(directory, name)


def write_json_step(document: dict[str, Any], location: str, lake: Lake) -> str:
    """Write the per-video JSON atomically, to a local path or to the lake's object store."""
    from tasks.fragments import write_json_atomic

    if is_uri(location):
        return write_object(
            location, json.dumps(document, separators=(",", ":")) + "\n", lake.storage_options
        )
    try:
        return write_json_atomic(document, location)
    except OSError as exc:
        raise FacetrackError(f"cannot write {location}: {exc.strerror or exc}") from None


def normalize_step(
    result: VideoResult, document: dict[str, Any], video_id: str, json_path: str, run_id: str
) -> VideoBatch:
    from tasks.normalize import normalize

    return normalize(
        result, document, video_id=video_id, source_uri=result.info.path, json_path=json_path, run_id=run_id
    )


def publish_step(lake: Lake, batch: VideoBatch) -> PublishReport:
    from tasks.publish import publish_batch

    return publish_batch(lake, batch)


def gate_step(lake: Lake, batch: VideoBatch) -> ValidationOutcome:
    """The gate: validate the batch (Great Expectations), then publish it or quarantine it.

    ``tasks.gate.audit_and_publish`` records every expectation's result in ``validations`` first, then
    publishes a passing batch through ``publish_step`` and quarantines a failing one; it never raises
    on bad data, so the caller decides what a refusal means (``process_video`` raises ValidationFailed).
    """
    from tasks.gate import audit_and_publish

    return audit_and_publish(lake, batch, publish_step)


# --- one video, many videos ---------------------------------------------------------------------------


def process_video(
    path: str | os.PathLike[str],
    lake: Lake | str | None = None,
    settings: DetectorSettings | None = None,
    json_dir: str | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> VideoSummary:
    """One video through every step. Raises ``FacetrackError`` (one line) for bad input or a refused batch."""
    from tasks.fragments import build_document
    from tasks.results import DetectorSettings

    lake = lake if isinstance(lake, Lake) else Lake.resolve(lake)
    settings = settings or DetectorSettings()
    path = os.fspath(path)
    started = time.perf_counter()
    summary = VideoSummary(path=os.path.abspath(path))
    info = probe_step(path)
    summary.video_id = hash_step(path)
    result = detect_step(path, settings, info, progress)
    summary.frames, summary.detect_seconds = result.frames_decoded, result.elapsed_seconds
    summary.face_events, summary.faces = len(result.tracks), result.tracks.faces_detected
    document = build_document(result)
    location = json_location(path, lake, json_dir, summary.video_id)
    batch = normalize_step(result, document, summary.video_id, location, run_id or "")
    summary.json_path = write_json_step(document, location, lake)
    outcome = gate_step(lake, batch)
    summary.seconds = time.perf_counter() - started
    if not outcome.success:
        summary.status = QUARANTINED
        reason = getattr(outcome, "reason", None) or "failed: " + ", ".join(outcome.failed)
        raise ValidationFailed(f"{os.path.basename(path)}: validation {reason}; not published")
    summary.status = PUBLISHED
    return summary


def run_videos(
    paths: Iterable[str | os.PathLike[str]],
    lake: Lake | str | None = None,
    settings: DetectorSettings | None = None,
    json_dir: str | None = None,
    run_id: str | None = None,
    on_video: Callable[[VideoSummary], None] | None = None,
    progress_for: Callable[[str], Any] | None = None,
) -> RunSummary:
    """Process videos one after another, recording the run in ``runs`` (started, then finished).

    A video that fails (bad input, refused by the gate) is recorded and the run goes on with the next;
    anything unexpected (a bug) is recorded in ``runs`` as the run's error and then raised.
    """
    from contextlib import nullcontext

    lake = lake if isinstance(lake, Lake) else Lake.resolve(lake)
    videos = [os.fspath(p) for p in paths]
    lake.ensure_tables()  # an unwritable lake fails here, before any decoding
    if json_dir and not is_uri(json_dir):
        _ensure_local_dir(json_dir)
    run = RunSummary(run_id or new_run_id(), datetime.now(UTC))
    record_run(lake, run, total=len(videos))
    try:
        for path in videos:
            context = progress_for(path) if progress_for else nullcontext(None)
            try:
                with context as progress:
                    summary = process_video(path, lake, settings, json_dir, run.run_id, progress)
            except FacetrackError as exc:
                summary = VideoSummary(path=os.path.abspath(path), error=str(exc), exit_code=exc.exit_code)
                summary.status = QUARANTINED if isinstance(exc, ValidationFailed) else FAILED
            run.videos.append(summary)
            if on_video:
                on_video(summary)
            if len(run.videos) < len(videos):
                record_run(lake, run, total=len(videos))  # progress so far, visible if we die later
    except BaseException as exc:
        run.finished_at = datetime.now(UTC)
        record_run(lake, run, total=len(videos), crash=f"{type(exc).__name__}: {exc}")
        raise
    run.finished_at = datetime.now(UTC)
    record_run(lake, run, total=len(videos))
    return run


def record_run(lake: Lake, run: RunSummary, total: int, crash: str | None = None) -> None:
    """Write the run's ``runs`` row: 'running' at the start, its outcome at the end."""
    from tasks.normalize import facetrack_version
    from tasks.publish import record_run as write_run_row

    frames = sum(v.frames for v in run.videos)
    detect_seconds = sum(v.detect_seconds for v in run.videos)
    errors = [_with_name(v.path, v.error) for v in run.videos if v.error]
    if crash:
        errors.append(crash)
    finished = run.finished_at
    write_run_row(
        lake,
        {
            "run_id": run.run_id,
            "started_at": run.started_at,
            "finished_at": finished,
            "status": ("failed" if crash else run.status) if finished else "running",
            "videos_total": total,
            "videos_published": sum(v.status == PUBLISHED for v in run.videos),
            "videos_failed": sum(v.status == FAILED for v in run.videos),
            "videos_quarantined": sum(v.status == QUARANTINED for v in run.videos),
            "frames_decoded": frames,
            "elapsed_seconds": (finished - run.started_at).total_seconds() if finished else None,
            "frames_per_second": frames / detect_seconds if detect_seconds > 0 else None,
            "error": "\n".join(errors) or None,
            "hostname": socket.gethostname(),
            "facetrack_version": facetrack_version(),
        },
    )


def _with_name(path: str, error: str) -> str:
    """Errors from probe already start with the file name; others get it prefixed."""
    name = os.path.basename(path)
    return error if error.startswith(name) else f"{name}: {error}"


def _ensure_local_dir(directory: str) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise FacetrackError(f"--json-dir {directory}: cannot create ({exc.strerror or exc})") from None
    if not os.access(directory, os.W_OK):
        raise FacetrackError(f"--json-dir {directory}: not writable")
