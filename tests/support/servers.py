"""Real servers for tests, on 127.0.0.1 and free ports: a Prefect server and an S3 emulator.

Prefect: ``prefect server start`` with a throwaway home. Not ``prefect_test_harness``: schedules,
automations and deployment triggers need the server's background services, which only a real server
runs, and one server serves every flow test of a module. Analytics are off: its heartbeat is what locked
SQLite here ("database is locked").

S3: moto's server in its own process. A separate process, not a thread: delta-rs holds the GIL while it
waits on S3, so a server thread in the test process would never answer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

START_TIMEOUT = 90.0
MOTO_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(home: str, api_url: str | None = None) -> dict[str, str]:
    """Environment for a server or client process of the test server, isolated from the user's Prefect."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=home,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_LOGGING_LEVEL="INFO",
        PREFECT_RUNNER_POLL_FREQUENCY="1",  # served deployments pick triggered runs up within a second
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


@dataclass
class PrefectServer:
    process: subprocess.Popen[bytes]
    api_url: str
    home: str
    log_path: str

    def stop(self) -> None:
        stop_process_group(self.process)


def start_server(home: str) -> PrefectServer:
    os.makedirs(home, exist_ok=True)
    port = free_port()
    log_path = os.path.join(home, "server.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=prefect_env(home),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    api_url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited with {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2):
                return PrefectServer(process, api_url, home, log_path)
        except OSError:
            time.sleep(0.3)
    stop_process_group(process)
    raise RuntimeError(f"prefect server did not answer within {START_TIMEOUT:.0f} s; see {log_path}")


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the group this test started, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # children left behind in the group (flow runs)
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def moto_server() -> Iterator[str]:
    """Start the server, wait until it answers, yield its endpoint URL, stop it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + MOTO_START_TIMEOUT
    try:
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)


def use_s3(monkeypatch: Any, endpoint: str, bucket: str) -> Any:
    """Point this test's AWS environment at the emulator, create ``bucket``, and return a boto3 client."""
    import boto3

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    return client
