"""``facetrack run``, ``facetrack sql`` and ``facetrack lake optimize|vacuum|checkpoint``.

Heavy libraries (deltalake, Polars, DuckDB, the engine) are imported inside the commands so that
``facetrack --help`` answers instantly.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from flows.cli import app
from flows.commands_engine import (
    DEFAULTS,
    DetectEveryOption,
    FragmentOption,
    InputSizeOption,
    MinFaceOption,
    ThresholdOption,
    settings_from_options,
)
from tasks.errors import FacetrackError

LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        help="Lake root: a path or s3://bucket/prefix [env FACETRACK_LAKE; default ./facetrack-data/lake].",
        show_default=False,
    ),
]
TablesOption = Annotated[
    list[str] | None, typer.Option("--table", help="Only this table (repeatable); default: all.")
]

lake_app = typer.Typer(
    help="Lake housekeeping: compact, z-order, vacuum, checkpoint.",
    no_args_is_help=True,
)
app.add_typer(lake_app, name="lake")


@app.command()
def run(
    videos: Annotated[list[str], typer.Argument(help="Video files to process.")],
    lake: LakeOption = None,
    json_dir: Annotated[
        str | None, typer.Option("--json-dir", help="Where the per-video JSON goes [default: <lake>/json].")
    ] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Run id to record [default: new].")] = None,
    threshold: ThresholdOption = DEFAULTS.threshold,
    detect_every: DetectEveryOption = DEFAULTS.detect_every,
    input_size: InputSizeOption = DEFAULTS.input_size,
    min_face: MinFaceOption = DEFAULTS.min_face,
    fragment_seconds: FragmentOption = DEFAULTS.fragment_seconds,
    runner: Annotated[
        str, typer.Option("--runner", help="With a Prefect server: threads or dask (videos in parallel).")
    ] = "threads",
    workers: Annotated[int, typer.Option("--workers", help="With a Prefect server: videos at once.")] = 1,
    dask_address: Annotated[
        str | None, typer.Option("--dask-address", help="With a Prefect server: an existing Dask scheduler.")
    ] = None,
) -> None:
    """Detect and track faces in VIDEOS, write their JSON, validate and publish them to the lake.

    With PREFECT_API_URL set, the videos run as Prefect flows on that server (visible in its UI);
    without it, the same steps run in this process with no server at all.
    """
    from flows.pipeline import VideoSummary, run_videos
    from flows.progress import frame_progress
    from tasks.lake import Lake

    settings = settings_from_options(threshold, detect_every, input_size, min_face, fragment_seconds)
    target = Lake.resolve(lake)

    single = len(videos) == 1

    def report(summary: VideoSummary) -> None:
        if summary.status == "published":
            print(summary.line())
        elif not single:  # a lone failure is reported once, as the command's error
            print(summary.line(), file=sys.stderr)

    def progress_for(path: str):  # type: ignore[no-untyped-def]
        return frame_progress(os.path.basename(path))

    if os.environ.get("PREFECT_API_URL"):
        from flows.process_video import run_videos_with_prefect

        summary = run_videos_with_prefect(
            videos, target.root, settings, json_dir, runner=runner, workers=workers, dask_address=dask_address
        )
        for video in summary.videos:
            report(video)
    else:
        summary = run_videos(
            videos, target, settings, json_dir, run_id, on_video=report, progress_for=progress_for
        )
    failed = [v for v in summary.videos if v.status != "published"]
    if single and failed:
        raise NotPublished(failed[0].error or "not published", failed[0].exit_code)
    if failed:
        raise NotPublished(
            f"{len(failed)} of {len(summary.videos)} videos not published (run {summary.run_id})",
            max(v.exit_code for v in failed),
        )


class NotPublished(FacetrackError):
    """Some videos of a run were not published; the exit code is the worst of theirs."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code or 1


@app.command()
def sql(
    query: Annotated[
        str, typer.Argument(help="SQL; tables: videos, face_events, faces, fragments, runs. '-' = stdin.")
    ],
    lake: LakeOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | json | parquet")] = "table",
    output: Annotated[str | None, typer.Option("-o", "--output", help="Write the result to FILE.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Time travel: an ISO timestamp, or N = the lake when `videos` was at version N.",
        ),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="datafusion | duckdb | polars")] = "datafusion",
) -> None:
    """Run SQL over the lake's tables (a video is published only through its `videos` row)."""
    from tasks.lake import Lake
    from tasks.sql import parse_as_of, run_sql, write_result

    text = sys.stdin.read() if query == "-" else query
    result = run_sql(Lake.resolve(lake), text, engine=engine, as_of=parse_as_of(as_of))
    rendered = write_result(result, fmt, output)
    if rendered is not None:
        sys.stdout.write(rendered)
    elif output:
        print(f"{result.num_rows} rows -> {output}", file=sys.stderr)


@lake_app.command()
def optimize(lake: LakeOption = None, table: TablesOption = None) -> None:
    """Compact small files; z-order face_events by (video_id, face_id)."""
    from tasks.lake import Lake
    from tasks.maintenance import optimize as optimize_lake

    for name, figures in optimize_lake(Lake.resolve(lake), table).items():
        rewritten = figures["partitions_rewritten"]
        note = "unchanged" if not rewritten else f"{rewritten} partition{'s' * (rewritten != 1)} rewritten"
        print(f"{name}: {figures['files_before']} -> {figures['files_after']} files ({note})")


@lake_app.command()
def vacuum(
    lake: LakeOption = None,
    retain_hours: Annotated[
        float,
        typer.Option("--retain-hours", help="Keep files newer than this (time travel reaches this far)."),
    ] = 168.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would go, delete nothing.")] = False,
    table: TablesOption = None,
) -> None:
    """Delete data files no version inside the retention needs."""
    from tasks.lake import Lake
    from tasks.maintenance import vacuum as vacuum_lake

    verb = "would remove" if dry_run else "removed"
    for name, files in vacuum_lake(Lake.resolve(lake), retain_hours, table, dry_run).items():
        print(f"{name}: {verb} {files} files")


@lake_app.command()
def checkpoint(lake: LakeOption = None, table: TablesOption = None) -> None:
    """Write a checkpoint of each table's log and drop expired log entries."""
    from tasks.lake import Lake
    from tasks.maintenance import checkpoint as checkpoint_lake

    for name, version in checkpoint_lake(Lake.resolve(lake), table).items():
        print(f"{name}: checkpoint at version {version}")


@lake_app.command()
def history(
    lake: LakeOption = None,
    table: Annotated[str, typer.Option("--table", help="Table whose commits to list.")] = "videos",
    limit: Annotated[int, typer.Option("--limit", help="How many commits, newest first.")] = 20,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | json")] = "table",
) -> None:
    """List a table's commits (version, time, video, run): the versions `sql --as-of` travels to."""
    import pyarrow as pa

    from tasks.lake import Lake
    from tasks.maintenance import history as table_history
    from tasks.sql import write_result

    rows = table_history(Lake.resolve(lake), table, limit)
    sys.stdout.write(write_result(pa.Table.from_pylist(rows), fmt) or "")
