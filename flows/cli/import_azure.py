"""``facetrack import``: Azure Media Face Detector / Redactor JSON into the lake, through the gate."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.app import app
from flows.cli.options import FragmentOption, LakeOption
from flows.cli.run import outcome_printer, refuse_failures
from tasks.errors import BadInputError


@app.command("import")
def import_command(
    files: Annotated[
        list[str],
        typer.Argument(help="Azure Face Detector or Redactor (analyze mode) JSON files, one per video."),
    ],
    video: Annotated[
        str | None,
        typer.Option(
            "--video",
            help="The video the JSON is of (one file only): its SHA-256 becomes the video_id, so a later "
            "`facetrack run` of it replaces the imported rows.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="The video's name when the video is not at hand (one file only).  "
            "[default: the JSON's file name]",
            show_default=False,
        ),
    ] = None,
    lake: LakeOption = None,
    fragment_seconds: FragmentOption = 2.0,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the HTML report beside each JSON.")
    ] = True,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace a video whose published faces facetrack detected."),
    ] = False,
) -> None:
    """Validate each file against the JSON contract (accepting Azure's own quirks: boxes reaching outside
    the frame are clipped, `index` is ignored, sparse ids and any timescale are kept), then publish it
    through the same gate as detected videos, with confidence and landmarks null and `imported` true.
    All or nothing per file: a file that is refused leaves nothing in the lake."""
    from tasks.azure_import import import_files
    from tasks.lake.store import Lake

    if video is not None and name is not None:
        raise BadInputError("--video and --name: give one (the video names itself)")
    if not fragment_seconds > 0:
        raise BadInputError(f"--fragment-seconds must be positive, got {fragment_seconds}")
    summary = import_files(
        files, Lake.resolve(lake), video=video, name=name, fragment_seconds=fragment_seconds,
        report=report, replace=replace, on_file=outcome_printer(len(files)),
    )  # fmt: skip
    refuse_failures(summary, "files not imported")
    if len(files) > 1:
        print(f"imported {len(files)} files (run {summary.run_id})")
