"""The redaction's decode-ahead and encode-behind threads: order kept, errors raised, nothing left running."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tasks.video.threads import Ahead, Behind


def test_ahead_yields_every_item_in_order() -> None:
    with Ahead(iter(range(1000)), size=3) as items:
        assert list(items) == list(range(1000))


def test_ahead_raises_the_producers_error_after_its_items() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError, match="disk gone"), Ahead(failing(), size=1) as items:
        seen.extend(items)
    assert seen == [1, 2]


def test_leaving_ahead_early_stops_the_producer() -> None:
    produced = []

    def endless() -> Iterator[int]:
        index = 0
        while True:
            produced.append(index)
            yield index
            index += 1

    before = threading.active_count()
    with Ahead(endless(), size=2) as items:
        for item in items:
            if item == 5:
                break
    assert threading.active_count() == before
    assert len(produced) < 20  # the bounded queue kept it a few items ahead, no more


def test_behind_consumes_every_item_in_order() -> None:
    consumed: list[int] = []
    with Behind(consumed.append, size=2) as worker:
        for index in range(500):
            worker.put(index)
        worker.close()
    assert consumed == list(range(500))


def test_behind_raises_the_consumers_error_in_the_caller() -> None:
    def consume(item: int) -> None:
        if item == 3:
            raise ValueError("encoder refused frame 3")

    with pytest.raises(ValueError, match="frame 3"), Behind(consume, size=1) as worker:
        for index in range(100):
            worker.put(index)
        worker.close()
