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
        typer.Argument(
            help="SQL, '-' = stdin. Tables: videos, face_events, faces, fragments, shots, runs, ... "
            "(`SHOW TABLES`; columns, types and units: `SHOW COLUMNS FROM videos`, information_schema)."
        ),
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
    """Run SQL over the lake's tables (a video is published only through its `videos` row).

    The result streams: any number of rows in flat memory. A `table` shows the first 1000 rows and
    counts the rest; csv, json and parquet carry every row.
    """
    from tasks.lake.store import Lake
    from tasks.query.render import stream_result
    from tasks.query.sql import parse_as_of, stream_sql

    text = sys.stdin.read() if query == "-" else query
    result = stream_sql(Lake.resolve(lake), text, engine=engine, as_of=parse_as_of(as_of))
    try:
        rows = stream_result(result, fmt, output)
    except BrokenPipeError:  # `facetrack sql ... | head`: the reader has what it wanted
        _silence_stdout()
        return
    if output:
        print(f"{rows} rows -> {output}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail on the closed pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass
