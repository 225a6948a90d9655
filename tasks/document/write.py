"""write: a per-video JSON on disk, atomically: a reader never sees a half-written file, a failed run
leaves none."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from tasks.errors import OutputError, os_error_line


def document_text(document: dict[str, Any]) -> str:
    """The document as written: compact, one line, newline-terminated."""
    return json.dumps(document, separators=(",", ":")) + "\n"


def current_umask() -> int:
    """The process's umask, read without changing it where the OS tells (Linux), else by setting and
    restoring it (not atomic, but the window is two system calls)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json_atomic(document: dict[str, Any], path: str | os.PathLike[str]) -> str:
    """Write a per-video JSON atomically (``write_text_atomic``)."""
    text = document_text(document)  # a document that cannot be serialized touches no file
    return write_text_atomic(text, path)


def write_text_atomic(text: str, path: str | os.PathLike[str]) -> str:
    """Write next to the target, fsync, then rename; an OS error (a full disk, say) is one line naming the
    file, ``<path>: no space left on device`` (``OutputError``), and leaves no partial file. The file gets
    the mode ``open()`` would give it (the umask honoured), not ``mkstemp``'s private 0600."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1] or ".txt"
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".facetrack-", suffix=f"{suffix}.tmp", dir=directory)
    except OSError as exc:
        raise OutputError(os_error_line(path, exc)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.chmod(tmp, 0o666 & ~current_umask())
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(os_error_line(path, exc)) from None
        raise
    return path
