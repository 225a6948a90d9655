"""``facetrack redact``: hide the faces of a video (Azure Media Redactor's Combined and Redact modes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.app import app
from flows.cli.detect import check_writable_target
from flows.cli.options import (
    DEFAULTS,
    DetectEveryOption,
    FineSizeOption,
    InputSizeOption,
    ScanSecondsOption,
    ThresholdOption,
    settings_from_options,
)
from tasks.errors import BadInputError

BLUR_HELP = "low, med, high, box (outlines only, for checking), black or mosaic."


def checked_blur(blur: str) -> str:
    """The blur kind, or one line naming the kinds there are (``tasks.redact.blur.checked_blur``, imported
    here when an option is checked: it brings numpy, which ``--help`` does without)."""
    from tasks.redact.blur import checked_blur as checked

    return checked(blur, "--blur")


def parse_ids(text: str | None, option: str) -> list[int] | None:
    """``0,3,7`` -> [0, 3, 7]; one line naming the option when it is not a list of ids."""
    if text is None:
        return None
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BadInputError(f"{option} takes face ids separated by commas, e.g. 0,3; got {text!r}") from None
    if not ids or min(ids) < 0:
        raise BadInputError(f"{option} takes face ids (0 or more) separated by commas; got {text!r}")
    return ids


@app.command()
def redact(
    video: Annotated[str, typer.Argument(help="Video whose faces to hide.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Redacted video (default: ./<stem>.redacted<ext>).")
    ] = None,
    faces: Annotated[
        str | None,
        typer.Option(
            "--faces",
            help="Follow this JSON (from `facetrack detect`, maybe hand-edited); "
            "without it, faces are detected first.",
        ),
    ] = None,
    ids: Annotated[str | None, typer.Option("--ids", help="Hide only these face ids, e.g. 0,3.")] = None,
    except_ids: Annotated[
        str | None, typer.Option("--except", help="Hide every face but these ids, e.g. 2.")
    ] = None,
    blur: Annotated[str, typer.Option("--blur", help=BLUR_HELP)] = "med",
    shape: Annotated[str, typer.Option("--shape", help="ellipse or box.")] = "ellipse",
    margin: Annotated[
        float, typer.Option("--margin", help="Grow each face box by this share of its size.")
    ] = 0.25,
    crf: Annotated[
        int, typer.Option("--crf", help="libx264 quality: 18 looks like the source; lower is larger.")
    ] = 18,
    codec: Annotated[str, typer.Option("--codec", help="Video encoder (FFmpeg name).")] = "libx264",
    threshold: ThresholdOption = DEFAULTS.threshold,
    detect_every: DetectEveryOption = DEFAULTS.detect_every,
    input_size: InputSizeOption = DEFAULTS.input_size,
    fine_size: FineSizeOption = DEFAULTS.fine_size,
    scan_seconds: ScanSecondsOption = DEFAULTS.scan_seconds,
) -> None:
    """Hide the faces of VIDEO in a new video: everything else (audio, subtitles, timing) is kept."""
    from flows.cli.progress import frame_progress
    from tasks.redact import SHAPES, RedactOptions, default_output
    from tasks.redact import redact as run_redaction

    checked_blur(blur)
    if shape not in SHAPES:
        raise BadInputError(f"--shape must be one of {', '.join(SHAPES)}; got {shape!r}")
    if ids is not None and except_ids is not None:
        raise BadInputError("--ids and --except cannot be used together")
    if not 0 <= crf <= 51:
        raise BadInputError(f"--crf must be between 0 and 51, got {crf}")
    only, keep = parse_ids(ids, "--ids"), parse_ids(except_ids, "--except") or []
    out = output or default_output(video)
    check_writable_target(out)
    settings = settings_from_options(threshold, detect_every, input_size, fine_size, scan_seconds,
                                     DEFAULTS.min_face, DEFAULTS.fragment_seconds)  # fmt: skip
    options = RedactOptions(blur=blur, shape=shape, crf=crf, codec=codec)
    with frame_progress(Path(video).name) as progress:
        step = None if progress is None else (lambda done, total: progress(done, total, 0))
        result, _ = run_redaction(video, out, faces, only, keep, margin, options, settings, step)
    typer.echo(
        f"{Path(video).name}: {result.frames} frames in {result.seconds:.1f} s "
        f"({result.frames_per_second:.1f} frames/s), faces hidden on {result.masked_frames} "
        f"({blur}), {result.copied_streams} other streams copied -> {out}"
    )
