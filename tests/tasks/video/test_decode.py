"""The decoding thread's bounds: how many frames may wait for the engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tasks.video.decode import waiting_frames
from tasks.video.probe import probe
from tests.support.media import backdrop, write_frames


def test_the_queue_holds_fewer_frames_when_pictures_are_huge(tmp_path: Path) -> None:
    info = probe(write_frames(tmp_path / "small.mp4", [backdrop(320, 180, 10)] * 3))
    assert waiting_frames(info) == 16
    assert waiting_frames(replace(info, width=7680, height=4320)) == 5  # 8K: ~50 MB a picture
