"""process_videos: ``facetrack run`` against a Prefect server, the given videos as one batch flow run.

The videos stay where they are (no inbox rules); each is a ``process-video`` subflow (``flows.batch``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from prefect import flow

from flows.batch import refused, report, run_batch
from tasks.errors import FacetrackError
from tasks.pipeline import RunSummary, VideoOutcome
from tasks.settings import DetectorSettings


def batch_run_name(videos: list[str], shown: int = 3) -> str:
    """``run 3 videos: a.mp4, b.mp4, c.mp4`` (the first ``shown`` names, then ``…``)."""
    names = [os.path.basename(str(v).rstrip("/")) for v in videos]
    listed = ", ".join(names[:shown]) + (", …" if len(names) > shown else "")
    return f"run {len(names)} video{'' if len(names) == 1 else 's'}: {listed}"


def _run_name() -> str:
    from prefect.runtime import flow_run

    return batch_run_name(list(flow_run.parameters.get("videos") or []))


@contextmanager
def quiet_prefect_console(level: int = logging.WARNING) -> Iterator[None]:
    """Prefect's console handlers show only ``level`` and above meanwhile; what goes to the server (the
    run's log in the UI) is untouched. ``facetrack run`` prints its own lines: Prefect's INFO lines
    (run created, task runs finished, ...) would bury them."""
    from prefect.logging.handlers import PrefectConsoleHandler

    handlers = {
        handler
        for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, PrefectConsoleHandler)
    }
    saved = [(handler, handler.level) for handler in handlers]
    for handler, was in saved:
        handler.setLevel(max(was, level))
    try:
        yield
    finally:
        for handler, was in saved:
            handler.setLevel(was)


@flow(name="process-videos", flow_run_name=_run_name)
def process_videos(
    videos: list[str],
    lake: str | None = None,
    json_dir: str | None = None,
    settings: dict[str, Any] | None = None,
    runner: str = "threads",
    workers: int = 1,
    dask_address: str | None = None,
    redact: str | None = None,
) -> dict[str, Any]:
    """Process the given videos; files stay where they are. ``redact``: a blur kind, to also write each
    video with its faces hidden."""
    started = time.perf_counter()
    try:
        outcomes = run_batch(videos, lake, json_dir, settings, None, runner, workers, dask_address, redact)
    except FacetrackError as exc:
        return refused(exc)  # type: ignore[no-any-return]
    return report(outcomes, f"{len(videos)} video(s)", started)  # type: ignore[no-any-return]


def run_videos_with_prefect(
    paths: list[str],
    lake: str | None = None,
    settings: DetectorSettings | None = None,
    json_dir: str | None = None,
    runner: str = "threads",
    workers: int = 1,
    dask_address: str | None = None,
    redact: str | None = None,
) -> RunSummary:
    """``facetrack run`` with PREFECT_API_URL set: the ``process-videos`` flow, one ``process-video``
    subflow per video, all visible in the UI.

    Returns the same ``RunSummary`` as ``tasks.pipeline.run_videos`` (``run_id`` is the flow run's id), so
    the command prints the same lines and exit code either way. One bad file does not stop the others.
    Prefect's console shows warnings and errors only (the run's full log is on the server).
    """
    started = datetime.now(UTC)
    with quiet_prefect_console():
        state = process_videos(
            videos=[os.path.abspath(p) for p in paths],
            lake=lake,
            json_dir=json_dir,
            settings=settings.to_dict() if settings is not None else None,
            runner=runner,
            workers=workers,
            dask_address=dask_address,
            redact=redact,
            return_state=True,
        )
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    outcomes = [VideoOutcome.from_dict(row) for row in result["videos"]]
    run_id = str(state.state_details.flow_run_id or "")
    return RunSummary(run_id, started, len(outcomes), outcomes, finished_at=datetime.now(UTC))
