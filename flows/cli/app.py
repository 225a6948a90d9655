"""The Typer app every ``facetrack`` command registers itself on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="facetrack",
    help="Detect and track faces in videos; write Azure-layout JSON, Delta Lake tables, and query them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
