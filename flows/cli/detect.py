"""``facetrack detect``: the engine on one video, JSON out (no lake)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.app import app
from flows.cli.options import (
    DEFAULTS,
    DetectEveryOption,
    FineSizeOption,
    FragmentOption,
    InputSizeOption,
    MinFaceOption,
    ScanSecondsOption,
    ThresholdOption,
    settings_from_options,
)
from tasks.errors import BadInputError
from tasks.settings import DetectorSettings

if TYPE_CHECKING:
    from tasks.detect.result import VideoResult

OutputOption = Annotated[
    str | None, typer.Option("-o", "--output", help="JSON path (default: ./<stem>.faces.json).")
]


def default_json_path(video: str | os.PathLike[str]) -> str:
    """``<stem>.faces.json`` in the current directory: the video's own folder may be read-only."""
    return f"{Path(video).stem}.faces.json"


def check_writable_target(path: str) -> None:
    """Fail before the expensive work, not after it, when the output cannot be written."""
    directory = os.path.dirname(os.path.abspath(path))
    probe_dir = directory
    while not os.path.exists(probe_dir):
        probe_dir = os.path.dirname(probe_dir)
    if not os.path.isdir(probe_dir) or not os.access(probe_dir, os.W_OK):
        raise BadInputError(f"{path}: cannot write there (directory {probe_dir} is not writable)")
    if os.path.isdir(path):
        raise BadInputError(f"{path}: is a directory; give a file name for the JSON")


@app.command()
def detect(
    video: Annotated[str, typer.Argument(help="Video file to analyse.")],
    output: OutputOption = None,
    threshold: ThresholdOption = DEFAULTS.threshold,
    detect_every: DetectEveryOption = DEFAULTS.detect_every,
    input_size: InputSizeOption = DEFAULTS.input_size,
    fine_size: FineSizeOption = DEFAULTS.fine_size,
    scan_seconds: ScanSecondsOption = DEFAULTS.scan_seconds,
    min_face: MinFaceOption = DEFAULTS.min_face,
    fragment_seconds: FragmentOption = DEFAULTS.fragment_seconds,
    thumbnails: Annotated[
        str | None,
        typer.Option(
            "--thumbnails",
            help="Also write one JPEG per face id here (<stem>_thumb<id>.jpg, the id's best sighting), "
            "to choose the ids for `facetrack redact --ids/--except`.",
        ),
    ] = None,
) -> None:
    """Detect and track faces in VIDEO and write the per-video JSON (Azure Media Face Detector layout)."""
    settings = settings_from_options(
        threshold, detect_every, input_size, fine_size, scan_seconds, min_face, fragment_seconds
    )
    out = output or default_json_path(video)
    check_writable_target(out)
    if thumbnails is not None:
        check_writable_target(os.path.join(thumbnails, "thumbnail.jpg"))
    summary = run_detect(video, out, settings, thumbnails=thumbnails)
    typer.echo(summary)


def run_detect(
    video: str,
    output: str,
    settings: DetectorSettings,
    show_progress: bool | None = None,
    thumbnails: str | None = None,
) -> str:
    """probe → detect+track → JSON (and thumbnails), with a progress bar; returns the one-line summary."""
    from flows.cli.progress import frame_progress
    from tasks.detect.detect_track import detect_track
    from tasks.document.build import build_document
    from tasks.document.write import write_json_atomic
    from tasks.video.probe import probe

    info = probe(video)
    with frame_progress(Path(video).name, show_progress) as progress:
        result = detect_track(video, settings, progress=progress, info=info)
    write_json_atomic(build_document(result), output)
    summary = summary_line(result, output)
    if thumbnails is not None:
        from tasks.redact.thumbnails import write_thumbnails

        written = write_thumbnails(info, result.tracks, thumbnails)
        summary += f", {len(written)} thumbnails -> {thumbnails}"
    return summary


def summary_line(result: VideoResult, output: str) -> str:
    """One line; it says so when the file's timestamps had to be repaired (no frame is dropped for it) or
    the detector's input was capped."""
    repaired = "".join(f", {note}" for note in result.notes())
    return (
        f"{Path(result.info.path).name}: {result.frames_decoded} frames in {result.elapsed_seconds:.1f} s "
        f"({result.frames_per_second:.1f} frames/s), {len(result.tracks)} face events, "
        f"{result.faces_detected} face ids{repaired} -> {output}"
    )
