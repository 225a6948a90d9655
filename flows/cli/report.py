"""``facetrack report``: one self-contained HTML page of a video's faces, to judge the results by eye."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from flows.cli.app import app
from flows.cli.detect import check_writable_target
from flows.cli.options import LakeOption
from tasks.errors import BadInputError


@app.command()
def report(
    source: Annotated[
        str | None,
        typer.Argument(
            help="A per-video JSON (with --video), or a published video's id (with --lake); none: the "
            "lake's index of every published video."
        ),
    ] = None,
    video: Annotated[
        str | None,
        typer.Option("--video", help="The video the JSON is of (needed with a JSON; with an id, optional)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="HTML path (default: <stem>.report.html beside the JSON, or in ./; the index: "
            "<lake>/reports/index.html).",
        ),
    ] = None,
    lake: LakeOption = None,
    redacted: Annotated[str | None, typer.Option("--redacted", help="A redacted video to link to.")] = None,
    thumbnails: Annotated[
        str | None, typer.Option("--thumbnails", help="A thumbnails folder to link to.")
    ] = None,
    frames: Annotated[
        int, typer.Option("--frames", help="Frames on the contact sheet, spread evenly over the video.")
    ] = 10,
) -> None:
    """Write one HTML file (no script, no network, pictures embedded): the video's facts, a gallery of
    one face per id, a timeline of who is on screen when, a contact sheet with the boxes drawn, the
    validation outcome, and links to the files. Without a video: the lake's index, every published
    video newest first with its faces, screen time and a link to its report."""
    if not 0 <= frames <= 100:
        raise BadInputError(f"--frames must be between 0 and 100, got {frames}")
    if source is None:
        _index(lake, output, video, redacted, thumbnails)
        return
    if output is not None:
        check_writable_target(output)
    is_json = source.lower().endswith(".json") or os.path.isfile(source)
    if is_json and video is None:
        raise BadInputError(f"{source}: a JSON needs its video (--video VIDEO) to draw the faces from")
    if is_json:
        from tasks.report import report_from_json

        result = report_from_json(source, video or "", output, redacted, thumbnails, frames)
    else:
        from tasks.lake.store import Lake
        from tasks.report import report_from_lake

        result = report_from_lake(Lake.resolve(lake), source, video, output, redacted, thumbnails, frames)
    cost = result.frames_pass
    typer.echo(
        f"{os.path.basename(result.path)}: {result.faces} face ids, {result.size_bytes / 1024:.0f} KiB, "
        f"in {result.seconds:.1f} s ({cost.decoded} frames decoded by {cost.mode} for {cost.converted} "
        f"pictures in {cost.seconds:.1f} s) -> {result.path}"
    )


def _index(lake: str | None, output: str | None, *video_options: str | None) -> None:
    if any(option is not None for option in video_options):
        raise BadInputError("--video, --redacted and --thumbnails are for one video's report: give its id")
    from tasks.lake.store import Lake, is_uri
    from tasks.report.lake_index import write_lake_index

    if output is not None and not is_uri(output):
        check_writable_target(output)
    result = write_lake_index(Lake.resolve(lake), output)
    typer.echo(
        f"{os.path.basename(result.path)}: {result.videos} published videos, {result.reports} with a "
        f"report, {result.size_bytes / 1024:.0f} KiB, in {result.seconds:.1f} s -> {result.path}"
    )
