"""Serve wiring, runner choice and infra files, checked without a Prefect server or Docker engine."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
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


def test_deployments_schedule_the_sweep_trigger_on_arrival_and_maintain_nightly(tmp_path):
    inbox, lake = str(tmp_path / "inbox"), str(tmp_path / "lake")
    config = ServeConfig(inbox=inbox, lake=lake, cron="*/5 * * * *", runner="dask", workers=3)
    sweep, arrival, nightly = build_deployments(config)

    assert (sweep.name, arrival.name, nightly.name) == ("inbox-sweep", "on-arrival", "nightly")
    assert sweep.entrypoint == "flows.process_inbox.process_inbox"
    assert arrival.entrypoint == "flows.process_video.process_video"
    assert nightly.entrypoint == "flows.maintain_lake.maintain_lake"
    assert [s.schedule.cron for s in sweep.schedules] == ["*/5 * * * *"]
    assert [s.schedule.cron for s in nightly.schedules] == ["0 3 * * *"]
    assert sweep.parameters["runner"] == "dask" and sweep.parameters["workers"] == 3
    assert sweep.parameters["inbox"] == inbox and sweep.parameters["lake"] == lake
    assert sweep.concurrency_limit == 1 and nightly.concurrency_limit == 1

    (trigger,) = arrival.triggers
    assert trigger.expect == {"facetrack.video.arrived"}
    assert trigger.match.root["facetrack.inbox"] == inbox  # only this inbox's events
    assert trigger.parameters == {
        "video": "{{ event.payload.path }}",
        "inbox": inbox,
        "lake": lake,
        "json_dir": None,
    }
    assert not arrival.schedules


def test_a_bad_cron_is_one_clear_error(tmp_path):
    with pytest.raises(ServeError, match='--cron "every tuesday" is not a cron schedule'):
        build_deployments(ServeConfig(inbox=str(tmp_path), lake=str(tmp_path), cron="every tuesday"))


def test_an_object_store_inbox_is_served_by_the_sweep(tmp_path):
    sweep, arrival, _nightly = build_deployments(ServeConfig(inbox="s3://drop/inbox", lake=str(tmp_path)))
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
