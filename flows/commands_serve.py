"""``facetrack serve``: leave facetrack running against a Prefect server, fed by an inbox folder."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli import app


def _none_if_blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


@app.command()
def serve(
    inbox: Annotated[
        str,
        typer.Option("--inbox", help="Folder (or s3:// prefix, swept on --cron) videos are dropped into."),
    ],
    lake: Annotated[
        str | None,
        typer.Option("--lake", help="Lake root, path or s3:// URI [default: $FACETRACK_LAKE]"),
    ] = None,
    cron: Annotated[str, typer.Option("--cron", help="When to sweep the inbox (backlog, missed files).")] = (
        "*/10 * * * *"
    ),
    maintenance_cron: Annotated[
        str, typer.Option("--maintenance-cron", help="When to optimize, vacuum and checkpoint the lake.")
    ] = "0 3 * * *",
    watch: Annotated[
        bool, typer.Option("--watch/--no-watch", help="Watch the inbox and start a run per arriving video.")
    ] = True,
    settle_seconds: Annotated[
        float, typer.Option("--settle-seconds", help="Quiet time before a dropped file counts as complete.")
    ] = 2.0,
    runner: Annotated[
        str, typer.Option("--runner", envvar="FACETRACK_RUNNER", help="threads, dask or ray (inbox sweeps).")
    ] = "threads",
    workers: Annotated[int, typer.Option("--workers", help="Videos a sweep processes at once.")] = 2,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-address", envvar="FACETRACK_DASK_ADDRESS", help="Existing Dask scheduler tcp://..."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Flow runs this process executes at once.")] = 4,
    json_dir: Annotated[
        str | None, typer.Option("--json-dir", help="Where per-video JSON goes [default: <lake>/json]")
    ] = None,
) -> None:
    """Serve the facetrack deployments (inbox sweep on --cron, a run per arriving video, nightly maintenance).

    Needs a Prefect server: `prefect server start`, then PREFECT_API_URL=http://127.0.0.1:4200/api.
    """
    import os

    from flows.object_inbox import is_object_uri
    from flows.serve import ServeConfig, serve_forever
    from tasks.lake import Lake

    config = ServeConfig(
        inbox=inbox.rstrip("/") if is_object_uri(inbox) else os.path.abspath(inbox),
        lake=Lake.resolve(lake).root,
        cron=cron,
        maintenance_cron=maintenance_cron,
        watch=watch,
        settle_seconds=settle_seconds,
        runner=runner,
        workers=workers,
        dask_address=_none_if_blank(dask_address),
        limit=limit,
        json_dir=os.path.abspath(json_dir) if json_dir else None,
    )
    serve_forever(config)
