"""The ``facetrack`` command line.

Each command lives in its own module and registers itself on ``app`` (``flows.cli.app``); this package
only wires them together and turns ``FacetrackError`` into one line on stderr and an exit code. Heavy
libraries (onnxruntime, PyAV, Prefect, GX, deltalake) are imported inside the commands so ``--help``
answers instantly.
"""

from __future__ import annotations

import sys

import typer

from flows.cli import (  # noqa: F401  (they register commands)
    demo,
    detect,
    import_azure,
    lake,
    redact,
    report,
    run,
    serve,
    sql,
    validate,
)
from flows.cli.app import app

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, print user-facing errors as one line, return the exit code."""
    from tasks.errors import FacetrackError, LakeError, storage_full
    from tasks.settings import quiet_object_store_logs

    quiet_object_store_logs()  # before deltalake is imported: no IMDS warnings for an S3 lake, any command
    _SIGNALLED.clear()
    previous = _stop_on_signals()
    try:
        # Outside standalone mode click returns (rather than raises) the code of ``typer.Exit(code)``.
        result = app(args=argv, prog_name="facetrack", standalone_mode=False)
    except FacetrackError as exc:
        print(f"facetrack: error: {exc}", file=sys.stderr)
        if isinstance(exc, LakeError) and storage_full(exc):
            _exit_now(exc.exit_code)  # a Delta write met the full disk: see _exit_now
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    except Exception as exc:  # usage errors: the usage line and one "Error:" line, exit 2
        if _is_click_exception(exc):
            exc.show()  # type: ignore[attr-defined]
            return int(exc.exit_code)  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            # click turns Ctrl-C (and our SIGTERM) into Abort; say which, as one line
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, KeyboardInterrupt):
                return _interrupted(cause)
            print("facetrack: aborted", file=sys.stderr)
            return 1
        raise
    finally:
        _restore_signals(previous)
    if _SIGNALLED:  # Typer turns the KeyboardInterrupt into a silent exit 130: say what stopped us
        return _interrupted(_SIGNALLED[-1])
    return result if isinstance(result, int) else 0


_SIGNALLED: list[BaseException] = []  # the Interrupted raised by our handler, if a signal came


def _exit_now(code: int) -> None:
    """Leave without Python's shutdown: after a disk filled under a Delta write, delta-rs' storage runtime
    can abort the process while it is torn down ("terminate called without an active exception", exit
    134, apache/arrow-rs-object-store#810), after our one line was printed. Everything was said."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _stop_on_signals() -> dict[int, object]:
    """SIGTERM (and SIGINT) raise ``Interrupted`` in the main thread: the run in progress is recorded as
    failed with the signal's name and the command ends with one line, instead of dying without a word
    (SIGTERM's default) and leaving its ``runs`` row 'running' for ever."""
    import signal
    import threading

    from tasks.errors import Interrupted

    if threading.current_thread() is not threading.main_thread():
        return {}  # signals are only delivered to the main thread (a test calling main() elsewhere)

    def handler(number: int, _frame: object) -> None:
        signal.signal(number, signal.SIG_DFL)  # a second signal ends the process at once
        interrupted = Interrupted(signal.Signals(number).name)
        _SIGNALLED.append(interrupted)
        raise interrupted

    previous: dict[int, object] = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, handler)
    return previous


def _restore_signals(previous: dict[int, object]) -> None:
    import signal

    for number, handler in previous.items():
        signal.signal(number, handler)  # type: ignore[arg-type]


def _interrupted(exc: BaseException) -> int:
    from tasks.errors import Interrupted

    name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
    print(f"facetrack: interrupted by {name}", file=sys.stderr)
    return exc.exit_code if isinstance(exc, Interrupted) else 130


def _is_click_exception(exc: BaseException) -> bool:
    """A click usage error (``UsageError``, ``BadParameter``, ``NoSuchOption`` ...), from the click Typer
    vendors (``typer._click``, Typer >= 0.22) or from click itself (older Typer).

    Checking only ``click.exceptions.ClickException`` let every usage error of the vendored click through
    as a 30-line traceback with exit 1.
    """
    for cls in type(exc).__mro__:
        if cls.__name__ == "ClickException" and cls.__module__.endswith("click.exceptions"):
            return hasattr(exc, "show")
    return False


if __name__ == "__main__":
    sys.exit(main())
