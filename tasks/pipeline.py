"""pipeline: videos into the lake; the list of steps, written once.

    prepare (lake tables, JSON folder) → probe → content hash → detect+track → JSON document
          → normalize (contract check) → write JSON → validate (quarantine if refused) → publish
          → runs row

``process_video`` runs the steps for one video and ``run_videos`` for many under one ``runs`` row. Every
step is a plain function called through ``steps``: directly for ``facetrack run`` without a server, or as
the Prefect task of the same name (``flows.steps``), so the Prefect flows and the plain run are one code
path. Bad input fails at probe, before a model is loaded or anything is written; a lake that cannot be
written fails in ``prepare_step``, before the first video is decoded.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, Protocol, TypeVar

from tasks.detect.detect_track import Progress, detect_track
from tasks.detect.result import VideoResult
from tasks.document.build import build_document
from tasks.document.write import document_text, write_json_atomic
from tasks.errors import FacetrackError, ValidationFailed
from tasks.lake.batch import VideoBatch
from tasks.lake.normalize import normalize
from tasks.lake.publish import PublishReport, publish_batch
from tasks.lake.runs import facetrack_version, write_run_row
from tasks.lake.store import Lake, is_uri, write_object
from tasks.settings import DetectorSettings
from tasks.status import RunStatus, VideoStatus
from tasks.validate.check import ValidationOutcome
from tasks.validate.gate import audit
from tasks.video.content_id import video_id
from tasks.video.probe import VideoInfo, probe

P = ParamSpec("P")
R = TypeVar("R")

# The run's log: a standard logger without a server (silent unless configured), Prefect's run logger
# under Prefect, so the same lines land in the flow run's log in the UI.
Log = Callable[[], logging.Logger | logging.LoggerAdapter[Any]]


class Steps(Protocol):
    """How a step is called: ``steps(probe_step, path)``."""

    def __call__(self, step: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...


def call_directly(step: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``Steps`` for a plain run: each step is a plain function call."""
    return step(*args, **kwargs)


def default_log() -> logging.Logger:
    return logging.getLogger("facetrack.pipeline")


# A library stays quiet unless its user configures logging (the CLI prints its own lines).
logging.getLogger("facetrack").addHandler(logging.NullHandler())


# --- what one video is, and what became of it -------------------------------------------------------


@dataclass(frozen=True)
class VideoJob:
    """One video to process, and where its results go."""

    video: str  # the local file to read
    lake: Lake
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    json_dir: str | None = None  # default: the lake's json/ store
    run_id: str = ""
    source: str | None = None  # where the video really came from (an object URI), recorded in the lake
    video_id: str | None = None  # the content hash, when the caller already computed it


@dataclass
class VideoOutcome:
    """What became of one video: plain values, so it crosses processes (Dask) and fills artifacts."""

    video: str  # as given: an absolute path or an object URI
    status: VideoStatus = VideoStatus.FAILED
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

    @property
    def name(self) -> str:
        return os.path.basename(self.video)

    def fail(self, error: FacetrackError) -> None:
        """Record a failure: bad input, a lake error, or a refusal by the gate."""
        self.status = VideoStatus.QUARANTINED if isinstance(error, ValidationFailed) else VideoStatus.FAILED
        self.error, self.exit_code = str(error), error.exit_code

    def line(self) -> str:
        """The line ``facetrack run`` prints for this video."""
        if self.status == VideoStatus.PUBLISHED:
            return (
                f"{self.name}: published {self.video_id[:12]}: {self.frames} frames, {self.events} face "
                f"events, {self.faces} face ids in {self.seconds:.1f} s -> {self.json_path}"
            )
        if self.error.startswith(self.name):
            return f"{self.status}: {self.error}"
        return f"{self.name}: {self.status}: {self.error}"

    def error_line(self) -> str:
        """The error, starting with the file name (errors from probe already do)."""
        return self.error if self.error.startswith(self.name) else f"{self.name}: {self.error}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoOutcome:
        return cls(**{**data, "status": VideoStatus(data["status"])})


# --- the steps ---------------------------------------------------------------------------------------


def prepare_step(lake: Lake, json_dir: str | None = None) -> None:
    """Create the lake's missing tables and the JSON folder: an unwritable lake fails now, not after an
    hour of detection."""
    lake.ensure_tables()
    if json_dir and not is_uri(json_dir):
        try:
            os.makedirs(json_dir, exist_ok=True)
        except OSError as exc:
            raise FacetrackError(f"--json-dir {json_dir}: cannot create ({exc.strerror or exc})") from None
        if not os.access(json_dir, os.W_OK):
            raise FacetrackError(f"--json-dir {json_dir}: not writable")


def probe_step(video: str) -> VideoInfo:
    return probe(video)


def hash_step(video: str) -> str:
    return video_id(video)


def detect_step(
    video: str, settings: DetectorSettings, info: VideoInfo, progress: Progress | None = None
) -> VideoResult:
    return detect_track(video, settings, progress=progress, info=info)


def normalize_step(
    result: VideoResult, document: dict[str, Any], video_id: str, json_path: str, run_id: str, source: str
) -> VideoBatch:
    """Rows for every table; refuses a document that breaks the contract or disagrees with the result."""
    return normalize(
        result, document, video_id=video_id, source_uri=source, json_path=json_path, run_id=run_id
    )


def write_json_step(document: dict[str, Any], location: str, lake: Lake) -> str:
    """Write the per-video JSON atomically, to a local path or to the lake's object store."""
    if is_uri(location):
        return write_object(location, document_text(document), lake.storage_options)
    return write_json_atomic(document, location)


def validate_step(lake: Lake, batch: VideoBatch) -> ValidationOutcome:
    """The gate (Great Expectations): record every result; a refused batch goes to quarantine."""
    return audit(lake, batch)


def publish_step(lake: Lake, batch: VideoBatch) -> PublishReport:
    return publish_batch(lake, batch)


def record_run_step(lake: Lake, run: RunSummary) -> None:
    write_run_row(lake, run.row())


def json_location(video: str, lake: Lake, json_dir: str | None, video_id: str) -> str:
    """Where a video's JSON goes: ``<json_dir>/<stem>.faces.json`` (the name ``facetrack detect`` uses),
    else the lake's store ``<lake>/json/<stem>.<video_id[:12]>.faces.json``.

    The lake's store names files by content too: two different videos called ``clip.mp4`` (from two
    cameras) would otherwise overwrite each other's JSON while both ``videos`` rows point at it.
    """
    stem = os.path.splitext(os.path.basename(video))[0]
    directory = json_dir or lake.json_dir
    name = f"{stem}.faces.json" if json_dir else f"{stem}.{video_id[:12]}.faces.json"
    return f"{directory.rstrip('/')}/{name}" if is_uri(directory) else os.path.join(directory, name)


# --- one video ---------------------------------------------------------------------------------------


def process_video(
    job: VideoJob,
    outcome: VideoOutcome | None = None,
    *,
    steps: Steps = call_directly,
    progress: Progress | None = None,
    log: Log = default_log,
) -> VideoOutcome:
    """Every step for one video, filling ``outcome`` as it goes, so a failure still reports what was
    learnt. Bad input, a lake error or a refusal by the gate ends as a failed outcome, not an exception."""
    outcome = outcome or VideoOutcome(video=job.source or os.path.abspath(job.video), lake=job.lake.root)
    started = time.perf_counter()
    try:
        _run_steps(job, outcome, steps, progress, log)
    except FacetrackError as exc:
        outcome.fail(exc)
        log().error("%s", outcome.error_line())
    finally:
        outcome.seconds = time.perf_counter() - started
    return outcome


def _run_steps(
    job: VideoJob, outcome: VideoOutcome, steps: Steps, progress: Progress | None, log: Log
) -> None:
    video, lake = job.video, job.lake
    info = steps(probe_step, video)
    log().info(
        "%s: %dx%d %s, %.3f fps, %d frames",
        outcome.name, info.width, info.height, info.codec, info.fps, info.frame_count,
    )  # fmt: skip
    outcome.fps = info.fps
    outcome.video_id = job.video_id or steps(hash_step, video)
    result = steps(detect_step, video, job.settings, info, progress)
    outcome.frames, outcome.detect_seconds = result.frames_decoded, result.elapsed_seconds
    outcome.faces, outcome.events = result.faces_detected, len(result.tracks)
    log().info(
        "%d frames in %.1f s (%.1f frames/s): %d face events, %d face ids",
        result.frames_decoded, result.elapsed_seconds, result.frames_per_second,
        outcome.events, outcome.faces,
    )  # fmt: skip
    document = build_document(result)
    location = json_location(video, lake, job.json_dir, outcome.video_id)
    source = job.source or info.path
    batch = steps(normalize_step, result, document, outcome.video_id, location, job.run_id, source)
    outcome.json_path = steps(write_json_step, document, location, lake)
    verdict = steps(validate_step, lake, batch)
    outcome.validation = verdict.reason
    if not verdict.success:
        raise ValidationFailed(f"{outcome.name}: validation {verdict.reason}; not published")
    steps(publish_step, lake, batch)
    log().info("validation passed in %.2f s; published %s", verdict.seconds, outcome.video_id[:12])
    outcome.status = VideoStatus.PUBLISHED


def logged_progress(log: Log, parts: int = 10) -> Progress:
    """A ``Progress`` that logs ``frame N/M, K faces so far`` about ``parts`` times per video."""
    logged = {-1}

    def progress(done: int, total: int, faces: int) -> None:
        step = max(1, total // parts)
        if (done % step == 0 or done == total) and done not in logged:
            logged.add(done)
            log().info("frame %d/%d, %d faces so far", done, total, faces)

    return progress


# --- many videos, one run ----------------------------------------------------------------------------


@dataclass
class RunSummary:
    """One run (``facetrack run``, an inbox sweep, a flow run) and its videos: the ``runs`` row."""

    run_id: str
    started_at: datetime
    expected: int = 0  # videos the run set out to process
    videos: list[VideoOutcome] = field(default_factory=list)  # skipped ones are not the run's
    finished_at: datetime | None = None
    crash: str | None = None  # an unexpected error that ended the run

    @property
    def status(self) -> RunStatus:
        if self.finished_at is None:
            return RunStatus.RUNNING
        published = sum(v.status == VideoStatus.PUBLISHED for v in self.videos)
        if self.crash or (self.videos and not published):
            return RunStatus.FAILED
        return RunStatus.SUCCEEDED if published == len(self.videos) else RunStatus.PARTIAL

    def count(self, status: VideoStatus) -> int:
        return sum(v.status == status for v in self.videos)

    def row(self) -> dict[str, Any]:
        """The ``runs`` row: 'running' with the counts so far, then the outcome."""
        frames = sum(v.frames for v in self.videos)
        detect_seconds = sum(v.detect_seconds for v in self.videos)
        errors = [v.error_line() for v in self.videos if v.error]
        if self.crash:
            errors.append(self.crash)
        finished = self.finished_at
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": finished,
            "status": str(self.status),
            "videos_total": len(self.videos) if finished and not self.crash else self.expected,
            "videos_published": self.count(VideoStatus.PUBLISHED),
            "videos_failed": self.count(VideoStatus.FAILED),
            "videos_quarantined": self.count(VideoStatus.QUARANTINED),
            "frames_decoded": frames,
            "elapsed_seconds": (finished - self.started_at).total_seconds() if finished else None,
            "frames_per_second": frames / detect_seconds if detect_seconds > 0 else None,
            "error": "\n".join(errors) or None,
            "hostname": socket.gethostname(),
            "facetrack_version": facetrack_version(),
        }


def new_run_id() -> str:
    return f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@contextmanager
def recorded_run(
    lake: Lake, run_id: str, expected: int, steps: Steps = call_directly
) -> Iterator[RunSummary]:
    """A run under one ``runs`` row: 'running' from the start, its outcome (or its crash) at the end.
    Append each video's outcome to ``run.videos``."""
    run = RunSummary(run_id, datetime.now(UTC), expected)
    steps(record_run_step, lake, run)
    try:
        yield run
    except BaseException as exc:
        run.finished_at, run.crash = datetime.now(UTC), f"{type(exc).__name__}: {exc}"
        steps(record_run_step, lake, run)
        raise
    run.finished_at = datetime.now(UTC)
    steps(record_run_step, lake, run)


ProgressFor = Callable[[str], AbstractContextManager[Progress | None]]


def run_videos(
    paths: Iterable[str | os.PathLike[str]],
    lake: Lake | str | None = None,
    settings: DetectorSettings | None = None,
    json_dir: str | None = None,
    run_id: str | None = None,
    on_video: Callable[[VideoOutcome], None] | None = None,
    progress_for: ProgressFor | None = None,
) -> RunSummary:
    """Process videos one after another in this process, under one ``runs`` row.

    A video that fails (bad input, refused by the gate) is recorded and the run goes on with the next;
    anything unexpected (a bug) is recorded in ``runs`` as the run's error and then raised.
    """
    store = Lake.of(lake)
    videos = [os.fspath(p) for p in paths]
    prepare_step(store, json_dir)
    with recorded_run(store, run_id or new_run_id(), len(videos)) as run:
        for path in videos:
            job = VideoJob(path, store, settings or DetectorSettings(), json_dir, run.run_id)
            with progress_for(path) if progress_for else nullcontext(None) as progress:
                outcome = process_video(job, progress=progress)
            run.videos.append(outcome)
            if on_video:
                on_video(outcome)
            if len(run.videos) < len(videos):
                record_run_step(store, run)  # progress so far, visible if we die later
    return run
