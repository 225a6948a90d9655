"""Errors a user can act on.

Every failure that is the input's fault (or the environment's, like an unwritable lake) is raised as a
``FacetrackError`` subclass with a one-line message. The CLI prints that line and exits with
``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class FacetrackError(Exception):
    """Base class: a one-line, user-facing message and the exit code the CLI returns."""

    exit_code = 2


class BadInputError(FacetrackError):
    """The input is not something we can process: not a video, truncated, no video stream, bad JSON."""


class ContractError(BadInputError):
    """A per-video JSON breaks the output contract; the message names the rule."""


class LakeError(FacetrackError):
    """The lake cannot be read or written (bad path, permissions, storage options)."""


class QueryError(FacetrackError):
    """A SQL query failed; the message is the engine's own."""

    exit_code = 1


class ValidationFailed(FacetrackError):
    """A batch failed its Great Expectations gate and was quarantined instead of published."""

    exit_code = 1


class ModelUnavailableError(FacetrackError):
    """A model file is missing or is not the pinned one (``models.ModelFileError``, as a one-liner)."""


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
