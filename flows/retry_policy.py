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


def no_retry_for_bad_input(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry unexpected errors, never a ``FacetrackError``."""
    return not isinstance(state.data, FacetrackError)
