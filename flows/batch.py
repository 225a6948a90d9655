"""batch: many videos, each its own ``process-video`` run, a few at a time, under one ``runs`` row.

Each video runs whole inside one task on the chosen task runner (threads here, or a Dask worker
elsewhere; ``flows.runners``), as a ``process-video`` subflow, so the UI shows one run per video with its
steps and artifact, and a corrupt file fails its own run only. The batch run reports the totals.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.process_video import outcome_of, process_video, video_artifact_row
from flows.runners import make_task_runner
from flows.steps import as_tasks
from tasks.errors import FacetrackError
from tasks.lake.store import Lake
from tasks.pipeline import VideoOutcome, prepare_step, recorded_run
from tasks.status import VideoStatus


@task(name="process-one-video", cache_policy=NO_CACHE)
def process_one_video(flow_parameters: dict[str, Any]) -> dict[str, Any]:
    """Run the ``process-video`` subflow with these parameters; its failure is reported, not raised, so
    siblings carry on."""
    state = process_video(**flow_parameters, return_state=True)
    data = state.result(raise_on_failure=False)
    outcome = outcome_of(data)
    if outcome is not None:
        return outcome
    video, lake, error = flow_parameters["video"], flow_parameters["lake"], str(data or state.message)
    return VideoOutcome(video, VideoStatus.FAILED, lake=lake, error=error).to_dict()


def run_batch(
    videos: list[str],
    lake: str | None,
    json_dir: str | None,
    settings: dict[str, Any] | None,
    inbox: str | None,
    runner: str,
    workers: int,
    dask_address: str | None,
    redact: str | None = None,
) -> list[VideoOutcome]:
    """The videos under one ``runs`` row keyed by this flow run's id ("running" first, then the totals);
    one task per video on the chosen runner, at most ``workers`` at once."""
    from prefect.runtime import flow_run

    if not videos:
        return []
    store = Lake.resolve(lake)
    as_tasks(prepare_step, store, json_dir)
    with recorded_run(store, str(flow_run.id or ""), len(videos)) as run:
        with make_task_runner(runner, workers, dask_address) as task_runner:
            common = {
                "lake": store.root, "json_dir": json_dir, "settings": settings,
                "inbox": inbox, "redact": redact,
            }  # fmt: skip
            futures = [
                task_runner.submit(
                    process_one_video, {"flow_parameters": {"video": v, "run_id": run.run_id, **common}}
                )
                for v in videos
            ]
            outcomes = [VideoOutcome.from_dict(future.result()) for future in futures]
        run.videos = [o for o in outcomes if o.status != VideoStatus.SKIPPED]
    return outcomes


def totals(outcomes: list[VideoOutcome]) -> dict[str, int]:
    counts = {str(status): 0 for status in VideoStatus}
    for outcome in outcomes:
        counts[str(outcome.status)] += 1
    counts["total"] = len(outcomes)
    return counts


def report(outcomes: list[VideoOutcome], title: str, started: float) -> Any:
    """Log and publish the batch totals; the flow ends Completed (failed videos fail their own runs)
    with the result as its data. No videos: one log line and no artifact (an empty sweep is silent)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact
    from prefect.states import Completed

    counts = totals(outcomes)
    summary = (
        ", ".join(f"{n} {status}" for status, n in counts.items() if n and status != "total") or "no videos"
    )
    get_run_logger().info("%s: %s in %.1f s", title, summary, time.perf_counter() - started)
    if outcomes:
        create_table_artifact(
            table=[video_artifact_row(o) for o in outcomes], description=f"{title}: {summary}"
        )
        failures = [f"- `{os.path.basename(o.video)}`: {o.error}" for o in outcomes if o.error]
        create_markdown_artifact(
            markdown=f"## {title}\n\n{summary}\n\n" + ("\n".join(failures) if failures else ""),
            description=summary,
        )
    result = {"totals": counts, "videos": [o.to_dict() for o in outcomes]}
    message = ", ".join(f"{counts[s]} {s}" for s in ("published", "failed", "quarantined"))
    return Completed(message=message, data=result)


def refused(exc: FacetrackError) -> Any:
    """End the run Failed with the one-line reason (no traceback); the caller gets the exception back."""
    from prefect.states import Failed

    get_run_logger().error("%s", exc)
    return Failed(message=str(exc), data=exc)
