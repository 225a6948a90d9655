"""The inbox rules and the watcher, without Prefect: stable-file detection, claims, filing, announcements."""

from __future__ import annotations

import os
import threading
import time

import pytest

from flows.inbox import folder as ib
from flows.inbox.watcher import StableFileTracker, watch_inbox


def _write(path: str, data: bytes = b"x" * 100, age: float = 0.0) -> str:
    with open(path, "wb") as handle:
        handle.write(data)
    if age:
        past = time.time() - age
        os.utime(path, (past, past))
    return path


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def test_only_settled_visible_videos_are_ready(tmp_path):
    _write(str(tmp_path / "old.mp4"), age=60)
    _write(str(tmp_path / "growing.mp4"))  # written just now: maybe still copying
    _write(str(tmp_path / "notes.txt"), age=60)
    _write(str(tmp_path / ".hidden.mp4"), age=60)
    _write(str(tmp_path / "upload.mp4.part"), age=60)
    _write(str(tmp_path / "empty.mov"), data=b"", age=60)
    (tmp_path / "done").mkdir()
    _write(str(tmp_path / "done" / "finished.mp4"), age=60)

    ready = [f.name for f in ib.ready_videos(str(tmp_path), settle_seconds=10)]
    assert ready == ["old.mp4"]
    later = [f.name for f in ib.ready_videos(str(tmp_path), settle_seconds=10, now=time.time() + 11)]
    assert later == ["old.mp4", "growing.mp4"]


def test_missing_inbox_lists_nothing(tmp_path):
    assert ib.ready_videos(str(tmp_path / "absent")) == []


def test_a_claim_is_exclusive_and_hides_the_file(tmp_path):
    video = _write(str(tmp_path / "a.mp4"), age=60)
    assert ib.try_claim(video, owner="run-1")
    assert not ib.try_claim(video, owner="run-2")
    assert ib.ready_videos(str(tmp_path)) == []
    ib.release_claim(video)
    with ib.claimed(video) as mine:
        assert mine
        with ib.claimed(video) as other:
            assert not other
    assert [f.name for f in ib.ready_videos(str(tmp_path))] == ["a.mp4"]


def test_a_stale_claim_is_taken_over(tmp_path):
    video = _write(str(tmp_path / "a.mp4"), age=60)
    assert ib.try_claim(video)
    assert not ib.try_claim(video, stale_seconds=3600)
    assert ib.try_claim(video, stale_seconds=0)


def test_a_filed_away_video_cannot_be_claimed(tmp_path):
    video = _write(str(tmp_path / "a.mp4"), age=60)
    ib.file_done(video)
    assert not ib.try_claim(video)
    assert not os.path.exists(os.path.join(tmp_path, ib.CLAIMS_DIR, "a.mp4.claim"))


def test_filing_never_overwrites(tmp_path):
    first = ib.file_done(_write(str(tmp_path / "a.mp4"), b"one"))
    second = ib.file_done(_write(str(tmp_path / "a.mp4"), b"two"))
    assert first != second
    assert _read(first) == b"one" and _read(second) == b"two"
    failed = ib.file_failed(_write(str(tmp_path / "b.mp4")), "b.mp4: not a readable video")
    assert failed == str(tmp_path / "failed" / "b.mp4")
    assert _read(failed + ".error.txt") == b"b.mp4: not a readable video\n"


def test_tracker_announces_a_file_once_after_it_stops_growing(tmp_path):
    path = str(tmp_path / "a.mp4")
    tracker = StableFileTracker(settle_seconds=1.0)
    _write(path, b"x" * 10)
    tracker.touched(path, now=0.0)
    assert tracker.settled(now=0.5) == []
    with open(path, "ab") as handle:  # another chunk lands, without a notification seen yet
        handle.write(b"y" * 10)
    assert tracker.settled(now=1.5) == []  # size changed since the last look: not yet
    assert tracker.settled(now=2.6) == [(path, 20)]
    tracker.touched(path, now=3.0)  # a late notification for the same content
    assert tracker.settled(now=4.5) == []


def test_tracker_forgets_files_that_vanish(tmp_path):
    path = _write(str(tmp_path / "a.mp4"))
    tracker = StableFileTracker(settle_seconds=0.0)
    tracker.touched(path, now=0.0)
    os.unlink(path)
    assert tracker.settled(now=1.0) == []
    assert tracker.pending == {}


@pytest.mark.timeout(60)
def test_watcher_announces_a_slow_copy_once_after_it_completes(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    announced: list[tuple[str, int, float]] = []
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch_inbox,
        args=(str(inbox), lambda path, size: announced.append((path, size, time.monotonic())), 0.8, stop),
        daemon=True,
    )
    watcher.start()
    try:
        time.sleep(0.5)  # let the watcher subscribe
        target = inbox / "slow.mp4"
        chunk = b"z" * 4096
        with open(target, "wb") as handle:  # a copy that takes ~2 s, longer than the settle time
            for _ in range(8):
                handle.write(chunk)
                handle.flush()
                time.sleep(0.25)
        finished = time.monotonic()
        (inbox / "ignored.txt").write_text("not a video")
        deadline = time.monotonic() + 20
        while not announced and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)  # would a second announcement follow?
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert [(os.path.basename(p), size) for p, size, _ in announced] == [("slow.mp4", 8 * 4096)]
    assert announced[0][2] >= finished
