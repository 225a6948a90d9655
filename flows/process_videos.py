"""process_videos: ``facetrack run`` against a Prefect server, the given videos as one batch flow run.

The videos stay where they are (no inbox rules); each is a ``process-video`` subflow (``flows.batch``).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from prefect import flow

from flows.batch import refused, report, run_batch
from tasks.errors import FacetrackError
from tasks.pipeline import RunSummary, VideoOutcome
from tasks.settings import DetectorSettings


@flow(name="process-videos")
def process_videos(
    videos: list[str],
    lake: str | None = None,
    json_dir: str | None = None,
    settings: dict[str, Any] | None = None,
    runner: str = "threads",
    workers: int = 1,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Process the given videos; files stay where they are."""
    started = time.perf_counter()
    try:
        outcomes = run_batch(videos, lake, json_dir, settings, None, runner, workers, dask_address)
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
) -> RunSummary:
    """``facetrack run`` with PREFECT_API_URL set: the ``process-videos`` flow, one ``process-video``
    subflow per video, all visible in the UI.

    Returns the same ``RunSummary`` as ``tasks.pipeline.run_videos`` (``run_id`` is the flow run's id), so
    the command prints the same lines and exit code either way. One bad file does not stop the others.
    """
    started = datetime.now(UTC)
    state = process_videos(
        videos=[os.path.abspath(p) for p in paths],
        lake=lake,
        json_dir=json_dir,
        settings=settings.to_dict() if settings is not None else None,
        runner=runner,
        workers=workers,
        dask_address=dask_address,
        return_state=True,
    )
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    outcomes = [VideoOutcome.from_dict(row) for row in result["videos"]]
    run_id = str(state.state_details.flow_run_id or "")
    return RunSummary(run_id, started, len(outcomes), outcomes, finished_at=datetime.now(UTC))
