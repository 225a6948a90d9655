"""``facetrack detect`` and ``facetrack demo``: the engine on one video, JSON out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli import app
from tasks.errors import BadInputError
from tasks.settings import DetectorSettings

if TYPE_CHECKING:
    from tasks.results import VideoResult

DEFAULTS = DetectorSettings()

ThresholdOption = Annotated[
    float, typer.Option("--threshold", help="Confidence a face needs to start a track (0-1).")
]
DetectEveryOption = Annotated[
    int, typer.Option("--detect-every", help="Run the detector on every Nth frame; tracking fills the rest.")
]
InputSizeOption = Annotated[
    int,
    typer.Option("--input-size", help="Long side (px) frames are scaled to for detection; 0 = full size."),
]
MinFaceOption = Annotated[
    int, typer.Option("--min-face", help="Ignore faces smaller than this many pixels (0 = keep all).")
]
OutputOption = Annotated[
    str | None, typer.Option("-o", "--output", help="JSON path [default: ./<stem>.faces.json]")
]
FragmentOption = Annotated[float, typer.Option("--fragment-seconds", help="Length of a JSON fragment.")]


def settings_from_options(
    threshold: float, detect_every: int, input_size: int, min_face: int, fragment_seconds: float
) -> DetectorSettings:
    return DetectorSettings(
        threshold=threshold,
        detect_every=detect_every,
        input_size=input_size,
        min_face=min_face,
        fragment_seconds=fragment_seconds,
    )


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
    min_face: MinFaceOption = DEFAULTS.min_face,
    fragment_seconds: FragmentOption = DEFAULTS.fragment_seconds,
) -> None:
    """Detect and track faces in VIDEO and write the per-video JSON (Azure Media Face Detector layout)."""
    settings = settings_from_options(threshold, detect_every, input_size, min_face, fragment_seconds)
    out = output or default_json_path(video)
    check_writable_target(out)
    summary = run_detect(video, out, settings)
    typer.echo(summary)


def run_detect(video: str, output: str, settings: DetectorSettings, show_progress: bool | None = None) -> str:
    """probe → detect+track → JSON, with a progress bar; returns the one-line summary."""
    from flows.progress import frame_progress
    from tasks.detect_track import detect_track
    from tasks.fragments import build_document, write_json_atomic
    from tasks.probe import probe

    info = probe(video)
    with frame_progress(Path(video).name, show_progress) as progress:
        result = detect_track(video, settings, progress=progress, info=info)
    write_json_atomic(build_document(result), output)
    return summary_line(result, output)


def summary_line(result: VideoResult, output: str) -> str:
    return (
        f"{Path(result.info.path).name}: {result.frames_decoded} frames in {result.elapsed_seconds:.1f} s "
        f"({result.frames_per_second:.1f} frames/s), {len(result.tracks)} face events, "
        f"{result.tracks.faces_detected} face ids -> {output}"
    )
