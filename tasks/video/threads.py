"""threads: a producer and a consumer in their own threads, joined by bounded queues.

A redaction decodes, hides and encodes every frame. FFmpeg's decoder and encoder release the GIL, so with
the decode ahead of the Python work and the encode behind it, the three overlap; the bounded queues keep
memory flat (a few frames in flight, whatever the video's length). An error in either thread is raised
in the caller's, at its next call, and never lost.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()
_POLL_SECONDS = 0.1


def _put(into: queue.Queue[object], item: object, go_on: Callable[[], bool]) -> bool:
    """Put ``item`` into a bounded queue, waiting while it is full for as long as ``go_on()`` holds (it may
    also raise, to hand an error over); False when it stopped holding first."""
    while go_on():
        try:
            into.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


class Ahead(Generic[T]):
    """``items`` produced in a background thread, up to ``size`` ahead of the consumer.

    Use as a context manager: leaving it early (an error, a break) stops the producer and joins it.
    """

    def __init__(self, items: Iterable[T], size: int = 8, name: str = "facetrack-ahead") -> None:
        self._items = items
        self._queue: queue.Queue[object] = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Ahead[T]:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=_POLL_SECONDS)
        self._thread.join()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                if self._error is not None:
                    raise self._error
                return
            yield item  # type: ignore[misc]

    def _run(self) -> None:
        try:
            for item in self._items:
                if not _put(self._queue, item, self._running):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._error = exc
        _put(self._queue, _END, self._running)

    def _running(self) -> bool:
        return not self._stop.is_set()


class Behind(Generic[T]):
    """``consume(item)`` for every ``put`` item, in a background thread, up to ``size`` items behind.

    ``close()`` waits until every item is consumed; an error in ``consume`` is raised by the next
    ``put`` or by ``close``. Leaving the context manager with an error drops what is still queued.
    """

    def __init__(self, consume: Callable[[T], None], size: int = 8, name: str = "facetrack-behind") -> None:
        self._consume = consume
        self._queue: queue.Queue[object] = queue.Queue(maxsize=size)
        self._error: BaseException | None = None
        self._dropping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Behind[T]:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if error is not None:
            self._dropping.set()
        self._finish()

    def put(self, item: T) -> None:
        _put(self._queue, item, self._no_error)

    def close(self) -> None:
        """Wait for every item to be consumed; raise the consumer's error if it had one."""
        self._finish()
        self._raise()

    def _finish(self) -> None:
        if self._thread.is_alive():
            _put(self._queue, _END, self._thread.is_alive)
            self._thread.join()

    def _no_error(self) -> bool:
        """True, or the consumer's error raised (``put`` waits on this)."""
        self._raise()
        return True

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._dropping.is_set():
                continue  # after an error, only drain
            try:
                self._consume(item)  # type: ignore[arg-type]
            except BaseException as exc:
                self._error = exc
                self._dropping.set()
