"""``facetrack serve``: leave facetrack running against a Prefect server, fed by an inbox folder."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.app import app
from flows.cli.options import JsonDirOption, LakeOption
from flows.cli.redact import BLUR_HELP, checked_blur
from flows.serve import ServeConfig


def _none_if_blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


@app.command()
def serve(
    inbox: Annotated[
        str,
        typer.Option("--inbox", help="Folder (or s3:// prefix, swept on --cron) videos are dropped into."),
    ],
    lake: LakeOption = None,
    cron: Annotated[
        str, typer.Option("--cron", help="When to sweep the inbox (backlog, missed files).")
    ] = ServeConfig.cron,
    maintenance_cron: Annotated[
        str, typer.Option("--maintenance-cron", help="When to optimize, vacuum and checkpoint the lake.")
    ] = ServeConfig.maintenance_cron,
    watch: Annotated[
        bool, typer.Option("--watch/--no-watch", help="Watch the inbox and start a run per arriving video.")
    ] = ServeConfig.watch,
    settle_seconds: Annotated[
        float, typer.Option("--settle-seconds", help="Quiet time before a dropped file counts as complete.")
    ] = ServeConfig.settle_seconds,
    runner: Annotated[
        str, typer.Option("--runner", envvar="FACETRACK_RUNNER", help="threads, dask or ray (inbox sweeps).")
    ] = ServeConfig.runner,
    workers: Annotated[
        int, typer.Option("--workers", help="Videos a sweep processes at once.")
    ] = ServeConfig.workers,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-address", envvar="FACETRACK_DASK_ADDRESS", help="Existing Dask scheduler tcp://..."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Flow runs this process executes at once.")
    ] = ServeConfig.limit,
    json_dir: JsonDirOption = None,
    redact: Annotated[
        bool,
        typer.Option("--redact", help="Also write every arriving video with its faces hidden (see --blur)."),
    ] = False,
    blur: Annotated[str, typer.Option("--blur", help=f"With --redact: {BLUR_HELP}")] = "med",
) -> None:
    """Serve the facetrack deployments (inbox sweep on --cron, a run per arriving video, nightly maintenance).

    Needs a Prefect server: `prefect server start`, then PREFECT_API_URL=http://127.0.0.1:4200/api.
    """
    import os

    from flows.serve import serve_forever
    from tasks.lake.store import Lake, is_uri

    config = ServeConfig(
        inbox=inbox.rstrip("/") if is_uri(inbox) else os.path.abspath(inbox), lake=Lake.resolve(lake).root,
        cron=cron, maintenance_cron=maintenance_cron, watch=watch, settle_seconds=settle_seconds,
        runner=runner, workers=workers, dask_address=_none_if_blank(dask_address), limit=limit,
        json_dir=os.path.abspath(json_dir) if json_dir else None,
        redact=checked_blur(blur) if redact else None,
    )  # fmt: skip
    serve_forever(config)
