"""The ``facetrack`` command line.

Each command lives in its own module and registers itself on ``app`` (``flows.cli.app``); this package
only wires them together and turns ``FacetrackError`` into one line on stderr and an exit code. Heavy
libraries (onnxruntime, PyAV, Prefect, GX, deltalake) are imported inside the commands so ``--help``
answers instantly.
"""

from __future__ import annotations

import sys

import typer

from flows.cli import demo, detect, lake, redact, run, serve, sql, validate  # noqa: F401  (they register commands)
from flows.cli.app import app

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, print user-facing errors as one line, return the exit code."""
    from tasks.errors import FacetrackError

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
