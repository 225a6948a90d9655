"""retry_policy: which failures are worth another try.

I/O is (a flaky network disk, an object store timing out, a Delta commit losing a race); a
``FacetrackError`` is not: it says the input (or the request) is wrong, and retrying a corrupt file only
triples the time it takes to learn that it is corrupt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tasks.errors import FacetrackError

if TYPE_CHECKING:
    from prefect.client.schemas.objects import TaskRun
    from prefect.states import State
    from prefect.tasks import Task

IO_RETRIES = 2
IO_RETRY_DELAYS: list[float] = [2.0, 10.0]


def io_task(name: str, retries: int = IO_RETRIES, retry_delay_seconds: list[float] | None = None) -> Any:
    """The decorator every pipeline step uses: retry I/O failures, never bad input, never cache.

    Caching is off because a step's inputs are whole videos' worth of arrays (hashing them for a cache key
    costs time) and re-running a step must really re-run it.
    """
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    delays = IO_RETRY_DELAYS if retry_delay_seconds is None else retry_delay_seconds
    return task(name=name, retries=retries, retry_delay_seconds=delays,
                retry_condition_fn=no_retry_for_bad_input, cache_policy=NO_CACHE)  # fmt: skip


def no_retry_for_bad_input(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry unexpected errors, never a ``FacetrackError``."""
    return not isinstance(state.data, FacetrackError)
