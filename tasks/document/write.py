"""write: a per-video JSON on disk, atomically: a reader never sees a half-written file, a failed run
leaves none."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from tasks.errors import FacetrackError


def document_text(document: dict[str, Any]) -> str:
    """The document as written: compact, one line, newline-terminated."""
    return json.dumps(document, separators=(",", ":")) + "\n"


def write_json_atomic(document: dict[str, Any], path: str | os.PathLike[str]) -> str:
    """Write next to the target, fsync, then rename; an OS error is one line naming the file."""
    path = os.fspath(path)
    text = document_text(document)  # a document that cannot be serialized touches no file
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".facetrack-", suffix=".json.tmp", dir=directory)
    except OSError as exc:
        raise FacetrackError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FacetrackError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path
