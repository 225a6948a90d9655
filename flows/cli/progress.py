"""A progress bar for long runs (frames, frames/s, faces so far) that stays silent when not on a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasks.detect.detect_track import Progress


@contextmanager
def frame_progress(label: str, enabled: bool | None = None) -> Iterator[Progress | None]:
    """Yield a ``progress(done, total, faces)`` callback drawing a rich bar on stderr, or None."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as ProgressBar

    columns: list[Any] = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed}/{task.total} frames"),
        TextColumn("{task.fields[fps]:>6.1f} frames/s"),
        TextColumn("{task.fields[faces]} faces"),
        TimeRemainingColumn(),
    ]
    started = time.perf_counter()
    with ProgressBar(*columns, transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(label, total=None, fps=0.0, faces=0)

        def update(done: int, total: int, faces: int) -> None:
            fps = done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=max(total, done) or None, fps=fps, faces=faces)

        yield update


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)
