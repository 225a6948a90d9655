"""The flows on a real Prefect server: one video, an inbox sweep with a corrupt file, Dask scale-out, and
videos arriving in a served inbox (watcher → event → trigger → flow run → rows in the lake).

One server for the whole module (starting one costs ~13 s); everything else is real too: generated
H.264 files, Delta tables on disk, Dask worker processes, ``facetrack serve`` in a subprocess.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from fractions import Fraction
from typing import Any
from uuid import UUID

import pytest

from tests.support.media import write_video
from tests.support.servers import PrefectServer, prefect_env, start_server, stop_process_group

pytestmark = pytest.mark.slow

FACETRACK = "import sys; from flows.cli import main; sys.exit(main())"  # the CLI, from this interpreter


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """The server, and Prefect settings pointing at it for this module's tests only (no env leak)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings

    server = start_server(str(tmp_path_factory.mktemp("prefect-home")))
    try:
        with temporary_settings(
            updates={PREFECT_API_URL: server.api_url, PREFECT_SERVER_ANALYTICS_ENABLED: False}
        ):
            yield server
            _drain_prefect_workers()
    finally:
        server.stop()


def _drain_prefect_workers() -> None:
    """Send queued logs and events while the server is still up (not at exit, to a server long gone)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    EventsWorker.drain_all(timeout=10)


def clip(path: os.PathLike[str] | str, frames: int = 12, faces: bool = True) -> str:
    """A tiny real video; the frame count makes contents (and so video_ids) differ."""
    return write_video(path, frames=frames, fps=Fraction(25), width=320, height=240, faces=faces)


def corrupt(path: os.PathLike[str] | str) -> str:
    with open(path, "wb") as handle:
        handle.write(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 200)
    return os.fspath(path)


def lake_rows(lake: str, table: str) -> list[dict]:
    from deltalake import DeltaTable

    path = os.path.join(lake, table)
    if not DeltaTable.is_deltatable(path):
        return []
    return DeltaTable(path).to_pyarrow_table().to_pylist()


def sha256(path: str) -> str:
    from tasks.video.content_id import video_id

    return video_id(path)


def assert_published_once(lake: str, ids: list[str]) -> None:
    videos = lake_rows(lake, "videos")
    assert sorted(r["video_id"] for r in videos) == sorted(ids)
    assert all(r["status"] == "published" for r in videos)
    events = lake_rows(lake, "face_events")
    keys = [(r["video_id"], r["face_id"], r["frame_index"]) for r in events]
    assert len(keys) == len(set(keys)), "duplicated face events"
    for row in videos:
        assert sum(1 for k in keys if k[0] == row["video_id"]) == row["event_count"]


def test_process_video_flow_writes_json_rows_and_artifact_then_maintenance_runs(prefect_api, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.maintain_lake import maintain_lake
    from flows.process_video import process_video

    video = clip(tmp_path / "one.mp4")
    lake = str(tmp_path / "lake")
    state = process_video(video=video, lake=lake, return_state=True)
    assert state.is_completed(), state.message
    outcome = state.result()
    assert outcome["status"] == "published" and outcome["frames"] == 12 and outcome["faces"] >= 1
    assert os.path.isfile(outcome["json_path"]) and outcome["json_path"].startswith(lake)
    assert_published_once(lake, [sha256(video)])
    assert {r["run_id"] for r in lake_rows(lake, "videos")} == {outcome["flow_run_id"]}

    assert [(r["run_id"], r["status"]) for r in lake_rows(lake, "runs")] == [
        (outcome["flow_run_id"], "succeeded")
    ]

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(outcome["flow_run_id"]))
        assert run.name == "one.mp4"
        (card,) = client.read_artifacts(artifact_filter=_artifacts_of(outcome["flow_run_id"]))
    assert card.key == f"one-mp4-{outcome['video_id'][:12]}"  # the file's name and content id
    assert card.type == "markdown" and card.description.startswith("one.mp4 · ")
    assert f"(file://{outcome['json_path']})" in card.data  # a link to the JSON
    faces = {r["face_id"]: r for r in lake_rows(lake, "faces")}
    assert len(faces) == outcome["faces"]
    first = faces[min(faces)]
    assert (
        f"| {first['face_id']} | {first['first_seconds']:.2f} | {first['last_seconds']:.2f} "
        f"| {first['screen_seconds']:.2f} | {first['mean_confidence']:.3f} |"
    ) in card.data  # the per-face table

    report = maintain_lake(lake=lake)
    assert set(report["checkpoint"]) >= {"videos", "face_events", "faces", "fragments", "shots"}
    assert_published_once(lake, [sha256(video)])


def test_the_flow_redacts_as_a_task_and_records_the_copy(prefect_api, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.process_video import process_video

    video = clip(tmp_path / "redact-me.mp4", frames=14)
    lake = str(tmp_path / "lake")
    state = process_video(video=video, lake=lake, redact="black", return_state=True)
    assert state.is_completed(), state.message
    outcome = state.result()
    assert outcome["redacted_path"].endswith(f"redact-me.{outcome['video_id'][:12]}.redacted.mp4")
    assert os.path.isfile(outcome["redacted_path"])
    assert outcome["report_path"] == outcome["json_path"].removesuffix(".faces.json") + ".report.html"
    assert os.path.basename(outcome["redacted_path"]) in _read(outcome["report_path"]).decode()  # linked
    (row,) = lake_rows(lake, "redactions")
    assert (row["video_id"], row["output_uri"], row["blur"]) == (
        outcome["video_id"],
        outcome["redacted_path"],
        "black",
    )
    assert row["run_id"] == outcome["flow_run_id"]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(outcome["flow_run_id"])]))
        )
    names = {run.name.rsplit("-", 1)[0] for run in runs}
    assert {"publish", "redact", "record-redaction", "report"} <= names, names

    refused = process_video(video=video, lake=lake, redact="smudge", return_state=True)
    kinds = "low, med, high, box, black, mosaic"
    assert refused.is_failed()
    assert f"the redact parameter must be one of {kinds}; got 'smudge'" in str(refused.message)


def test_a_flow_run_and_a_plain_run_write_the_same_json_and_rows(prefect_api, tmp_path):
    """One step list: the same video through the Prefect flow and through the plain pipeline gives the
    same JSON under the same name, and the same rows (bar what says which run, when and how fast)."""
    from flows.process_video import process_video
    from tasks.pipeline import run_videos

    video = clip(tmp_path / "same.mp4", frames=14)
    plain_lake, flow_lake = str(tmp_path / "plain"), str(tmp_path / "flow")
    (plain,) = run_videos([video], plain_lake).videos
    state = process_video(video=video, lake=flow_lake, return_state=True)
    assert state.is_completed(), state.message
    flowed = state.result()
    assert plain.status == flowed["status"] == "published"
    name = f"same.{sha256(video)[:12]}.faces.json"
    assert plain.json_path == os.path.join(plain_lake, "json", name)
    assert flowed["json_path"] == os.path.join(flow_lake, "json", name)
    assert _read(plain.json_path) == _read(flowed["json_path"])
    per_run = {"run_id", "processed_at", "elapsed_seconds", "processing_fps", "json_path"}
    for table in ("videos", "face_events", "faces", "fragments", "shots"):
        plain_rows, flow_rows = (
            sorted(
                ({k: v for k, v in row.items() if k not in per_run} for row in lake_rows(lake, table)),
                key=str,
            )
            for lake in (plain_lake, flow_lake)
        )
        assert plain_rows == flow_rows and plain_rows, table


def test_bad_input_fails_fast_with_its_reason_and_writes_nothing(prefect_api, tmp_path):
    from flows.process_video import process_video

    lake = str(tmp_path / "lake")
    state = process_video(video=corrupt(tmp_path / "broken.mp4"), lake=lake, return_state=True)
    assert state.is_failed()
    message = state.message or ""
    assert message.startswith("broken.mp4: not a readable video") and "\n" not in message
    assert not os.path.exists(os.path.join(lake, "json"))
    assert lake_rows(lake, "videos") == []


def test_a_deployment_run_of_a_corrupt_file_logs_one_line_and_no_traceback(prefect_api, tmp_path):
    """What ``serve`` runs when a run is started from the UI (or with ``in_process=False``): a fresh
    ``python -m prefect.engine`` process. A bad file ends Failed with its reason in one log line."""
    from prefect.client.orchestration import get_client
    from prefect.types.entrypoint import EntrypointType

    from flows.process_video import process_video

    lake = str(tmp_path / "lake")
    video = corrupt(tmp_path / "broken.mp4")
    deployment_id = process_video.to_deployment(
        name="engine-test", parameters={"lake": lake}, entrypoint_type=EntrypointType.MODULE_PATH
    ).apply()
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(deployment_id, parameters={"video": video})
    env = prefect_env(prefect_api.home, prefect_api.api_url)
    done = subprocess.run([sys.executable, "-m", "prefect.engine", str(flow_run.id)], capture_output=True,
                          text=True, env=env, timeout=240, cwd=os.getcwd())  # fmt: skip
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "Engine execution exited" not in output, output
    errors = [line for line in output.splitlines() if "| ERROR" in line and "Flow run" in line]
    assert len(errors) == 1 and "broken.mp4: not a readable video" in errors[0], output  # + the probe task's
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run.id)
    assert run.state.is_failed() and run.state.message.startswith("broken.mp4: not a readable video")
    assert run.name == "broken.mp4"


def test_inbox_sweep_isolates_a_corrupt_file_and_skips_known_content(prefect_api, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.process_inbox import process_inbox

    inbox, lake = tmp_path / "inbox", str(tmp_path / "lake")
    inbox.mkdir()
    good = [clip(inbox / "a.mp4", frames=10), clip(inbox / "b.mov", frames=14)]
    ids = [sha256(p) for p in good]
    corrupt(inbox / "c.mp4")
    partial = clip(inbox / "d.mp4", frames=11)  # "still being copied": written just now
    old = time.time() - 120
    for name in ("a.mp4", "b.mov", "c.mp4"):
        os.utime(inbox / name, (old, old))

    result = process_inbox(inbox=str(inbox), lake=lake, settle_seconds=60, workers=2)
    assert result["totals"]["published"] == 2 and result["totals"]["failed"] == 1
    assert_published_once(lake, ids)
    assert sorted(os.listdir(inbox / "done")) == ["a.mp4", "b.mov"]
    assert sorted(os.listdir(inbox / "failed")) == ["c.mp4", "c.mp4.error.txt"]
    assert "not a readable video" in (inbox / "failed" / "c.mp4.error.txt").read_text()
    assert os.path.exists(partial)  # not settled: left for the next sweep

    # A renamed re-upload of a published video is filed as done without being processed again.
    shutil.copy(inbox / "done" / "a.mp4", inbox / "a-again.mp4")
    os.utime(inbox / "a-again.mp4", (old, old))
    result = process_inbox(inbox=str(inbox), lake=lake, settle_seconds=60, workers=2)
    assert result["totals"] == {"published": 0, "quarantined": 0, "failed": 0, "skipped": 1, "total": 1}
    assert "a-again.mp4" in os.listdir(inbox / "done")
    assert_published_once(lake, ids)
    names = {r["file_name"] for r in lake_rows(lake, "video_sources") if r["video_id"] == ids[0]}
    assert names == {"a.mp4", "a-again.mp4"}  # lineage: the skipped copy's name is kept

    result = process_inbox(inbox=str(inbox), lake=lake, settle_seconds=60, workers=2)  # nothing new
    assert result["totals"]["total"] == 0
    first, second, empty = _sweeps_of(str(inbox))
    assert re.fullmatch(r"sweep inbox \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: 3 new, 0 known", first.name)
    assert second.name.endswith(": 0 new, 1 known") and empty.name.endswith(" UTC")
    with get_client(sync_client=True) as client:  # an empty sweep is silent: no artifact
        assert client.read_artifacts(artifact_filter=_artifacts_of(str(empty.id))) == []


def _sweeps_of(inbox: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["process-inbox"])),
            sort=FlowRunSort.START_TIME_ASC,
        )
    return [r for r in runs if r.parameters.get("inbox") == inbox]


def test_a_renamed_copy_arriving_is_skipped_without_touching_the_published_card(prefect_api, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.process_video import process_video

    inbox, lake = tmp_path / "inbox", str(tmp_path / "lake")
    inbox.mkdir()
    first = process_video(video=clip(inbox / "a.mp4", frames=10), lake=lake, inbox=str(inbox))
    assert first["status"] == "published" and os.listdir(inbox / "done") == ["a.mp4"]
    shutil.copy(inbox / "done" / "a.mp4", inbox / "a-again.mp4")
    state = process_video(video=str(inbox / "a-again.mp4"), lake=lake, inbox=str(inbox), return_state=True)
    again = state.result()
    assert again["status"] == "skipped" and again["validation"] == "already published"
    assert _task_names(again["flow_run_id"]).count("content-hash") == 1
    assert {r["file_name"] for r in lake_rows(lake, "video_sources")} == {"a.mp4", "a-again.mp4"}
    key = f"a-mp4-{first['video_id'][:12]}"
    with get_client(sync_client=True) as client:
        (card,) = client.read_artifacts(artifact_filter=_artifacts_of(again["flow_run_id"]))
        latest = client.read_latest_artifacts()
    assert card.key is None and "skipped" in card.data  # the skip's own note, unkeyed
    (published,) = [a for a in latest if a.key == key]
    assert published.data.startswith("## a.mp4: published")
    assert not [a for a in latest if a.key and a.key.startswith("a-again-mp4")]


def test_dask_local_cluster_with_two_workers_processes_four_videos(prefect_api, tmp_path):
    from flows.process_videos import run_videos_with_prefect

    videos = [clip(tmp_path / f"v{i}.mp4", frames=10 + i) for i in range(4)]
    lake = str(tmp_path / "lake")
    run = run_videos_with_prefect(videos, lake=lake, runner="dask", workers=2)
    assert [v.status for v in run.videos] == ["published"] * 4, [v.error for v in run.videos]
    assert_published_once(lake, [sha256(v) for v in videos])
    runs = lake_rows(lake, "runs")
    assert [(r["run_id"], r["status"], r["videos_published"]) for r in runs] == [(run.run_id, "succeeded", 4)]


def _artifacts_of(flow_run_id: str) -> Any:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    return ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]))


def _task_names(flow_run_id: UUID | str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(str(flow_run_id))]))
        )
    return sorted(run.name.rsplit("-", 1)[0] for run in runs)


def _served_runs(deployment_name: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(deployment_name)
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
        )


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _wait_for(condition, timeout: float, what: str, log: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    tail = _read(log)[-4000:].decode(errors="replace") if log and os.path.exists(log) else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


def _slow_copy(src: str, dst: str, chunks: int = 10, pause: float = 0.3) -> None:
    """Copy like a slow upload: chunk by chunk, each pause shorter than the watcher's settle time."""
    with open(src, "rb") as handle:
        data = handle.read()
    size = -(-len(data) // chunks)
    with open(dst, "wb") as out:
        for start in range(0, len(data), size):
            out.write(data[start : start + size])
            out.flush()
            time.sleep(pause)


@pytest.mark.timeout(400)
def test_a_video_copied_slowly_into_a_served_inbox_is_processed_once_after_it_completes(
    prefect_api, tmp_path
):
    """The arrival path end to end: ``facetrack serve`` → watcher → a run of the ``on-arrival`` deployment,
    executed in the serve process → rows.

    One file, copied in chunks for longer than the settle time: it must start exactly one run, after the
    copy completes. Then a corrupt file: its run fails with one line in the console, no traceback. The
    empty inbox's sweep ticks start no runs.
    """
    inbox, lake = tmp_path / "inbox", str(tmp_path / "lake")
    inbox.mkdir()
    log_path = str(tmp_path / "serve.log")
    command = [
        sys.executable, "-c", FACETRACK, "serve", "--inbox", str(inbox), "--lake", lake,
        "--settle-seconds", "1.5", "--cron", "* * * * *", "--workers", "1",
    ]  # fmt: skip
    env = prefect_env(prefect_api.home, prefect_api.api_url)
    with open(log_path, "wb") as log:
        serve = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_for(lambda: b"deployments are being served" in _read(log_path), 60, "serve", log_path)
        time.sleep(1.0)  # the watcher thread subscribes right after serve() registers

        source = clip(tmp_path / "slow.mp4", frames=16)
        copied = time.time()
        _slow_copy(source, str(inbox / "slow.mp4"))  # ~3 s of chunks 0.3 s apart, settle time 1.5 s
        copy_done = time.time()
        video_id = sha256(source)

        def published() -> bool:
            return [r["video_id"] for r in lake_rows(lake, "videos")] == [video_id]

        _wait_for(published, 150, "the video's rows in the lake", log_path)
        _wait_for(
            lambda: any(r.state.is_completed() for r in _served_runs("process-video/on-arrival")),
            30,
            "a completed arrival run",
            log_path,
        )
        time.sleep(3.0)  # room for a wrongly doubled run to show up
        (run,) = _served_runs("process-video/on-arrival")
        assert run.name == "slow.mp4" and run.parameters["video"] == str(inbox / "slow.mp4")
        assert run.state.is_completed()
        assert run.start_time is not None and run.start_time.timestamp() >= copy_done > copied
        assert _task_names(run.id).count("content-hash") == 1
        assert_published_once(lake, [video_id])
        (row,) = lake_rows(lake, "videos")
        assert row["size_bytes"] == os.path.getsize(source) and row["run_id"] == str(run.id)
        assert os.listdir(inbox / "done") == ["slow.mp4"]

        corrupt(tmp_path / "broken.mp4")
        shutil.move(tmp_path / "broken.mp4", inbox / "broken.mp4")
        _wait_for(lambda: (inbox / "failed" / "broken.mp4").exists(), 60, "broken.mp4 filed", log_path)
        _wait_for(
            lambda: (
                len(_served_runs("process-video/on-arrival")) == 2
                and all(r.state.is_final() for r in _served_runs("process-video/on-arrival"))
            ),
            30,
            "the corrupt file's run to end",
            log_path,
        )
        failed = next(r for r in _served_runs("process-video/on-arrival") if r.name == "broken.mp4")
        assert failed.state.is_failed() and "not a readable video" in (failed.state.message or "")
        assert _served_runs("process-inbox/inbox-sweep") == []  # ticks on an empty inbox make no runs
    finally:
        stop_process_group(serve)
    console = _read(log_path).decode(errors="replace")  # all of it, the shutdown included
    assert "Traceback" not in console and "Engine execution exited" not in console, console[-4000:]
    assert "| ERROR   | Flow run 'broken.mp4' - broken.mp4: not a readable video" in console


@pytest.fixture
def s3_inbox(tmp_path, monkeypatch) -> Iterator[tuple[str, Any]]:
    """An ``s3://`` inbox prefix on a real moto S3 server (its own process on 127.0.0.1)."""
    from tests.support.servers import moto_server, use_s3

    with moto_server() as endpoint:
        yield "s3://drop/inbox", use_s3(monkeypatch, endpoint, "drop")


def test_an_object_store_inbox_is_swept_by_polling(prefect_api, s3_inbox, tmp_path):
    from flows.process_inbox import process_inbox
    from flows.process_video import process_video

    inbox, s3 = s3_inbox
    lake = str(tmp_path / "lake")
    good = clip(tmp_path / "good.mp4", frames=10)
    s3.upload_file(good, "drop", "inbox/good.mp4")
    s3.put_object(Bucket="drop", Key="inbox/bad.mp4", Body=b"garbage" * 100)
    s3.put_object(Bucket="drop", Key="inbox/notes.txt", Body=b"not a video")

    result = process_inbox(inbox=inbox, lake=lake, settle_seconds=0, workers=2)
    assert result["totals"]["published"] == 1 and result["totals"]["failed"] == 1
    (row,) = lake_rows(lake, "videos")
    assert row["video_id"] == sha256(good) and row["source_uri"] == "s3://drop/inbox/good.mp4"
    listing = s3.list_objects_v2(Bucket="drop")["Contents"]
    keys = sorted(o["Key"] for o in listing if not o["Key"].endswith("/"))  # pyarrow keeps folder markers
    assert keys == [
        "inbox/done/good.mp4",
        "inbox/failed/bad.mp4",
        "inbox/failed/bad.mp4.error.txt",
        "inbox/notes.txt",
    ]
    reason = s3.get_object(Bucket="drop", Key="inbox/failed/bad.mp4.error.txt")["Body"].read().decode()
    assert reason.startswith("bad.mp4: not a readable video")

    # An object named by an event (a relayed bucket notification) is processed where it lies.
    other = clip(tmp_path / "other.mp4", frames=11)
    s3.upload_file(other, "drop", "uploads/other.mp4")
    state = process_video(video="s3://drop/uploads/other.mp4", lake=lake, return_state=True)
    assert state.is_completed(), state.message
    sources = {r["video_id"]: r["source_uri"] for r in lake_rows(lake, "videos")}
    assert sources[sha256(other)] == "s3://drop/uploads/other.mp4"

    s3.upload_file(good, "drop", "inbox/good-copy.mp4")  # the same content again, renamed
    result = process_inbox(inbox=inbox, lake=lake, settle_seconds=0, workers=2)
    assert result["totals"]["skipped"] == 1 and result["totals"]["published"] == 0
    assert len(lake_rows(lake, "videos")) == 2


def test_facetrack_run_with_a_server_runs_the_flows_and_prints_the_same_lines(prefect_api, tmp_path):
    from prefect.client.orchestration import get_client

    good, bad = clip(tmp_path / "good.mp4", frames=14), corrupt(tmp_path / "bad.mp4")
    lake = str(tmp_path / "lake")
    env = prefect_env(prefect_api.home, prefect_api.api_url)  # PREFECT_LOGGING_LEVEL=INFO, as by default
    done = subprocess.run([sys.executable, "-c", FACETRACK, "run", good, bad, "--lake", lake],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 2, done.stderr  # the bad file's exit code; the good one is published
    assert "good.mp4: published" in done.stdout
    assert "bad.mp4" in done.stderr and "Traceback" not in done.stderr
    assert "| INFO" not in done.stdout + done.stderr, done.stderr  # Prefect's console: warnings and errors
    assert_published_once(lake, [sha256(good)])
    run_id = lake_rows(lake, "videos")[0]["run_id"]
    with get_client(sync_client=True) as client:  # the published video's run is a flow run on the server
        parent = client.read_flow_run(UUID(run_id))
    assert parent.state.is_completed() and parent.name == "run 2 videos: good.mp4, bad.mp4"


def test_four_serverless_runs_started_at_once_all_succeed(tmp_path):
    videos = [clip(tmp_path / f"v{i}.mp4", frames=10 + i) for i in range(4)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    lake = str(tmp_path / "lake")
    command = [sys.executable, "-c", FACETRACK, "run"]
    pipes: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    started = [subprocess.Popen([*command, video, "--lake", lake], env=env, **pipes) for video in videos]
    results = [(p.wait(timeout=600), p.stderr.read() if p.stderr else "") for p in started]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    assert_published_once(lake, [sha256(v) for v in videos])
