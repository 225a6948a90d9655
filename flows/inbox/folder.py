"""folder: which files in a drop folder are complete videos, who is processing them, and where they go after.

No Prefect here: the cron sweep (``process_inbox``), the arrival trigger (``process_video`` with an inbox)
and the watcher all share these rules, and tests exercise them without a server. A file's identity is
its content (``tasks.video.video_id``), so a renamed copy of a published video is not processed again.

Layout of an inbox folder::

    inbox/               videos are dropped here (top level only)
    inbox/.claims/       NAME.claim while a run works on NAME: the lock that makes processing exactly-once
    inbox/done/          processed (or already in the lake under another name)
    inbox/failed/        refused or failed, with NAME.error.txt saying why

Why lock files and not a move into a work folder: the lake records the source path of each video, and
a claimed file should keep the path it arrived under. ``O_CREAT | O_EXCL`` is atomic on local disks and
NFS, so a cron sweep and an arrival trigger racing for the same file cannot both win.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv", ".3gp"}
)
CLAIMS_DIR = ".claims"
DONE_DIR = "done"
FAILED_DIR = "failed"
# A file is complete when nothing has written to it for this long. Copies and uploads touch the file's
# mtime with every chunk, so a still-growing file never looks settled; a copy stalled for longer than
# this would, and then fails probing and lands in failed/ with the reason (re-drop it to retry).
DEFAULT_SETTLE_SECONDS = 10.0
# A claim older than this belongs to a run that died (killed worker, lost node): it may be taken over.
STALE_CLAIM_SECONDS = 6 * 3600.0


@dataclass(frozen=True)
class InboxFile:
    """A candidate video in the inbox, as last seen on disk."""

    path: str
    size: int
    mtime: float

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def is_video_name(name: str) -> bool:
    """Video by suffix, and not a hidden or temporary file (``.x.mp4.part`` style names are skipped)."""
    base = os.path.basename(name)
    return not base.startswith(".") and os.path.splitext(base)[1].lower() in VIDEO_SUFFIXES


def is_settled(size: int, mtime: float, settle_seconds: float, now: float | None = None) -> bool:
    """True once a non-empty file has not been written to for ``settle_seconds``."""
    now = time.time() if now is None else now
    return size > 0 and now - mtime >= settle_seconds


def list_videos(inbox: str) -> list[InboxFile]:
    """Video files at the top level of the inbox, oldest first (first come, first served)."""
    found: list[InboxFile] = []
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        return []
    for entry in entries:
        if not entry.is_file(follow_symlinks=True) or not is_video_name(entry.name):
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:  # moved away between listing and stat
            continue
        found.append(InboxFile(os.path.abspath(entry.path), stat.st_size, stat.st_mtime))
    return sorted(found, key=lambda f: (f.mtime, f.name))


def ready_videos(
    inbox: str, settle_seconds: float = DEFAULT_SETTLE_SECONDS, now: float | None = None
) -> list[InboxFile]:
    """The inbox's complete videos that nobody is working on."""
    return [
        f
        for f in list_videos(inbox)
        if is_settled(f.size, f.mtime, settle_seconds, now) and not _claim_path(f.path).exists()
    ]


class _ClaimPath:
    def __init__(self, video: str) -> None:
        inbox, name = os.path.split(os.path.abspath(video))
        self.directory = os.path.join(inbox, CLAIMS_DIR)
        self.path = os.path.join(self.directory, name + ".claim")

    def exists(self) -> bool:
        return os.path.exists(self.path)


def _claim_path(video: str) -> _ClaimPath:
    return _ClaimPath(video)


def is_claimed(video: str) -> bool:
    """A run holds the file's lock now (it may let go at any moment: only ``try_claim`` is atomic)."""
    return _claim_path(video).exists()


def try_claim(video: str, owner: str = "", stale_seconds: float = STALE_CLAIM_SECONDS) -> bool:
    """Take the lock for ``video``; False if another live run holds it or the file is gone."""
    claim = _claim_path(video)
    os.makedirs(claim.directory, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(claim.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if not _remove_if_stale(claim.path, stale_seconds):
                return False
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            record = {"owner": owner, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time()}
            json.dump(record, handle)
        if os.path.exists(video):
            return True
        release_claim(video)  # filed away by the previous holder just before we took the lock
        return False
    return False


def release_claim(video: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(_claim_path(video).path)


@contextmanager
def claimed(video: str, owner: str = "") -> Iterator[bool]:
    """``with claimed(path) as mine:`` work on the file only if ``mine``; the lock is always released."""
    mine = try_claim(video, owner)
    try:
        yield mine
    finally:
        if mine:
            release_claim(video)


def _remove_if_stale(claim_path: str, stale_seconds: float) -> bool:
    try:
        age = time.time() - os.path.getmtime(claim_path)
    except FileNotFoundError:
        return True  # released meanwhile: try again
    if age < stale_seconds:
        return False
    with suppress(FileNotFoundError):
        os.unlink(claim_path)
    return True


def file_done(video: str) -> str:
    """Move a processed video to ``done/``; returns the new path."""
    return _file_under(video, DONE_DIR)


def file_failed(video: str, reason: str) -> str:
    """Move a video that could not be processed to ``failed/``, with the reason next to it."""
    target = _file_under(video, FAILED_DIR)
    with open(target + ".error.txt", "w", encoding="utf-8") as handle:
        handle.write(reason.rstrip() + "\n")
    return target


def _file_under(video: str, folder: str) -> str:
    inbox, name = os.path.split(os.path.abspath(video))
    directory = os.path.join(inbox, folder)
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, name)
    stem, suffix = os.path.splitext(name)
    n = 1
    while os.path.exists(target):  # the same name dropped twice: keep both, never overwrite
        target = os.path.join(directory, f"{stem}.{n}{suffix}")
        n += 1
    os.replace(video, target)
    return target
