"""Real processes against one lake: concurrent writers, and writers killed with SIGKILL mid-publish.

Processes are started with the "spawn" method: forking a process that has used deltalake or Polars can
hang forever (their thread pools do not survive a fork).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import polars as pl
import pytest

from tasks.lake import schema as lake_schema
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake
from tasks.settings import DetectorSettings
from tests.support.lake_synth import synthetic_batch

SPAWN = multiprocessing.get_context("spawn")
CHANGED = DetectorSettings(threshold=0.8, model_sha256="0" * 64)


def _publish_many(root: str, seeds: list[int], barrier, results) -> None:  # type: ignore[no-untyped-def]
    lake = Lake.resolve(root)
    batches = [synthetic_batch(seed) for seed in seeds]
    barrier.wait()
    attempts = 0
    for batch in batches:
        attempts += publish_batch(lake, batch).attempts
    results.put(attempts)


def _publish_then_hang(root: str, seed: int, hang_after: str, marker: str, changed: bool) -> None:
    lake = Lake.resolve(root)
    batch = synthetic_batch(seed, faces=1, settings=CHANGED) if changed else synthetic_batch(seed)

    def after_commit(table: str, version: int) -> None:
        if table == hang_after:
            with open(marker, "w") as handle:
                handle.write(str(version))
            time.sleep(120)  # the parent kills us here

    publish_batch(lake, batch, after_commit=after_commit)


def _publish_forever(root: str, seeds: list[int], started: str) -> None:
    lake = Lake.resolve(root)
    batches = [synthetic_batch(seed) for seed in seeds]
    open(started, "w").close()
    while True:
        for batch in batches:
            publish_batch(lake, batch)


def rows_per_video(lake: Lake) -> dict[str, dict[str, int]]:
    """{table: {video_id: rows}} as the lake holds it now."""
    counts: dict[str, dict[str, int]] = {}
    for table in lake_schema.PUBLISH_ORDER:
        frame = pl.read_delta(lake.table_uri(table)).group_by("video_id").len()
        counts[table] = dict(zip(frame["video_id"], frame["len"], strict=True))
    return counts


def assert_no_duplicate_keys(lake: Lake) -> None:
    for table in lake_schema.PUBLISH_ORDER:
        keys = list(lake_schema.KEYS[table])
        frame = pl.read_delta(lake.table_uri(table), columns=keys)
        assert frame.height == frame.unique().height, f"duplicate keys in {table}"


def assert_published_videos_complete(lake: Lake, expected: dict[str, dict[str, int]]) -> None:
    """The crash-safety promise: every video with a videos row has all of its rows, no more, no less."""
    counts = rows_per_video(lake)
    for video_id in counts["videos"]:
        for table in lake_schema.PUBLISH_ORDER:
            assert counts[table].get(video_id, 0) == expected[video_id][table], (table, video_id[:12])
    assert_no_duplicate_keys(lake)


def expected_rows(seeds: list[int]) -> dict[str, dict[str, int]]:
    batches = [synthetic_batch(seed) for seed in seeds]
    return {b.video_id: {t: b.tables[t].height for t in lake_schema.PUBLISH_ORDER} for b in batches}


def wait_for(path: str, process, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        assert process.is_alive(), f"worker died with exit code {process.exitcode}"
        assert time.monotonic() < deadline, "worker never reached the kill point"
        time.sleep(0.02)


def kill(process) -> None:  # type: ignore[no-untyped-def]
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    assert process.exitcode == -signal.SIGKILL


@pytest.mark.slow
def test_concurrent_writers_neither_lose_nor_duplicate_rows(tmp_path):
    root = str(tmp_path / "lake")
    Lake.resolve(root).ensure_tables()
    shared = [0, 1, 2]  # every process publishes these at the same moment: same-video conflicts
    plans = [[*shared, 10 + k, 20 + k] for k in range(3)]
    barrier, results = SPAWN.Barrier(len(plans)), SPAWN.Queue()
    workers = [SPAWN.Process(target=_publish_many, args=(root, plan, barrier, results)) for plan in plans]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
        assert worker.exitcode == 0
    attempts = [results.get(timeout=5) for _ in workers]

    lake = Lake.resolve(root)
    seeds = sorted({seed for plan in plans for seed in plan})
    expected = expected_rows(seeds)
    counts = rows_per_video(lake)
    assert sorted(counts["videos"]) == sorted(expected)
    for table in lake_schema.PUBLISH_ORDER:
        assert counts[table] == {v: n for v, n in ((v, e[table]) for v, e in expected.items()) if n}, table
    assert_no_duplicate_keys(lake)
    commits = len(lake_schema.PUBLISH_ORDER) * 5
    print(f"commit attempts per process ({commits} commits without conflicts): {attempts}")


@pytest.mark.slow
@pytest.mark.parametrize("hang_after", [*lake_schema.PUBLISH_ORDER[:-1], "video_sources", "videos"])
def test_a_writer_killed_between_commits_leaves_no_half_published_video(tmp_path, hang_after):
    root, marker = str(tmp_path / "lake"), str(tmp_path / "marker")
    lake = Lake.resolve(root)
    publish_batch(lake, synthetic_batch(1))  # a bystander that must stay intact
    writer = SPAWN.Process(target=_publish_then_hang, args=(root, 0, hang_after, marker, False))
    writer.start()
    wait_for(marker, writer)
    kill(writer)

    expected = expected_rows([0, 1])
    counts = rows_per_video(lake)
    video_id = synthetic_batch(0).video_id
    assert (video_id in counts["videos"]) == (hang_after == "videos")
    assert_published_videos_complete(lake, expected)

    publish_batch(lake, synthetic_batch(0))  # re-running repairs the leftovers
    assert rows_per_video(lake) == {
        t: {v: e[t] for v, e in expected.items() if e[t]} for t in lake_schema.PUBLISH_ORDER
    }


@pytest.mark.slow
def test_a_changed_republish_killed_midway_does_not_vouch_for_mixed_rows(tmp_path):
    root, marker = str(tmp_path / "lake"), str(tmp_path / "marker")
    lake = Lake.resolve(root)
    old = synthetic_batch(0)
    publish_batch(lake, old)
    writer = SPAWN.Process(target=_publish_then_hang, args=(root, 0, "face_events", marker, True))
    writer.start()
    wait_for(marker, writer)
    kill(writer)

    counts = rows_per_video(lake)
    assert old.video_id not in counts["videos"]  # retracted before any child was replaced
    new = synthetic_batch(0, faces=1, settings=CHANGED)
    assert counts["face_events"][old.video_id] == new.tables["face_events"].height
    publish_batch(lake, new)
    assert rows_per_video(lake)["faces"] == {new.video_id: new.tables["faces"].height}


@pytest.mark.slow
def test_writers_killed_at_random_moments_never_leave_a_half_published_video(tmp_path):
    root = str(tmp_path / "lake")
    lake = Lake.resolve(root)
    lake.ensure_tables()
    seeds = list(range(6))
    expected = expected_rows(seeds)
    rng = random.Random(3)
    for round_ in range(3):
        started = str(tmp_path / f"started-{round_}")
        writer = SPAWN.Process(target=_publish_forever, args=(root, seeds, started))
        writer.start()
        wait_for(started, writer)
        time.sleep(rng.uniform(0.1, 1.2))
        kill(writer)
        assert_published_videos_complete(lake, expected)
    for seed in seeds:
        publish_batch(lake, synthetic_batch(seed))
    counts = rows_per_video(lake)
    assert counts["videos"] == {v: 1 for v in expected}
    assert_published_videos_complete(lake, expected)
