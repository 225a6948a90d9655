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
