"""Options more than one command takes, with their defaults from where they are defined."""

from __future__ import annotations

from typing import Annotated

import typer

from tasks.settings import DetectorSettings

DEFAULTS = DetectorSettings()

ThresholdOption = Annotated[
    float, typer.Option("--threshold", help="Confidence a face needs to start a track (0-1).")
]
DetectEveryOption = Annotated[
    int, typer.Option("--detect-every", help="Run the detector on every Nth frame; tracking fills the rest.")
]
InputSizeOption = Annotated[
    int,
    typer.Option(
        "--input-size", help="Long side (px) of the whole-frame (coarse) detector pass; 0 = full size."
    ),
]
FineSizeOption = Annotated[
    int,
    typer.Option(
        "--fine-size",
        help="Long side (px, at most the video's) of the fine passes that find small faces: tiles and "
        "regions around small faces; 0 = none, the coarse pass only.",
    ),
]
ScanSecondsOption = Annotated[
    float,
    typer.Option("--scan-seconds", help="The fine tiles look at every part of the frame once in this time."),
]
MinFaceOption = Annotated[
    int, typer.Option("--min-face", help="Ignore faces smaller than this many pixels (0 = keep all).")
]
FragmentOption = Annotated[float, typer.Option("--fragment-seconds", help="Length of a JSON fragment.")]
# Where a command's lake is when --lake is not given; the same rule as ``tasks.lake.store.Lake.resolve``
# (spelled out here so --help does not import the store, and pyarrow with it; a test keeps them equal).
# Written into the help text in click's "[default: ...]" style: a string ``show_default`` comes out in
# parentheses, "[default: ($FACETRACK_LAKE ...)]".
LAKE_DEFAULT_HELP = "$FACETRACK_LAKE if set, else ./facetrack-data/lake"

LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        help=f"Lake root: a path or s3://bucket/prefix.  [default: {LAKE_DEFAULT_HELP}]",
        show_default=False,
    ),
]
JsonDirOption = Annotated[
    str | None,
    typer.Option(
        "--json-dir", help="Where the per-video JSON goes.  [default: <lake>/json]", show_default=False
    ),
]


def settings_from_options(
    threshold: float,
    detect_every: int,
    input_size: int,
    fine_size: int,
    scan_seconds: float,
    min_face: int,
    fragment_seconds: float,
) -> DetectorSettings:
    return DetectorSettings(
        threshold=threshold,
        detect_every=detect_every,
        input_size=input_size,
        fine_size=fine_size,
        scan_seconds=scan_seconds,
        min_face=min_face,
        fragment_seconds=fragment_seconds,
    )
