"""runners: where the per-video work of a batch runs — threads here, or Dask workers on this or other hosts.

Chosen per flow run from plain parameters (``runner``, ``dask_address``, ``workers``) rather than fixed
in the ``@flow`` decorator, because served deployments load the flow fresh in a subprocess: only its
parameters travel with a scheduled or triggered run, so that is where the choice has to live.

- ``threads`` (default): a thread pool in the flow's own process. Detection releases the GIL in
  onnxruntime and PyAV, so two or three videos at once still use the cores of one machine.
- ``dask``: a ``LocalCluster`` of ``workers`` processes (started with spawn: forking after deltalake or
  Polars ran hangs), or an existing cluster at ``dask_address`` (``tcp://scheduler:8786``) whose workers
  run the ``infra/`` image. Each video runs whole on one worker; the lake's commit retries keep
  concurrent publishes correct.
- ``ray``: optional, needs ``prefect-ray`` installed.
"""

from __future__ import annotations

from typing import Any

from tasks.errors import FacetrackError

RUNNER_KINDS: tuple[str, ...] = ("threads", "dask", "ray")


class RunnerError(FacetrackError):
    """The requested task runner cannot be set up (unknown kind, missing package)."""


def make_task_runner(runner: str = "threads", workers: int = 2, dask_address: str | None = None) -> Any:
    """A fresh, unstarted task runner: ``with make_task_runner(...) as runner: runner.submit(...)``."""
    if dask_address and runner == "threads":
        runner = "dask"  # an address only makes sense for Dask
    if workers < 1:
        raise RunnerError(f"workers must be at least 1, got {workers}")
    if runner == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers)
    if runner == "dask":
        return _dask_runner(workers, dask_address)
    if runner == "ray":
        try:
            from prefect_ray import RayTaskRunner
        except ImportError:
            raise RunnerError("the ray runner needs prefect-ray: uv pip install prefect-ray") from None
        return RayTaskRunner()
    raise RunnerError(f"unknown runner {runner!r}: choose one of {', '.join(RUNNER_KINDS)}")


def _dask_runner(workers: int, address: str | None) -> Any:
    import dask
    from prefect_dask.task_runners import DaskTaskRunner

    # Spawned workers start clean; forked ones inherit deltalake/Polars thread pools and can hang.
    dask.config.set({"distributed.worker.multiprocessing-method": "spawn"})
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,  # one video per worker process at a time: detection is CPU bound
            "processes": True,
            "dashboard_address": None,  # no web server nobody asked for
        }
    )
