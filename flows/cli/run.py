"""``facetrack run``: videos through the whole pipeline into the lake, with or without a Prefect server."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.app import app
from flows.cli.options import (
    DEFAULTS,
    DetectEveryOption,
    FineSizeOption,
    FragmentOption,
    InputSizeOption,
    JsonDirOption,
    LakeOption,
    MinFaceOption,
    ScanSecondsOption,
    ThresholdOption,
    settings_from_options,
)
from flows.cli.redact import BLUR_HELP, checked_blur
from tasks.errors import FacetrackError
from tasks.status import VideoStatus

if TYPE_CHECKING:
    from tasks.lake.store import Lake
    from tasks.pipeline import RunSummary, VideoOutcome
    from tasks.settings import DetectorSettings


@app.command()
def run(
    videos: Annotated[list[str], typer.Argument(help="Video files to process.")],
    lake: LakeOption = None,
    json_dir: JsonDirOption = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Run id to record (default: a new one).")
    ] = None,
    threshold: ThresholdOption = DEFAULTS.threshold,
    detect_every: DetectEveryOption = DEFAULTS.detect_every,
    input_size: InputSizeOption = DEFAULTS.input_size,
    fine_size: FineSizeOption = DEFAULTS.fine_size,
    scan_seconds: ScanSecondsOption = DEFAULTS.scan_seconds,
    min_face: MinFaceOption = DEFAULTS.min_face,
    fragment_seconds: FragmentOption = DEFAULTS.fragment_seconds,
    runner: Annotated[
        str, typer.Option("--runner", help="With a Prefect server: threads or dask (videos in parallel).")
    ] = "threads",
    workers: Annotated[int, typer.Option("--workers", help="With a Prefect server: videos at once.")] = 1,
    dask_address: Annotated[
        str | None, typer.Option("--dask-address", help="With a Prefect server: an existing Dask scheduler.")
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact", help="Also write each video with its faces hidden, beside its JSON (see --blur)."
        ),
    ] = False,
    blur: Annotated[str, typer.Option("--blur", help=f"With --redact: {BLUR_HELP}")] = "med",
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help="Write each video's HTML report beside its JSON."),
    ] = True,
) -> None:
    """Detect and track faces in VIDEOS, write their JSON, validate and publish them to the lake.

    With PREFECT_API_URL set, the videos run as Prefect flows on that server (visible in its UI);
    without it, the same steps run in this process with no server at all.
    """
    from tasks.lake.store import Lake

    settings = settings_from_options(
        threshold, detect_every, input_size, fine_size, scan_seconds, min_face, fragment_seconds
    )
    blur_kind = checked_blur(blur) if redact else None
    summary = run_anywhere(
        videos, Lake.resolve(lake), settings, json_dir, run_id, outcome_printer(len(videos)), runner,
        workers, dask_address, blur_kind, report,
    )  # fmt: skip
    refuse_failures(summary, "videos not published")


def outcome_printer(count: int) -> Callable[[VideoOutcome], None]:
    """Print each file's line as it ends: a success on stdout, a failure on stderr when there are
    several (a lone failure is reported once, as the command's error)."""

    def print_outcome(outcome: VideoOutcome) -> None:
        if outcome.status == VideoStatus.PUBLISHED:
            print(outcome.line())
        elif count > 1:
            print(outcome.line(), file=sys.stderr)

    return print_outcome


def refuse_failures(summary: RunSummary, what: str) -> None:
    """End the command with the run's failures: a lone file's own error, else ``N of M <what>``, exit code
    the worst of theirs."""
    failed = [v for v in summary.videos if v.status != VideoStatus.PUBLISHED]
    if len(summary.videos) == 1 and failed:
        raise NotPublished(failed[0].error or what, failed[0].exit_code)
    if failed:
        raise NotPublished(
            f"{len(failed)} of {len(summary.videos)} {what} (run {summary.run_id})",
            max(v.exit_code for v in failed),
        )


def run_anywhere(
    videos: list[str],
    lake: Lake,
    settings: DetectorSettings,
    json_dir: str | None = None,
    run_id: str | None = None,
    on_video: Callable[[VideoOutcome], None] | None = None,
    runner: str = "threads",
    workers: int = 1,
    dask_address: str | None = None,
    redact: str | None = None,
    report: bool = True,
) -> RunSummary:
    """The plain pipeline in this process (with a progress bar), or the Prefect flows when
    PREFECT_API_URL names a server: the same steps, the same outcomes either way. ``redact``: a blur kind,
    to also write each video with its faces hidden."""
    if os.environ.get("PREFECT_API_URL"):
        from flows.process_videos import run_videos_with_prefect

        summary = run_videos_with_prefect(
            videos, lake.root, settings, json_dir, runner, workers, dask_address, redact
        )
        for outcome in summary.videos:
            if on_video:
                on_video(outcome)
        return summary
    from flows.cli.progress import frame_progress
    from tasks.pipeline import run_videos
    from tasks.redact.video import RedactOptions

    return run_videos(
        videos, lake, settings, json_dir, run_id, on_video=on_video,
        progress_for=lambda path: frame_progress(os.path.basename(path)),
        redact=RedactOptions(blur=redact) if redact else None, report=report,
    )  # fmt: skip


class NotPublished(FacetrackError):
    """Some videos of a run were not published; the exit code is the worst of theirs."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code or 1
