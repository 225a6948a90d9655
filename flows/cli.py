"""The ``facetrack`` command line.

Commands live in small modules (``flows/commands_*.py``) that register themselves on ``app``; this module
only wires them together and turns ``FacetrackError`` into one line on stderr and an exit code. Heavy
libraries (onnxruntime, PyAV, Prefect, GX, deltalake) are imported inside the commands so ``--help``
answers instantly.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="facetrack",
    help="Detect and track faces in videos; write Azure-layout JSON, Delta Lake tables, and query them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _register_commands() -> None:
    """Import the command modules for their side effect of adding commands to ``app``."""
    import importlib
    import pkgutil

    import flows

    for module in pkgutil.iter_modules(flows.__path__):
        if module.name.startswith("commands_"):
            importlib.import_module(f"flows.{module.name}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, print user-facing errors as one line, return the exit code."""
    from tasks.errors import FacetrackError

    _register_commands()
    try:
        # Outside standalone mode click returns (rather than raises) the code of ``typer.Exit(code)``.
        result = app(args=argv, standalone_mode=False)
    except FacetrackError as exc:
        print(f"facetrack: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("facetrack: interrupted", file=sys.stderr)
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            print("facetrack: aborted", file=sys.stderr)
            return 1
        raise
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
