"""steps: ``tasks.pipeline``'s steps as Prefect tasks, so a flow runs the very functions a plain run calls.

Each task is the step function itself, wrapped by Prefect with a name and a retry policy. Retries are
for I/O (a flaky network disk, an object store timing out, a Delta commit losing a race); a
``FacetrackError`` is the input's fault (not a video, a contract breach, a failed gate) and fails at once
with its one-line reason: retrying a corrupt file only triples the time it takes to learn it is corrupt.
Caching is off: a step's inputs are whole videos' worth of arrays (hashing them for a cache key costs
time) and re-running a step must really re-run it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from tasks import pipeline
from tasks.errors import FacetrackError

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State, TaskRun
    from prefect.tasks import Task

P = ParamSpec("P")
R = TypeVar("R")

IO_RETRIES = 2
IO_RETRY_DELAYS: list[float] = [2.0, 10.0]


def io_task(
    name: str, retries: int = IO_RETRIES, retry_delay_seconds: list[float] | None = None
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """The decorator of every step: retry I/O failures, never bad input, never cache."""
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    delays = IO_RETRY_DELAYS if retry_delay_seconds is None else retry_delay_seconds
    decorator: Callable[[Callable[P, R]], Task[P, R]] = task(
        name=name, retries=retries, retry_delay_seconds=delays,
        retry_condition_fn=no_retry_for_bad_input, cache_policy=NO_CACHE,
    )  # fmt: skip
    return decorator


def no_retry_for_bad_input(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry unexpected errors, never a ``FacetrackError``."""
    return not isinstance(state.data, FacetrackError)


# Step → its task. Normalizing is deterministic: a retry would fail the same way. Detection gets one more
# go after a flaky read (a long decode is expensive to repeat twice). The gate never raises on bad data:
# what it raises is the lake's I/O. Steps without a task here (the runs row) are plain calls.
TASKS: dict[Callable[..., Any], Any] = {
    step: decorate(step)
    for step, decorate in (
        (pipeline.prepare_step, io_task("check-lake")),
        (pipeline.probe_step, io_task("probe")),
        (pipeline.hash_step, io_task("content-hash")),
        (pipeline.detect_step, io_task("detect-track", retries=1, retry_delay_seconds=[5.0])),
        (pipeline.normalize_step, io_task("normalize", retries=0)),
        (pipeline.write_json_step, io_task("write-json")),
        (pipeline.validate_step, io_task("validate")),
        (pipeline.publish_step, io_task("publish")),
        (pipeline.redact_step, io_task("redact", retries=1, retry_delay_seconds=[5.0])),
        (pipeline.record_redaction_step, io_task("record-redaction")),
        (pipeline.report_step, io_task("report", retries=0)),
    )
}


def as_tasks(step: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``tasks.pipeline.Steps`` for a flow: each step runs as its Prefect task."""
    task = TASKS.get(step)
    result: R = task(*args, **kwargs) if task is not None else step(*args, **kwargs)
    return result
