"""watcher: turn files landing in an inbox folder into one Prefect event per complete video.

A deployment trigger on ``facetrack.video.arrived`` starts ``process_video`` for each event, so a video
is picked up seconds after its copy finishes instead of at the next cron sweep. The watcher only
watches: it never processes, so it can run inside ``facetrack serve`` (a thread) or on its own.

Completeness: filesystem notifications arrive for every chunk of a copy. A file is announced once no
notification has arrived for it for ``settle_seconds`` *and* its size and mtime are unchanged since the
last look, the same rule the cron sweep applies with ``mtime``. A file is announced once per content
version (size, mtime): touching or replacing it announces it again, and the lake's content hash decides
whether it is really new.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flows.inbox.folder import is_video_name

ARRIVAL_EVENT = "facetrack.video.arrived"
RESOURCE_PREFIX = "facetrack.inbox.file."
INBOX_LABEL = "facetrack.inbox"  # resource label the arrival trigger matches, one trigger per inbox
DEFAULT_WATCH_SETTLE_SECONDS = 2.0

log = logging.getLogger("facetrack.watcher")

OnStable = Callable[[str, int], None]  # (absolute path, size in bytes)


@dataclass
class _Seen:
    size: int
    mtime: float
    last_change: float


@dataclass
class StableFileTracker:
    """Remembers growing files and says when each has settled. Pure bookkeeping, clock passed in."""

    settle_seconds: float = DEFAULT_WATCH_SETTLE_SECONDS
    pending: dict[str, _Seen] = field(default_factory=dict)
    announced: dict[str, tuple[int, float]] = field(default_factory=dict)

    def touched(self, path: str, now: float) -> None:
        """A notification (or a startup listing) mentions ``path``."""
        try:
            stat = os.stat(path)
        except FileNotFoundError:  # deleted or moved to done/: forget it
            self.pending.pop(path, None)
            self.announced.pop(path, None)
            return
        self.pending[path] = _Seen(stat.st_size, stat.st_mtime, now)

    def settled(self, now: float) -> list[tuple[str, int]]:
        """Files quiet for ``settle_seconds`` and unchanged since last seen; each returned once."""
        ready: list[tuple[str, int]] = []
        for path, seen in list(self.pending.items()):
            if now - seen.last_change < self.settle_seconds:
                continue
            try:
                stat = os.stat(path)
            except FileNotFoundError:
                del self.pending[path]
                continue
            if (stat.st_size, stat.st_mtime) != (seen.size, seen.mtime):
                self.pending[path] = _Seen(stat.st_size, stat.st_mtime, now)  # still being written
                continue
            del self.pending[path]
            version = (stat.st_size, stat.st_mtime)
            if stat.st_size == 0 or self.announced.get(path) == version:
                continue
            self.announced[path] = version
            ready.append((path, stat.st_size))
        return ready


def watch_inbox(
    inbox: str,
    on_stable: OnStable,
    settle_seconds: float = DEFAULT_WATCH_SETTLE_SECONDS,
    stop: threading.Event | None = None,
    announce_existing: bool = False,
) -> None:
    """Block, calling ``on_stable(path, size)`` for each new complete video, until ``stop`` is set."""
    import watchfiles

    inbox = os.path.abspath(inbox)
    os.makedirs(inbox, exist_ok=True)
    tracker = StableFileTracker(settle_seconds)
    if announce_existing:
        for entry in os.scandir(inbox):
            if entry.is_file() and is_video_name(entry.name):
                tracker.touched(entry.path, time.monotonic())

    def only_videos(change: watchfiles.Change, path: str) -> bool:
        return os.path.dirname(path) == inbox and is_video_name(path)

    tick_ms = max(100, int(settle_seconds * 250))  # look at pending files 4x per settle period
    for changes in watchfiles.watch(
        inbox,
        watch_filter=only_videos,
        recursive=False,  # done/, failed/ and .claims/ live below the inbox
        debounce=tick_ms,
        rust_timeout=tick_ms,
        yield_on_timeout=True,
        stop_event=stop,
        raise_interrupt=False,
    ):
        now = time.monotonic()
        for _change, path in changes:
            tracker.touched(path, now)
        for path, size in tracker.settled(now):
            try:
                on_stable(path, size)
            except Exception:  # one failed announcement must not stop the watcher
                log.exception("could not announce %s", path)


def arrival_resource_id(path: str) -> str:
    """Stable per path, so the Prefect UI groups events for the same file."""
    return RESOURCE_PREFIX + hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:16]


def emit_arrival(path: str, size: int, inbox: str | None = None) -> Any:
    """Send ``facetrack.video.arrived`` with the path in the payload (the trigger reads it from there)."""
    from prefect.events import emit_event

    path = os.path.abspath(path)
    inbox = os.path.abspath(inbox or os.path.dirname(path))
    resource = {
        "prefect.resource.id": arrival_resource_id(path),
        "prefect.resource.name": os.path.basename(path),
        INBOX_LABEL: inbox,
    }
    return emit_event(event=ARRIVAL_EVENT, resource=resource, payload={"path": path, "size": size})


def start_watcher_thread(
    inbox: str, settle_seconds: float = DEFAULT_WATCH_SETTLE_SECONDS, on_stable: OnStable | None = None
) -> tuple[threading.Thread, threading.Event]:
    """Run the watcher beside ``serve()`` in the same process; set the event to stop it.

    ``on_stable``: what to do with a complete file; by default, send the arrival event (for the
    deployment trigger)."""
    from prefect.logging import get_logger

    stop = threading.Event()
    console = get_logger("facetrack.watcher")  # Prefect's console handler: shown among the run logs

    def announce(path: str, size: int) -> None:
        emit_arrival(path, size, inbox=os.path.abspath(inbox))
        console.info(
            "%s arrived complete (%d bytes): %s event sent", os.path.basename(path), size, ARRIVAL_EVENT
        )

    thread = threading.Thread(
        target=watch_inbox,
        args=(inbox, on_stable or announce, settle_seconds, stop),
        name="facetrack-inbox-watcher",
        daemon=True,
    )
    thread.start()
    return thread, stop
