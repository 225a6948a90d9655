"""maintain_lake: the nightly housekeeping a Delta lake fed one small commit per video needs.

Every published video adds a few small files per table; left alone, queries slow down with the file
count. Optimize compacts them (and z-orders ``face_events``), vacuum deletes the files compaction
replaced once they are older than the retention (time travel keeps working inside it), and a checkpoint
lets readers skip replaying the JSON log. Each is its own task so a failure names the step, and each is
retried: maintenance competes with publishing for commits, and a lost race is worth another try.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows.steps import io_task


@io_task("optimize", retries=2, retry_delay_seconds=[30.0, 120.0])
def optimize_tables(lake: str) -> dict[str, Any]:
    from tasks.lake.maintenance import optimize

    report = optimize(lake)
    for table, numbers in report.items():
        get_run_logger().info("optimize %s: %s", table, numbers)
    return report


@io_task("vacuum", retries=2, retry_delay_seconds=[30.0, 120.0])
def vacuum_tables(lake: str, retain_hours: float | None) -> dict[str, int]:
    from tasks.lake.maintenance import vacuum
    from tasks.settings import DEFAULT_RETAIN_HOURS

    hours = DEFAULT_RETAIN_HOURS if retain_hours is None else retain_hours
    removed = vacuum(lake, retain_hours=hours)
    get_run_logger().info("vacuum (retaining %g h): files removed per table %s", hours, removed)
    return removed


@io_task("checkpoint", retries=2, retry_delay_seconds=[30.0, 120.0])
def checkpoint_tables(lake: str) -> dict[str, int]:
    from tasks.lake.maintenance import checkpoint

    versions = checkpoint(lake)
    get_run_logger().info("checkpointed at versions %s", versions)
    return versions


@flow(name="maintain-lake")
def maintain_lake(lake: str | None = None, retain_hours: float | None = None) -> dict[str, Any]:
    """Optimize, then vacuum, then checkpoint every table of the lake."""
    from prefect.artifacts import create_table_artifact

    from tasks.lake.store import Lake

    root = Lake.resolve(lake).root
    optimized = optimize_tables(root)
    removed = vacuum_tables(root, retain_hours)
    versions = checkpoint_tables(root)
    create_table_artifact(
        table=[
            {
                "table": t,
                **optimized.get(t, {}),
                "vacuumed files": removed.get(t, 0),
                "version": versions.get(t),
            }
            for t in versions
        ],
        key="lake-maintenance",
        description=f"maintenance of {root}",
    )
    return {"optimize": optimized, "vacuum": removed, "checkpoint": versions}
