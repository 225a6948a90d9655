"""``facetrack sql``: SQL over the lake's tables, with time travel."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from flows.cli.app import app
from flows.cli.options import LakeOption
from tasks.settings import DEFAULT_SQL_ENGINE, SQL_ENGINES, SQL_FORMATS


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(help="SQL; tables: videos, face_events, faces, fragments, shots, runs. '-' = stdin."),
    ],
    lake: LakeOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=" | ".join(SQL_FORMATS))] = SQL_FORMATS[0],
    output: Annotated[str | None, typer.Option("-o", "--output", help="Write the result to FILE.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Time travel: an ISO timestamp, or N = the lake when `videos` was at version N.",
        ),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help=" | ".join(SQL_ENGINES))] = DEFAULT_SQL_ENGINE,
) -> None:
    """Run SQL over the lake's tables (a video is published only through its `videos` row)."""
    from tasks.lake.store import Lake
    from tasks.query.render import write_result
    from tasks.query.sql import parse_as_of, run_sql

    text = sys.stdin.read() if query == "-" else query
    result = run_sql(Lake.resolve(lake), text, engine=engine, as_of=parse_as_of(as_of))
    rendered = write_result(result, fmt, output)
    if rendered is not None:
        sys.stdout.write(rendered)
    elif output:
        print(f"{result.num_rows} rows -> {output}", file=sys.stderr)
