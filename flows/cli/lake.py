"""``facetrack lake optimize|vacuum|checkpoint|history|check|tables|migrate``: lake housekeeping, its
health check after a crash, what it holds, and bringing an older lake up to date."""

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
    help="Lake housekeeping: compact, z-order, vacuum, checkpoint; check after a crash; tables; migrate.",
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


@lake_app.command()
def check(
    lake: LakeOption = None,
    stale_hours: Annotated[
        float,
        typer.Option(
            "--stale-hours",
            help="A run still 'running' this long after it started is stuck (for rows without a heartbeat; "
            "a row whose heartbeat stopped for 10 minutes is stuck at once).",
        ),
    ] = 6.0,
    repair_runs: Annotated[
        bool, typer.Option("--repair-runs", help="Mark the stuck runs 'abandoned' in the runs table.")
    ] = False,
) -> None:
    """Check the lake after a crash: every table's log (no gap, no empty or truncated commit), child rows
    without a videos row, runs stuck in 'running'. One line per problem, exit 1 if any."""
    from tasks.lake.check import check_lake
    from tasks.lake.store import Lake

    report = check_lake(Lake.resolve(lake), stale_hours, repair_runs)
    for line in report.repaired:
        print(line)
    for problem in report.problems:
        print(problem.line())
    if report.problems:
        count = len(report.problems)
        print(f"facetrack: lake check: {count} problem{'s' * (count != 1)}", file=sys.stderr)
        raise typer.Exit(1)
    print(report.summary())


@lake_app.command()
def migrate(lake: LakeOption = None) -> None:
    """Bring a lake made by an older facetrack to the current layout (columns renamed off SQL reserved
    words, short container names); one commit per table, safe to rerun."""
    from tasks.lake.migrate import migrate_lake
    from tasks.lake.store import Lake

    done = migrate_lake(Lake.resolve(lake))
    print("\n".join(done) if done else "lake is current: nothing to migrate")


@lake_app.command()
def tables(
    lake: LakeOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=" | ".join(SQL_FORMATS[:3]))] = SQL_FORMATS[0],
) -> None:
    """List the lake's tables: rows, version, files and size from each Delta log, and what each holds
    (`facetrack sql "SHOW COLUMNS FROM videos"` for their columns)."""
    from tasks.lake.store import Lake
    from tasks.query.catalog import table_summary
    from tasks.query.render import write_result

    sys.stdout.write(write_result(table_summary(Lake.resolve(lake)), fmt) or "")
