"""serve: the three facetrack deployments, served from one long-running process.

- ``on-arrival`` runs ``process_video`` for each complete video dropped in the inbox (the watcher thread
  started here sees it settle), so a file is processed seconds after its copy finishes.
- ``inbox-sweep`` runs ``process_inbox`` every ``--cron`` tick: the backlog, files that arrived while
  nothing was watching, and object-storage inboxes (which have no notifications to watch).
- ``nightly`` runs ``maintain_lake`` on its cron schedule.

In-process (the default, ``ServeConfig.in_process``): arrivals and sweeps run in a thread pool of this
process, which stays warm (Great Expectations imported, modules loaded), instead of a fresh
``python -m prefect.engine`` per run that imports everything again (10-15 s). Each run is still created
on the server from its deployment (named after its file, or the sweep's time and counts), so the UI shows
it under the deployment as before. A cron tick starts a sweep run only when the inbox holds settled
files nobody is working on: an empty inbox makes no runs. The server-side cron and the
``facetrack.video.arrived`` trigger are what ``in_process=False`` uses instead (each run a subprocess).

Schedules and triggers live on the Prefect server (``prefect server start``): Prefect's ephemeral mode
cannot schedule, so ``serve`` refuses to start without ``PREFECT_API_URL``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
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
    redact: str | None = None  # a blur kind: also write every video with its faces hidden
    name_suffix: str = ""  # tests and multi-inbox hosts: keeps deployment names apart
    in_process: bool = True  # arrivals and sweeps run in this process's threads, not a subprocess each

    @property
    def inbox_path(self) -> str:
        from tasks.lake.store import is_uri

        return self.inbox.rstrip("/") if is_uri(self.inbox) else os.path.abspath(self.inbox)

    def common_parameters(self) -> dict[str, Any]:
        return {"lake": self.lake, "json_dir": self.json_dir, "redact": self.redact}

    def sweep_parameters(self) -> dict[str, Any]:
        return {
            "inbox": self.inbox_path,
            "settle_seconds": self.sweep_settle_seconds,
            "runner": self.runner,
            "workers": self.workers,
            "dask_address": self.dask_address,
            **self.common_parameters(),
        }


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

    inbox = config.inbox_path
    common = config.common_parameters()
    arrival = DeploymentEventTrigger(
        name=f"facetrack video arrived in {inbox}",
        expect={ARRIVAL_EVENT},
        match={"prefect.resource.id": f"{RESOURCE_PREFIX}*", INBOX_LABEL: inbox},
        parameters={"video": "{{ event.payload.path }}", "inbox": inbox, **common},
    )
    suffix = config.name_suffix
    local = config.in_process  # this process starts the runs itself: no server-side cron or trigger
    when = f"every `{config.cron}` tick that finds settled files" if local else f"on `{config.cron}`"
    return [
        process_inbox.to_deployment(
            name=f"inbox-sweep{suffix}",
            cron=None if local else config.cron,
            parameters=config.sweep_parameters(),
            description=f"Process new videos in {inbox} ({when}), deduplicated by content hash.",
            concurrency_limit=1,  # a sweep outlasting the cron interval is not overlapped by the next
            tags=["facetrack"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        process_video.to_deployment(
            name=f"on-arrival{suffix}",
            parameters={"inbox": inbox, **common},
            triggers=None if local else [arrival],
            description=f"One video, started when its copy into {inbox} completes.",
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
    """Register the deployments, start the inbox watcher, and run flows until interrupted.

    Everything that can refuse (options, cron strings, the server) is checked before anything is
    created on disk."""
    from prefect import serve

    from flows.inbox.watcher import start_watcher_thread
    from tasks.lake.store import is_uri

    if config.workers < 1 or config.limit < 1:
        raise ServeError("--workers and --limit must be at least 1")
    require_server()
    deployments = build_deployments(config)
    local_inbox = not is_uri(config.inbox)
    if local_inbox:
        os.makedirs(config.inbox, exist_ok=True)
    stop = threading.Event()
    runs = LocalRuns(config) if config.in_process else None
    if runs is not None:
        runs.warm_up()
        threading.Thread(
            target=sweep_on_cron, args=(config.cron, runs, stop), name="facetrack-sweep-clock", daemon=True
        ).start()
    if config.watch and local_inbox:  # object stores have nothing to watch: the cron sweep is arrival
        on_stable = runs.arrived if runs is not None else None
        _thread, watcher_stop = start_watcher_thread(config.inbox, config.settle_seconds, on_stable)
        stop_watcher: Callable[[], None] = watcher_stop.set
    else:
        stop_watcher = stop.set
    try:
        serve(*deployments, limit=config.limit, print_starting_message=True)
    finally:
        stop.set()
        stop_watcher()
        if runs is not None:
            runs.shutdown()


def _console() -> Any:
    from prefect.logging import get_logger

    return get_logger("facetrack.serve")  # Prefect's console handler: shown among the run logs


class LocalRuns:
    """Flow runs of the served deployments, created on the server and executed in this process.

    At most ``config.limit`` at once (a thread pool); a file is never handed to two runs by this
    process (``in_flight``), and a sweep never overlaps the previous one."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.pool = ThreadPoolExecutor(max_workers=config.limit, thread_name_prefix="facetrack-run")
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()
        self.sweeping = False
        self.running: set[Any] = set()  # ids of the flow runs executing here now
        self._deployment_ids: dict[str, Any] = {}

    def warm_up(self) -> None:
        """Import the flows and Great Expectations and load the default models now, in the background,
        not in the first run."""

        def load() -> None:
            try:
                import flows.process_inbox  # noqa: F401  (the pipeline, the detector's modules, the lake)
                from tasks.detect.detect_track import cached_detector, cached_embedder
                from tasks.settings import DetectorSettings
                from tasks.validate.suites import warm_up

                gx = warm_up()
                cached_detector(DetectorSettings().input_size)
                cached_embedder()
                gx.join()
            except Exception as exc:  # the first run then pays for it, and reports what is wrong
                _console().warning("warm-up incomplete: %s", exc)

        threading.Thread(target=load, name="facetrack-warm-up", daemon=True).start()

    def arrived(self, path: str, size: int) -> None:
        """The watcher's callback: one ``on-arrival`` run for the file, unless one is already on it."""
        from flows.inbox.folder import is_claimed

        path = os.path.abspath(path)
        with self.lock:
            if path in self.in_flight or is_claimed(path):  # a sweep's subflow has it already
                return
            self.in_flight.add(path)
        _console().info("%s arrived complete (%d bytes): starting its run", os.path.basename(path), size)
        self.pool.submit(self._arrival, path)

    def _arrival(self, path: str) -> None:
        from flows.process_video import process_video

        try:
            parameters = {"video": path, "inbox": self.config.inbox_path, **self.config.common_parameters()}
            self.run(process_video, "on-arrival", parameters, os.path.basename(path))
        finally:
            with self.lock:
                self.in_flight.discard(path)

    def sweep_if_needed(self) -> bool:
        """A cron tick: start a sweep run only if settled files wait that no run is working on."""
        from flows.process_inbox import pending_videos

        with self.lock:
            if self.sweeping:
                return False
            skip = sorted(self.in_flight)
        try:
            pending = pending_videos(self.config.inbox_path, self.config.sweep_settle_seconds, skip)
        except FacetrackError as exc:
            _console().warning("inbox sweep: %s", exc)
            return False
        if not pending:
            return False
        with self.lock:
            if self.sweeping:
                return False
            self.sweeping = True
        name = f"sweep {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC: {len(pending)} waiting"
        self.pool.submit(self._sweep, name, skip)
        return True

    def _sweep(self, name: str, skip: list[str]) -> None:
        from flows.process_inbox import process_inbox

        try:
            self.run(process_inbox, "inbox-sweep", {**self.config.sweep_parameters(), "skip": skip}, name)
        finally:
            with self.lock:
                self.sweeping = False

    def run(self, flow: Any, deployment: str, parameters: dict[str, Any], name: str) -> Any:
        """Create the run from the deployment (Pending, so the runner does not pick it up too) and run it
        here. Returns its final state; a run that fails has already logged its one line."""
        from prefect.client.orchestration import get_client
        from prefect.flow_engine import run_flow
        from prefect.states import Pending

        full_name = f"{flow.name}/{deployment}{self.config.name_suffix}"
        try:
            with get_client(sync_client=True) as client:
                deployment_id = self._deployment_id(client, full_name)
                flow_run = client.create_flow_run_from_deployment(
                    deployment_id, parameters=parameters, state=Pending(), name=name, tags=["facetrack"]
                )
            with self.lock:
                self.running.add(flow_run.id)
            try:
                return run_flow(flow, flow_run=flow_run, return_type="state")
            finally:
                with self.lock:
                    self.running.discard(flow_run.id)
        except Exception as exc:  # the server went away, a bug: this run, not the serve process
            _console().error("%s: could not run: %s", name, exc, exc_info=not isinstance(exc, OSError))
            return None

    def _deployment_id(self, client: Any, name: str, timeout: float = 60.0) -> Any:
        """The deployment's id; ``serve()`` registers them just after start-up, so wait for it."""
        from prefect.exceptions import ObjectNotFound

        if name in self._deployment_ids:
            return self._deployment_ids[name]
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = client.read_deployment_by_name(name).id
                break
            except ObjectNotFound:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self._deployment_ids[name] = found
        return found

    def shutdown(self, grace_seconds: float = 10.0) -> None:
        """Stop taking work, give the runs executing here ``grace_seconds`` to end, and mark those still
        going Crashed (as Prefect's runner does for its subprocesses), so the UI does not show them
        Running forever."""
        from prefect.client.orchestration import get_client
        from prefect.states import Crashed

        self.pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_seconds
        while True:
            with self.lock:
                running = list(self.running)
            if not running:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        try:
            with get_client(sync_client=True) as client:
                for flow_run_id in running:
                    client.set_flow_run_state(
                        flow_run_id, Crashed(message="facetrack serve stopped while it ran"), force=True
                    )
        except Exception as exc:  # the server may be gone too
            _console().warning("could not mark %d interrupted run(s) Crashed: %s", len(running), exc)


def sweep_on_cron(cron: str, runs: LocalRuns, stop: threading.Event, first_after: float = 5.0) -> None:
    """Look at the inbox once shortly after start-up (the backlog), then at every cron tick."""
    if stop.wait(first_after):
        return
    while not stop.is_set():
        try:
            runs.sweep_if_needed()
        except Exception:  # one bad look must not stop the clock
            _console().exception("inbox sweep could not start")
        now = datetime.now(UTC)
        if stop.wait(max(0.5, (next_tick(cron, now) - now).total_seconds())):
            return


def next_tick(cron: str, after: datetime) -> datetime:
    """The cron schedule's first time after ``after`` (the croniter that Prefect's schedules use)."""
    from prefect._vendor.croniter.croniter import croniter

    following: datetime = croniter(cron, after).get_next(datetime)  # type: ignore[no-untyped-call]
    return following
