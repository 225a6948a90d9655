"""serve: the three facetrack deployments, served from one long-running process.

- ``inbox-sweep`` runs ``process_inbox`` on a cron schedule: the backlog, files that arrived while nothing
  was watching, and object-storage inboxes (which have no notifications to watch).
- ``on-arrival`` runs ``process_video`` for each ``facetrack.video.arrived`` event; the watcher thread
  started here emits one per complete video dropped in the inbox, so a file is processed seconds after
  its copy finishes. The event's resource carries the inbox path as a label and the trigger matches on
  it, so two ``serve`` processes on two inboxes never start each other's runs.
- ``nightly`` runs ``maintain_lake``.

Schedules and triggers live on the Prefect server (``prefect server start``): Prefect's ephemeral mode
cannot schedule, so ``serve`` refuses to start without ``PREFECT_API_URL``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tasks.errors import FacetrackError

DEFAULT_CRON = "*/10 * * * *"
DEFAULT_MAINTENANCE_CRON = "0 3 * * *"


class ServeError(FacetrackError):
    """``facetrack serve`` cannot start: no server configured or reachable, or a bad option."""


@dataclass(frozen=True)
class ServeConfig:
    inbox: str
    lake: str
    cron: str = DEFAULT_CRON
    maintenance_cron: str = DEFAULT_MAINTENANCE_CRON
    watch: bool = True
    settle_seconds: float = 2.0  # watcher: quiet time before a file counts as complete
    sweep_settle_seconds: float = 10.0  # cron sweep: minimum age of a file's last write
    runner: str = "threads"
    workers: int = 2
    dask_address: str | None = None
    limit: int = 4  # flow runs this process executes at once
    json_dir: str | None = None
    name_suffix: str = ""  # tests and multi-inbox hosts: keeps deployment names apart


def build_deployments(config: ServeConfig) -> list[Any]:
    """The RunnerDeployments for ``serve()``; flows are referenced by module so runs re-import them."""
    from prefect.schedules import Cron

    for option, cron in (("--cron", config.cron), ("--maintenance-cron", config.maintenance_cron)):
        try:
            Cron(cron)
        except ValueError:
            raise ServeError(f'{option} "{cron}" is not a cron schedule (e.g. "*/10 * * * *")') from None
    return _deployments(config)


def _deployments(config: ServeConfig) -> list[Any]:
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
    from prefect.types.entrypoint import EntrypointType

    from flows.inbox.watcher import ARRIVAL_EVENT, INBOX_LABEL, RESOURCE_PREFIX
    from flows.maintain_lake import maintain_lake
    from flows.process_inbox import process_inbox
    from flows.process_video import process_video
    from tasks.lake.store import is_uri

    inbox = config.inbox if is_uri(config.inbox) else os.path.abspath(config.inbox)
    common = {"lake": config.lake, "json_dir": config.json_dir}
    arrival = DeploymentEventTrigger(
        name=f"facetrack video arrived in {inbox}",
        expect={ARRIVAL_EVENT},
        match={"prefect.resource.id": f"{RESOURCE_PREFIX}*", INBOX_LABEL: inbox},
        parameters={"video": "{{ event.payload.path }}", "inbox": inbox, **common},
    )
    suffix = config.name_suffix
    return [
        process_inbox.to_deployment(
            name=f"inbox-sweep{suffix}",
            cron=config.cron,
            parameters={
                "inbox": inbox,
                "settle_seconds": config.sweep_settle_seconds,
                "runner": config.runner,
                "workers": config.workers,
                "dask_address": config.dask_address,
                **common,
            },
            description=f"Process new videos in {inbox}, deduplicated by content hash.",
            concurrency_limit=1,  # a sweep outlasting the cron interval is not overlapped by the next
            tags=["facetrack"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        process_video.to_deployment(
            name=f"on-arrival{suffix}",
            parameters={"inbox": inbox, **common},
            triggers=[arrival],
            description=f"One video, started by {ARRIVAL_EVENT} from the watcher on {inbox}.",
            tags=["facetrack"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        maintain_lake.to_deployment(
            name=f"nightly{suffix}",
            cron=config.maintenance_cron,
            parameters={"lake": config.lake},
            description="Compact, z-order, vacuum and checkpoint the lake's tables.",
            concurrency_limit=1,
            tags=["facetrack"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
    ]


def require_server() -> str:
    """The configured API URL, after checking that a server answers there."""
    import urllib.request

    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ServeError(
            "serve needs a Prefect server for its schedules and triggers: run `prefect server start` "
            "and set PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=10):
            pass
    except Exception as exc:
        raise ServeError(f"no Prefect server answers at {url} ({exc})") from None
    return str(url)


def serve_forever(config: ServeConfig) -> None:
    """Register the deployments, start the inbox watcher, and run flows until interrupted."""
    from prefect import serve

    from flows.inbox.watcher import start_watcher_thread
    from tasks.lake.store import is_uri

    if config.workers < 1 or config.limit < 1:
        raise ServeError("--workers and --limit must be at least 1")
    require_server()
    local_inbox = not is_uri(config.inbox)
    if local_inbox:
        os.makedirs(config.inbox, exist_ok=True)
    deployments = build_deployments(config)
    stop = None
    if config.watch and local_inbox:  # object stores have nothing to watch: the cron sweep is arrival
        _thread, stop = start_watcher_thread(config.inbox, config.settle_seconds)
    try:
        serve(*deployments, limit=config.limit, print_starting_message=True)
    finally:
        if stop is not None:
            stop.set()
