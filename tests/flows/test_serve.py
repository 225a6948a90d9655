"""Serve wiring, runner choice and infra files, checked without a Prefect server or Docker engine."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import threading
from typing import Any

import pytest
import yaml

from flows.runners import RunnerError, make_task_runner
from flows.serve import ServeConfig, ServeError, build_deployments
from tests.support.shared import ROOT

INFRA = os.path.join(ROOT, "infra")
FACETRACK = "import sys; from flows.cli import main; sys.exit(main())"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run(
        [sys.executable, "-c", FACETRACK, *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        cwd=ROOT,
        timeout=120,
    )


def test_help_does_not_import_prefect():
    probe = (
        "import sys\nfrom flows.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('prefect', 'deltalake', 'great_expectations')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "serve" in done.stdout
    assert "LOADED []" in done.stdout


def test_serve_without_a_server_is_one_clear_line(tmp_path):
    done = run_cli("serve", "--inbox", str(tmp_path / "inbox"), "--lake", str(tmp_path / "lake"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "prefect server start" in done.stderr and "PREFECT_API_URL" in done.stderr
    assert not (tmp_path / "lake").exists()


def test_serve_with_an_unreachable_server_is_one_clear_line(tmp_path):
    from tests.support.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/api"
    done = run_cli("serve", "--inbox", str(tmp_path / "in"), env={"PREFECT_API_URL": url})
    assert done.returncode == 2
    assert done.stderr.startswith(f"facetrack: error: no Prefect server answers at {url}")
    assert done.stderr.strip().count("\n") == 0


def test_served_in_process_the_sweep_and_arrivals_are_started_by_serve_not_by_the_server(tmp_path):
    """In-process (the default): no server-side cron for the sweep and no trigger for arrivals (serve
    starts those runs itself, warm); the nightly maintenance keeps its schedule."""
    config = ServeConfig(inbox=str(tmp_path / "inbox"), lake=str(tmp_path / "lake"), cron="*/5 * * * *")
    sweep, arrival, nightly = build_deployments(config)
    assert not sweep.schedules and not arrival.triggers
    assert [s.schedule.cron for s in nightly.schedules] == ["0 3 * * *"]
    assert "*/5 * * * *" in sweep.description
    assert sweep.parameters == config.sweep_parameters()


def test_deployments_schedule_the_sweep_trigger_on_arrival_and_maintain_nightly(tmp_path):
    """With runs in subprocesses (``in_process=False``) the server schedules the sweep and triggers."""
    inbox, lake = str(tmp_path / "inbox"), str(tmp_path / "lake")
    config = ServeConfig(
        inbox=inbox, lake=lake, cron="*/5 * * * *", runner="dask", workers=3, redact="high", in_process=False
    )
    sweep, arrival, nightly = build_deployments(config)

    assert (sweep.name, arrival.name, nightly.name) == ("inbox-sweep", "on-arrival", "nightly")
    assert sweep.entrypoint == "flows.process_inbox.process_inbox"
    assert arrival.entrypoint == "flows.process_video.process_video"
    assert nightly.entrypoint == "flows.maintain_lake.maintain_lake"
    assert [s.schedule.cron for s in sweep.schedules] == ["*/5 * * * *"]
    assert [s.schedule.cron for s in nightly.schedules] == ["0 3 * * *"]
    assert sweep.parameters["runner"] == "dask" and sweep.parameters["workers"] == 3
    assert sweep.parameters["inbox"] == inbox and sweep.parameters["lake"] == lake
    assert sweep.parameters["redact"] == "high"  # serve --redact --blur high: every video redacted
    assert sweep.concurrency_limit == 1 and nightly.concurrency_limit == 1

    (trigger,) = arrival.triggers
    assert trigger.expect == {"facetrack.video.arrived"}
    assert trigger.match.root["facetrack.inbox"] == inbox  # only this inbox's events
    assert trigger.parameters == {
        "video": "{{ event.payload.path }}",
        "inbox": inbox,
        "lake": lake,
        "json_dir": None,
        "redact": "high",
    }
    assert not arrival.schedules


def test_a_bad_cron_is_one_clear_error(tmp_path):
    with pytest.raises(ServeError, match='--cron "every tuesday" is not a cron schedule'):
        build_deployments(ServeConfig(inbox=str(tmp_path), lake=str(tmp_path), cron="every tuesday"))


def test_serve_refusing_a_bad_option_creates_no_inbox(tmp_path, monkeypatch):
    import flows.serve

    monkeypatch.setattr(flows.serve, "require_server", lambda: "http://127.0.0.1:9/api")
    inbox = tmp_path / "inbox"
    with pytest.raises(ServeError, match="not a cron schedule"):
        flows.serve.serve_forever(ServeConfig(inbox=str(inbox), lake=str(tmp_path / "lake"), cron="often"))
    assert not inbox.exists()


def test_the_sweep_clock_starts_a_run_only_when_settled_unclaimed_files_wait(tmp_path, monkeypatch):
    from flows.inbox import folder
    from flows.serve import LocalRuns

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    runs = LocalRuns(ServeConfig(inbox=str(inbox), lake=str(tmp_path / "lake"), sweep_settle_seconds=0))
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(runs, "_sweep", lambda name, skip: started.append((name, skip)))
    assert not runs.sweep_if_needed() and not started  # empty inbox: no run at all

    (inbox / "a.mp4").write_bytes(b"x" * 10)
    (inbox / "notes.txt").write_bytes(b"not a video")
    assert folder.try_claim(str(inbox / "a.mp4"), owner="an arrival run")
    assert not runs.sweep_if_needed()  # claimed by another run: nothing for a sweep
    folder.release_claim(str(inbox / "a.mp4"))
    runs.in_flight.add(str(inbox / "a.mp4"))
    assert not runs.sweep_if_needed()  # queued for an arrival run of this process
    (inbox / "b.mov").write_bytes(b"y" * 10)
    assert runs.sweep_if_needed()
    runs.pool.shutdown(wait=True)
    ((name, skip),) = started
    assert name.startswith("sweep ") and name.endswith(" UTC: 1 waiting")
    assert skip == [str(inbox / "a.mp4")]
    runs.shutdown()


def test_an_arrival_already_in_flight_is_not_run_twice(tmp_path, monkeypatch):
    from flows.inbox import folder
    from flows.serve import LocalRuns

    runs = LocalRuns(ServeConfig(inbox=str(tmp_path), lake=str(tmp_path / "lake")))
    gate, seen = threading.Event(), []

    def fake(path: str) -> None:
        seen.append(path)
        gate.wait(10)
        runs.in_flight.discard(path)

    monkeypatch.setattr(runs, "_arrival", fake)
    video = str(tmp_path / "a.mp4")
    runs.arrived(video, 10)
    runs.arrived(video, 10)  # the watcher announcing a touched file again while its run works
    other = str(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").write_bytes(b"x")
    assert folder.try_claim(other, owner="a sweep's subflow")
    runs.arrived(other, 1)  # claimed by another run: no second run for it
    gate.set()
    runs.pool.shutdown(wait=True)
    assert seen == [video]


def test_an_object_store_inbox_is_served_by_the_sweep(tmp_path):
    sweep, arrival, _nightly = build_deployments(
        ServeConfig(inbox="s3://drop/inbox", lake=str(tmp_path), in_process=False)
    )
    assert sweep.parameters["inbox"] == "s3://drop/inbox"
    assert arrival.triggers[0].match.root["facetrack.inbox"] == "s3://drop/inbox"


def test_served_parameters_are_the_flows_parameters(tmp_path):
    from flows.maintain_lake import maintain_lake
    from flows.process_inbox import process_inbox
    from flows.process_video import process_video

    flows: tuple[Any, ...] = (process_inbox, process_video, maintain_lake)
    for deployment, flow in zip(
        build_deployments(ServeConfig(inbox=str(tmp_path), lake=str(tmp_path))),
        flows,
        strict=True,
    ):
        accepted = set(inspect.signature(flow.fn).parameters)
        given = set(deployment.parameters) | set(*(t.parameters or {} for t in deployment.triggers))
        assert given <= accepted, (deployment.name, given - accepted)


def test_runner_choice():
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    threads = make_task_runner("threads", workers=3)
    assert isinstance(threads, ThreadPoolTaskRunner) and threads._max_workers == 3
    local = make_task_runner("dask", workers=2)
    assert isinstance(local, DaskTaskRunner) and local.cluster_kwargs["n_workers"] == 2
    remote = make_task_runner(dask_address="tcp://10.0.0.5:8786")  # an address implies Dask
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    with pytest.raises(RunnerError, match="unknown runner 'spark'"):
        make_task_runner("spark")
    with pytest.raises(RunnerError, match="at least 1"):
        make_task_runner("threads", workers=0)


def test_compose_file_is_well_formed():
    with open(os.path.join(INFRA, "docker-compose.yml")) as handle:
        compose = yaml.safe_load(handle)
    services = compose["services"]
    assert {"postgres", "prefect-server", "minio", "worker"} <= set(services)
    worker = services["worker"]
    assert worker["build"]["dockerfile"] == "infra/Dockerfile"
    assert worker["command"][:2] == ["facetrack", "serve"]
    assert os.path.isfile(os.path.join(INFRA, worker["build"]["context"], worker["build"]["dockerfile"]))


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_config_validates():
    done = subprocess.run(
        ["docker-compose", "-f", os.path.join(INFRA, "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_kubernetes_deployments_match_the_flows():
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger

    from flows.maintain_lake import maintain_lake
    from flows.process_inbox import process_inbox
    from flows.process_video import process_video

    flows: dict[str, Any] = {
        "flows/process_inbox.py:process_inbox": process_inbox,
        "flows/process_video.py:process_video": process_video,
        "flows/maintain_lake.py:maintain_lake": maintain_lake,
    }
    with open(os.path.join(INFRA, "k8s", "prefect.yaml")) as handle:
        project = yaml.safe_load(handle)
    for deployment in project["deployments"]:
        flow = flows[deployment["entrypoint"]]
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(deployment.get("parameters", {})) <= accepted
        for raw in deployment.get("triggers", []):
            trigger = DeploymentEventTrigger(**{k: v for k, v in raw.items() if k != "type"})
            assert set(trigger.parameters or {}) <= accepted
        assert deployment["work_pool"]["name"] == "facetrack-k8s"
    with open(os.path.join(INFRA, "k8s", "worker.yaml")) as handle:
        kinds = [doc["kind"] for doc in yaml.safe_load_all(handle)]
    assert kinds == ["ServiceAccount", "Role", "RoleBinding", "Deployment"]


# --- the flows' helpers, without a server ------------------------------------------------------------


def test_a_failed_runs_data_is_an_exception_that_carries_the_outcome():
    import pickle

    from flows.process_video import VideoFailed, outcome_of
    from tasks.pipeline import VideoOutcome
    from tasks.status import VideoStatus

    outcome = VideoOutcome(
        "/in/bad.mp4", VideoStatus.FAILED, error="bad.mp4: not a readable video", exit_code=2
    )
    failure = VideoFailed(outcome.error_line(), outcome.to_dict())
    again = pickle.loads(pickle.dumps(failure))  # crosses Dask workers
    assert str(again) == "bad.mp4: not a readable video" and again.exit_code == 2
    assert outcome_of(again) == outcome.to_dict() == outcome_of(outcome.to_dict())
    assert outcome_of(RuntimeError("boom")) is None


def test_the_engines_traceback_is_dropped_for_facetrack_errors_only():
    import logging

    from flows.process_video import VideoFailed, quiet_engine_tracebacks

    quiet_engine_tracebacks()
    quiet_engine_tracebacks()  # idempotent
    logger = logging.getLogger("prefect.flow_runs")
    assert len(logger.filters) == len(set(map(type, logger.filters)))

    def record(error: BaseException) -> logging.LogRecord:
        return logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "Engine execution exited with unexpected exception",
            (), (type(error), error, None),
        )  # fmt: skip

    assert not logger.filter(record(VideoFailed("bad.mp4: not a readable video", {})))
    assert logger.filter(record(RuntimeError("a bug keeps its traceback")))


def test_artifact_keys_are_file_name_and_id_in_prefects_alphabet():
    from flows.process_video import artifact_key, video_artifact_markdown
    from tasks.pipeline import VideoOutcome
    from tasks.status import VideoStatus

    outcome = VideoOutcome(
        "/in/Lobby Cam_2.MP4", VideoStatus.PUBLISHED, video_id="3f2a9c01b2d4" + "0" * 52, frames=50,
        fps=25.0, faces=2, events=3, validation="passed", json_path="/lake/json/x.faces.json",
        redacted_path="s3://out/x.redacted.mp4", lake="/lake",
    )  # fmt: skip
    assert artifact_key(outcome) == "lobby-cam-2-mp4-3f2a9c01b2d4"
    assert artifact_key(VideoOutcome("/in/bad.mp4")) is None  # no id yet: an unkeyed card
    faces = [
        {
            "face_id": 1,
            "first_seconds": 0.0,
            "last_seconds": 1.5,
            "screen_seconds": 1.2,
            "mean_confidence": 0.9,
        },
        {
            "face_id": 2,
            "first_seconds": 0.4,
            "last_seconds": 2.0,
            "screen_seconds": 1.6,
            "mean_confidence": 0.8,
        },
    ]
    card = video_artifact_markdown(outcome, faces)
    assert card.startswith("## Lobby Cam_2.MP4: published")
    assert "[x.faces.json](file:///lake/json/x.faces.json)" in card
    assert "[x.redacted.mp4](s3://out/x.redacted.mp4)" in card
    assert "| 2 | 0.40 | 2.00 | 1.60 | 0.800 |" in card


def test_the_parent_run_of_facetrack_run_is_named_after_its_videos():
    from flows.process_videos import batch_run_name

    assert batch_run_name(["/a/one.mp4"]) == "run 1 video: one.mp4"
    assert batch_run_name([f"/v/{c}.mp4" for c in "abcd"]) == "run 4 videos: a.mp4, b.mp4, c.mp4, …"


def test_prefects_console_is_quiet_meanwhile_and_restored_after():
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    from flows.process_videos import quiet_prefect_console

    consoles = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    assert consoles, "Prefect configured its console handler on import"
    before = [h.level for h in consoles]
    with quiet_prefect_console():
        assert all(h.level >= logging.WARNING for h in consoles)
    assert [h.level for h in consoles] == before
