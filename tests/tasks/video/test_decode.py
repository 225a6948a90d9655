"""The decoding thread: how many frames may wait for the engine, and the pictures a frame gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from tasks.video.decode import FrameReader, waiting_frames
from tasks.video.probe import probe
from tests.support.media import backdrop, write_frames, write_video


def test_the_queue_holds_fewer_frames_when_pictures_are_huge(tmp_path: Path) -> None:
    info = probe(write_frames(tmp_path / "small.mp4", [backdrop(320, 180, 10)] * 3))
    assert waiting_frames(info) == 16
    assert waiting_frames(replace(info, width=7680, height=4320)) == 5  # 8K: ~50 MB a picture


def test_a_detected_frame_gives_its_picture_upright_at_any_size_converted_once(tmp_path: Path) -> None:
    info = probe(write_video(tmp_path / "rotated.mp4", frames=4, width=320, height=180, rotation=90))
    with FrameReader(info, (90, 160), detect_every=2) as reader:
        frames = list(reader)
    detected = [f for f in frames if f.image is not None]
    assert len(detected) == 2 and all(f.source is None for f in frames if f.image is None)
    first = detected[0]
    assert first.full_image().shape == (320, 180, 3)  # shown upright: 180 wide, 320 high
    assert first.picture((90, 160)).shape == (160, 90, 3)
    assert first.picture((90, 160)) is first.picture((90, 160))  # converted once, then kept
    assert first.full_image() is first.picture(None)
    # The upright full picture, scaled down, is the detector's own input (same orientation and content).
    small = first.picture((90, 160)).astype(np.int16)
    assert np.abs(small - first.image.astype(np.int16)).mean() < 4
