"""A video's id: the SHA-256 of its bytes, so a copy or a renamed file is still the same video.

The lake keys every row by it, the inbox deduplicates by it, and it goes into Delta predicates, which is
why ``is_video_id`` is checked before an id is ever put into one.
"""

from __future__ import annotations

import hashlib
import os

from tasks.errors import BadInputError, ContractError

_HEX = frozenset("0123456789abcdef")


def video_id(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of the file's bytes; one line (``BadInputError``) when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise BadInputError(f"{os.fspath(path)}: cannot read ({exc.strerror or exc})") from None


def is_video_id(value: object) -> bool:
    """64 lowercase hex digits."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def require_video_id(value: object) -> str:
    """``value`` if it is a video id, else one line (``ContractError``) saying what it must be."""
    if not is_video_id(value):
        raise ContractError(f"video_id must be 64 lowercase hex digits (SHA-256), got {value!r}")
    assert isinstance(value, str)
    return value
