"""The Typer app every ``facetrack`` command registers itself on.

Help is click's plain layout (``rich_markup_mode=None``): Typer's Rich layout imports Rich's console,
markdown and syntax modules, ~0.3 s before ``--help`` could answer (target: 0.3 s for the whole
command). Usage errors come out the same way: the usage line, then one ``Error:`` line.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="facetrack",
    help="Detect and track faces in videos; write Azure-layout JSON, Delta Lake tables, and query them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
