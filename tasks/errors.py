"""Errors a user can act on.

Every failure that is the input's fault (or the environment's, like an unwritable lake) is raised as a
``FacetrackError`` subclass with a one-line message. The CLI prints that line and exits with
``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno


class FacetrackError(Exception):
    """Base class: a one-line, user-facing message and the exit code the CLI returns."""

    exit_code = 2


class BadInputError(FacetrackError):
    """The input is not something we can process: not a video, truncated, no video stream, bad JSON."""


class ContractError(BadInputError):
    """A per-video JSON breaks the output contract; the message names the rule."""


class LakeError(FacetrackError):
    """The lake cannot be read or written (bad path, permissions, storage options)."""


class OutputError(FacetrackError):
    """An output file cannot be written: the disk is full, read-only, or not ours (``os_error_line``)."""


class QueryError(FacetrackError):
    """A SQL query failed; the message is the engine's own."""

    exit_code = 1


class ValidationFailed(FacetrackError):
    """A batch failed its Great Expectations gate and was quarantined instead of published."""

    exit_code = 1


class ModelUnavailableError(FacetrackError):
    """A model file is missing or is not the pinned one (``models.ModelFileError``, as a one-liner)."""


# What the OS says when storage refuses a write, as a user reads it (errno, then the text Rust and C print).
STORAGE_ERRORS = {
    errno.ENOSPC: ("no space left on device", "No space left on device"),
    errno.EDQUOT: ("disk quota exceeded", "Disk quota exceeded"),
    errno.EROFS: ("read-only file system", "Read-only file system"),
    errno.EFBIG: ("file too large", "File too large"),
    errno.EACCES: ("permission denied", "Permission denied"),
    errno.EPERM: ("operation not permitted", "Operation not permitted"),
}


def os_error_line(path: str, exc: OSError) -> str:
    """``<path>: no space left on device`` (or read-only, quota, permission): an OS error on one line."""
    known = STORAGE_ERRORS.get(exc.errno or -1)
    return f"{path}: {known[0] if known else (exc.strerror or str(exc)).lower()}"


def storage_full(exc: BaseException) -> str | None:
    """The phrase ("no space left on device", "disk quota exceeded") when ``exc`` says the storage is full,
    by its errno or, for delta-rs and pyarrow errors, by their text (``... (os error 28)``); else None."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return STORAGE_ERRORS[exc.errno][0]
    text = str(exc)
    for code in (errno.ENOSPC, errno.EDQUOT):
        phrase, said = STORAGE_ERRORS[code]
        if said in text or f"os error {code})" in text:
            return phrase
    return None


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT: the run stops where it is, is recorded as failed, and the CLI says so in a line.

    A ``KeyboardInterrupt``, so it unwinds like Ctrl-C through code that catches ``Exception``.
    """

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name

    @property
    def exit_code(self) -> int:
        import signal

        return 128 + int(getattr(signal, self.signal_name, signal.SIGINT))


def first_line(exc: BaseException) -> str:
    """A library error on one line: the headline plus the root cause.

    delta-rs errors are multi-line cause chains with ANSI colours (``Generic S3 error`` ... ``404`` ...
    ``<Code>NoSuchBucket</Code>``); the headline alone says nothing, the whole chain is a screenful.
    """
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    headline = lines[0]
    causes = [line.lstrip("↳").strip() for line in lines[1:] if line.startswith("↳")]
    code = re.search(r"<Code>([^<]+)</Code>", text)
    message = re.search(r"<Message>([^<]+)</Message>", text)
    if code or message:
        cause = ": ".join(m.group(1) for m in (code, message) if m)
        return f"{headline}: {cause}"
    if causes and not causes[-1].startswith("<"):
        return f"{headline}: {causes[-1]}"
    return headline
