"""``facetrack lake optimize|vacuum|checkpoint|history``: lake housekeeping."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from flows.cli.app import app
from flows.cli.options import LakeOption
from tasks.settings import DEFAULT_RETAIN_HOURS, SQL_FORMATS

TablesOption = Annotated[
    list[str] | None, typer.Option("--table", help="Only this table (repeatable); default: all.")
]

lake_app = typer.Typer(
    help="Lake housekeeping: compact, z-order, vacuum, checkpoint.",
    no_args_is_help=True,
)
app.add_typer(lake_app, name="lake")


@lake_app.command()
def optimize(lake: LakeOption = None, table: TablesOption = None) -> None:
    """Compact small files; z-order face_events by (video_id, face_id)."""
    from tasks.lake.maintenance import optimize as optimize_lake
    from tasks.lake.store import Lake

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
    ] = DEFAULT_RETAIN_HOURS,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would go, delete nothing.")] = False,
    table: TablesOption = None,
) -> None:
    """Delete data files no version inside the retention needs."""
    from tasks.lake.maintenance import vacuum as vacuum_lake
    from tasks.lake.store import Lake

    verb = "would remove" if dry_run else "removed"
    for name, files in vacuum_lake(Lake.resolve(lake), retain_hours, table, dry_run).items():
        print(f"{name}: {verb} {files} files")


@lake_app.command()
def checkpoint(lake: LakeOption = None, table: TablesOption = None) -> None:
    """Write a checkpoint of each table's log and drop expired log entries."""
    from tasks.lake.maintenance import checkpoint as checkpoint_lake
    from tasks.lake.store import Lake

    for name, version in checkpoint_lake(Lake.resolve(lake), table).items():
        print(f"{name}: checkpoint at version {version}")


@lake_app.command()
def history(
    lake: LakeOption = None,
    table: Annotated[str, typer.Option("--table", help="Table whose commits to list.")] = "videos",
    limit: Annotated[int, typer.Option("--limit", help="How many commits, newest first.")] = 20,
    fmt: Annotated[str, typer.Option("--format", "-f", help=" | ".join(SQL_FORMATS[:3]))] = SQL_FORMATS[0],
) -> None:
    """List a table's commits (version, time, video, run): the versions `sql --as-of` travels to."""
    import pyarrow as pa

    from tasks.lake.maintenance import history as table_history
    from tasks.lake.store import Lake
    from tasks.query.render import write_result

    rows = table_history(Lake.resolve(lake), table, limit)
    sys.stdout.write(write_result(pa.Table.from_pylist(rows), fmt) or "")
