"""objects: an inbox that is an object-store prefix (``s3://bucket/inbox``), swept by polling.

Object stores send no filesystem notifications, so the cron sweep is the arrival path here. The rules
mirror the folder inbox (``flows.inbox.folder``): only objects whose last write is ``settle_seconds`` old (a
multipart upload becomes visible only when complete, so this is belt and braces), only top-level video
names, processed objects moved under ``done/`` and refused ones under ``failed/`` with a
``NAME.error.txt`` object saying why. Each object is downloaded by the worker that processes it, so
Dask workers on other machines need only the store's credentials, not a shared disk.

There is no atomic "create if absent" across object stores, so there are no claims: run one sweep at a
time per prefix (the deployments set ``concurrency_limit: 1``); the content hash still keeps a
re-uploaded copy from being processed twice.
"""

from __future__ import annotations

import os
from typing import Any

from flows.inbox.folder import DONE_DIR, FAILED_DIR, InboxFile, is_settled, is_video_name
from tasks.errors import LakeError, first_line
from tasks.lake.store import arrow_filesystem, storage_options_from_env


def _filesystem(uri: str) -> tuple[Any, str]:
    return arrow_filesystem(uri, storage_options_from_env())


def _scheme(uri: str) -> str:
    return uri.split("://", 1)[0]


def ready_objects(inbox: str, settle_seconds: float, now: float | None = None) -> list[InboxFile]:
    """Settled video objects directly under the prefix, oldest first; ``path`` is the object's URI."""
    import pyarrow.fs as pafs

    fs, prefix = _filesystem(inbox)
    try:
        infos = fs.get_file_info(pafs.FileSelector(prefix.rstrip("/"), allow_not_found=True, recursive=False))
    except OSError as exc:
        raise LakeError(f"cannot list {inbox}: {first_line(exc)}") from None
    found = []
    for info in infos:
        if info.type != pafs.FileType.File or not is_video_name(info.base_name):
            continue
        mtime = info.mtime.timestamp() if info.mtime is not None else 0.0
        size = int(info.size or 0)
        if is_settled(size, mtime, settle_seconds, now):
            found.append(InboxFile(f"{_scheme(inbox)}://{info.path}", size, mtime))
    return sorted(found, key=lambda f: (f.mtime, f.name))


def download(uri: str, directory: str) -> str:
    """Copy the object to ``directory`` under its own name (the JSON is named after it); return the path."""
    fs, path = _filesystem(uri)
    os.makedirs(directory, exist_ok=True)
    local = os.path.join(directory, os.path.basename(path))
    try:
        with fs.open_input_stream(path) as source, open(local, "wb") as target:
            while chunk := source.read(8 << 20):
                target.write(chunk)
    except OSError as exc:
        raise LakeError(f"cannot download {uri}: {first_line(exc)}") from None
    return local


def file_object(uri: str, folder: str, reason: str | None = None) -> str:
    """Move the object under ``<inbox>/<folder>/`` (with the reason next to it for failures)."""
    fs, path = _filesystem(uri)
    parent, name = path.rsplit("/", 1)
    target = f"{parent}/{folder}/{name}"
    try:
        fs.move(path, target)
        if reason is not None:
            with fs.open_output_stream(target + ".error.txt") as out:
                out.write((reason.rstrip() + "\n").encode("utf-8"))
    except OSError as exc:
        raise LakeError(f"cannot move {uri} to {folder}/: {first_line(exc)}") from None
    return f"{_scheme(uri)}://{target}"


def file_object_done(uri: str) -> str:
    return file_object(uri, DONE_DIR)


def file_object_failed(uri: str, reason: str) -> str:
    return file_object(uri, FAILED_DIR, reason)
