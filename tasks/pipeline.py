"""pipeline: videos into the lake; the list of steps, written once.

    prepare (lake tables, JSON folder) → probe → content hash → detect+track → JSON document
          → normalize (contract check) → write JSON → validate (quarantine if refused) → publish
          → [redact beside the JSON → validate → redactions row] → HTML report beside the JSON → runs row

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
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

from tasks.detect.detect_track import Progress, detect_track
from tasks.detect.result import VideoResult
from tasks.document.build import build_document
from tasks.document.rebuild import events_of
from tasks.document.write import document_text, write_json_atomic
from tasks.errors import FacetrackError, Interrupted, ValidationFailed
from tasks.lake.batch import VideoBatch
from tasks.lake.normalize import normalize
from tasks.lake.publish import PublishReport, publish_batch
from tasks.lake.redactions import record_redaction, redaction_rows
from tasks.lake.runs import HEARTBEAT_SECONDS, facetrack_version, write_run_row
from tasks.lake.sources import published_json_path
from tasks.lake.store import Lake, is_uri, write_object, written_at
from tasks.redact.masks import DEFAULT_MARGIN
from tasks.redact.run import redact_document
from tasks.redact.video import RedactionResult, RedactOptions
from tasks.settings import DetectorSettings
from tasks.status import RunStatus, VideoStatus
from tasks.validate.check import ValidationOutcome
from tasks.validate.gate import audit, audit_record
from tasks.video.content_id import video_id
from tasks.video.probe import VideoInfo, probe

if TYPE_CHECKING:
    import polars as pl

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
    redact: RedactOptions | None = None  # also write the video with every face hidden, beside its JSON
    report: bool = True  # write the HTML report (gallery, timeline, contact sheet) beside the JSON
    index: bool = True  # then refresh the lake's index of reports (a run of many does it once, at its end)


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
    notes: str = ""  # how the video was read, when the user should hear it (repaired timestamps, ...)
    redacted_path: str = ""  # the redacted video, with --redact
    report_path: str = ""  # the HTML report
    lake: str = ""
    error: str = ""
    exit_code: int = 0
    detect_seconds: float = 0.0
    seconds: float = 0.0
    flow_run_id: str = ""
    filed_as: str = ""  # where an inbox file went (done/ or failed/)
    imported: bool = False  # read from another tool's JSON (``facetrack import``), not detected

    @property
    def name(self) -> str:
        return os.path.basename(self.video)

    def fail(self, error: FacetrackError) -> None:
        """Record a failure: bad input, a lake error, or a refusal by the gate."""
        self.status = VideoStatus.QUARANTINED if isinstance(error, ValidationFailed) else VideoStatus.FAILED
        self.error, self.exit_code = str(error), error.exit_code

    def line(self) -> str:
        """The line ``facetrack run`` (or ``facetrack import``) prints for this video."""
        if self.status == VideoStatus.PUBLISHED:
            done = "imported" if self.imported else "published"
            frames = "" if self.imported else f"{self.frames} frames, "
            took = "" if self.imported else f" in {self.seconds:.1f} s"
            return (
                f"{self.name}: {done} {self.video_id[:12]}: {frames}{self.events} face events, "
                f"{self.faces} face ids{took}"
                + (f" ({self.notes})" if self.notes else "")
                + f" -> {self.json_path}"
                + (f", {self.redacted_path}" if self.redacted_path else "")
                + (f", {self.report_path}" if self.report_path else "")
            )
        reason = self.error.removeprefix(f"{self.name}: ")  # one format: "name: status: reason"
        return f"{self.name}: {self.status}: {reason}"

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
    hour of detection. So does a damaged log (an empty or truncated commit, a gap): publishing on top of
    it would build on rows the table has silently lost."""
    lake.ensure_tables()
    from tasks.errors import LakeError
    from tasks.lake.check import damaged_logs

    if damaged := damaged_logs(lake):
        more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
        raise LakeError(
            f"lake {lake.root}: {damaged[0].line()}{more}; refusing to publish, see `facetrack lake check`"
        )
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


def redact_step(
    info: VideoInfo, document: dict[str, Any], location: str, options: RedactOptions, lake: Lake
) -> RedactionResult:
    """Write the video with every face of ``document`` hidden to ``location`` (a path or an object URI)."""
    from dataclasses import replace

    result = written_at(
        location, lambda path: redact_document(info, document, path, options=options), lake.storage_options
    )
    return replace(result, path=location)


def record_redaction_step(lake: Lake, rows: pl.DataFrame, video_id: str, run_id: str) -> None:
    """The gate on the ``redactions`` row, then the row: a refused row is recorded in ``validations`` only."""
    verdict = audit_record(lake, "redactions", rows, video_id, run_id)
    if not verdict.success:
        raise ValidationFailed(f"redaction of {video_id[:12]}: validation {verdict.reason}; not recorded")
    record_redaction(lake, rows)


def report_step(
    lake: Lake, video_id: str, video: str | None, location: str, redacted: str | None, index: bool = True
) -> str:
    """The video's HTML report from its published rows, at ``location`` (a path or an object URI), and
    (``index``) the lake's index of reports refreshed. Returns where the report went."""
    from tasks.report.sources import report_from_lake

    local_redacted = None if is_uri(location) else redacted  # a link is relative to a local report only
    written_at(
        location,
        lambda path: report_from_lake(lake, video_id, video, path, local_redacted, verify=False),
        lake.storage_options,
    )
    if index:
        index_step(lake)
    return location


def index_step(lake: Lake) -> str:
    """``<lake>/reports/index.html``: every published video, newest first. It reads the whole ``videos``
    and ``faces`` tables, so a run of many videos writes it once, after the last report."""
    from tasks.report.lake_index import write_lake_index

    return write_lake_index(lake).path


def record_run_step(lake: Lake, run: RunSummary) -> None:
    write_run_row(lake, run.row())


def json_location(
    video: str, lake: Lake, json_dir: str | None, video_id: str, published: str | None = None
) -> str:
    """Where a video's JSON goes: ``<json_dir>/<stem>.faces.json`` (the name ``facetrack detect`` uses),
    else the lake's store ``<lake>/json/<stem>.<video_id[:12]>.faces.json``.

    The lake's store names files by content too: two different videos called ``clip.mp4`` (from two
    cameras) would otherwise overwrite each other's JSON while both ``videos`` rows point at it.

    One JSON per video in the lake's store: ``published`` is the ``json_path`` of the video's ``videos``
    row, if it is already published. When that path is in the lake's store it is kept, whatever the
    current file is called: a renamed copy (same bytes, same ``video_id``) rewrites the JSON, report and
    redacted copy under the name the content was first published as, instead of leaving a second set
    that nothing points at (every name it was seen as is in ``video_sources``). A JSON elsewhere (an
    explicit ``--json-dir``) is never reused, and ``json_dir`` always gets ``<stem>.faces.json``.
    """
    stem = os.path.splitext(os.path.basename(video))[0]
    directory = json_dir or lake.json_dir
    store = f"{lake.json_dir.rstrip('/')}/" if is_uri(lake.json_dir) else os.path.join(lake.json_dir, "")
    if not json_dir and published and published.startswith(store) and published.endswith(".faces.json"):
        return published
    name = f"{stem}.faces.json" if json_dir else f"{stem}.{video_id[:12]}.faces.json"
    return f"{directory.rstrip('/')}/{name}" if is_uri(directory) else os.path.join(directory, name)


def redacted_location(json_path: str, video: str) -> str:
    """Where a video's redacted copy goes: beside its JSON, ``<name>.redacted<ext>`` for ``<name>.faces.json``
    (the video's own container family: its extension, ``.mp4`` when it has none)."""
    extension = os.path.splitext(video)[1] or ".mp4"
    return json_path.removesuffix(".faces.json") + f".redacted{extension}"


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
    outcome.notes = "; ".join(result.notes())
    if outcome.notes:
        log().warning("%s: %s", outcome.name, outcome.notes)
    log().info(
        "%d frames in %.1f s (%.1f frames/s): %d face events, %d face ids",
        result.frames_decoded, result.elapsed_seconds, result.frames_per_second,
        outcome.events, outcome.faces,
    )  # fmt: skip
    document = build_document(result)
    published = None if job.json_dir else published_json_path(lake, outcome.video_id)
    location = json_location(video, lake, job.json_dir, outcome.video_id, published)
    source = job.source or info.path
    batch = steps(normalize_step, result, document, outcome.video_id, location, job.run_id, source)
    outcome.json_path = steps(write_json_step, document, location, lake)
    verdict = steps(validate_step, lake, batch)
    outcome.validation = verdict.reason
    if not verdict.success:
        raise ValidationFailed(f"{outcome.name}: validation {verdict.reason}; not published")
    steps(publish_step, lake, batch)
    log().info("validation passed in %.2f s; published %s", verdict.seconds, outcome.video_id[:12])
    if job.redact is not None:
        _redact(job, info, document, outcome, steps, log)
    if job.report:
        _report(job, outcome, steps, log)
    outcome.status = VideoStatus.PUBLISHED


def _report(job: VideoJob, outcome: VideoOutcome, steps: Steps, log: Log) -> None:
    """The HTML report beside the JSON. A report is a view of published rows, not a result: one that
    cannot be written is a warning, and the video stays published."""
    from tasks.report.sources import default_report_path

    location = default_report_path(outcome.json_path)
    try:
        outcome.report_path = steps(
            report_step, job.lake, outcome.video_id, job.video, location, outcome.redacted_path or None,
            job.index,
        )  # fmt: skip
    except FacetrackError as exc:
        log().warning("%s: no report (%s)", outcome.name, exc)


def _redact(
    job: VideoJob, info: VideoInfo, document: dict[str, Any], outcome: VideoOutcome, steps: Steps, log: Log
) -> None:
    """The redacted copy beside the JSON and its ``redactions`` row. The video stays published when this
    fails (its rows are right); the outcome fails, naming what is missing."""
    assert job.redact is not None
    location = redacted_location(outcome.json_path, job.source or job.video)
    try:
        result = steps(redact_step, info, document, location, job.redact, job.lake)
        ids = set(events_of(document)["face_id"].tolist())
        rows = redaction_rows(
            outcome.video_id, location, result, job.redact, ids, True, DEFAULT_MARGIN, job.run_id
        )
        steps(record_redaction_step, job.lake, rows, outcome.video_id, job.run_id)
    except FacetrackError as exc:
        raise type(exc)(
            f"{outcome.name}: published {outcome.video_id[:12]} but not redacted: {exc}"
        ) from None
    outcome.redacted_path = location
    log().info(
        "redacted %d frames (%d with faces) in %.1f s -> %s",
        result.frames, result.masked_frames, result.seconds, location,
    )  # fmt: skip


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
            "updated_at": datetime.now(UTC),
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
    heartbeat = _Heartbeat(lake, run)
    try:
        yield run
    except BaseException as exc:
        heartbeat.stop()
        run.finished_at, run.crash = datetime.now(UTC), _crash_line(exc)
        steps(record_run_step, lake, run)
        raise
    heartbeat.stop()
    run.finished_at = datetime.now(UTC)
    steps(record_run_step, lake, run)


def _crash_line(exc: BaseException) -> str:
    """What ended a run early, for its ``runs.error``: a signal by name, anything else by its type."""
    if isinstance(exc, Interrupted):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by SIGINT"
    return f"{type(exc).__name__}: {exc}"


class _Heartbeat:
    """Rewrites a running run's row every ``HEARTBEAT_SECONDS`` (its ``updated_at``), in a daemon thread,
    so a run whose process was killed without a word shows as stale instead of running forever."""

    def __init__(self, lake: Lake, run: RunSummary, every: float | None = None) -> None:
        import threading

        self._lake, self._run, self._every = lake, run, HEARTBEAT_SECONDS if every is None else every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="facetrack-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                record_run_step(self._lake, self._run)
            except Exception as exc:  # a missed beat is not the run's failure; the next one may land
                default_log().warning("run %s: heartbeat not recorded (%s)", self._run.run_id, exc)


ProgressFor = Callable[[str], AbstractContextManager[Progress | None]]


def run_videos(
    paths: Iterable[str | os.PathLike[str]],
    lake: Lake | str | None = None,
    settings: DetectorSettings | None = None,
    json_dir: str | None = None,
    run_id: str | None = None,
    on_video: Callable[[VideoOutcome], None] | None = None,
    progress_for: ProgressFor | None = None,
    redact: RedactOptions | None = None,
    report: bool = True,
) -> RunSummary:
    """Process videos one after another in this process, under one ``runs`` row.

    ``redact`` also writes each video with its faces hidden beside its JSON (``redactions`` table). A video
    that fails (bad input, refused by the gate) is recorded and the run goes on with the next;
    anything unexpected (a bug) is recorded in ``runs`` as the run's error and then raised.
    """
    from tasks.validate.suites import warm_up

    store = Lake.of(lake)
    videos = [os.fspath(p) for p in paths]
    warm_up()  # GX imports in the background while the first video decodes
    try:
        return _run_videos(store, videos, settings, json_dir, run_id, on_video, progress_for, redact, report)
    except FacetrackError as exc:  # the run's own writes (the lake, the runs row): say whose run it was
        names = os.path.basename(videos[0]) if len(videos) == 1 else f"{len(videos)} videos"
        raise type(exc)(f"{names}: {exc}") from None


def _run_videos(
    store: Lake,
    videos: list[str],
    settings: DetectorSettings | None,
    json_dir: str | None,
    run_id: str | None,
    on_video: Callable[[VideoOutcome], None] | None,
    progress_for: ProgressFor | None,
    redact: RedactOptions | None,
    report: bool,
) -> RunSummary:
    prepare_step(store, json_dir)
    with recorded_run(store, run_id or new_run_id(), len(videos)) as run:
        for path in videos:
            job = VideoJob(
                path,
                store,
                settings or DetectorSettings(),
                json_dir,
                run.run_id,
                redact=redact,
                report=report,
                index=False,  # once, after the last video
            )
            with progress_for(path) if progress_for else nullcontext(None) as progress:
                outcome = process_video(job, progress=progress)
            run.videos.append(outcome)
            if on_video:
                on_video(outcome)
            if len(run.videos) < len(videos):
                record_run_step(store, run)  # progress so far, visible if we die later
    if report:
        refresh_index(store, run)
    return run


def refresh_index(lake: Lake, run: RunSummary) -> None:
    """The lake's index of reports, once a run published something; one that cannot be written is a
    warning, as a report is (the videos stay published)."""
    if not any(v.status == VideoStatus.PUBLISHED for v in run.videos):
        return
    try:
        index_step(lake)
    except FacetrackError as exc:
        default_log().warning("lake %s: index of reports not written (%s)", lake.root, exc)
