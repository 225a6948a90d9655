"""The report's frames: seeking to the keyframe before each wanted frame gives exactly the frames the
whole pass gives, while decoding fewer; a timeline seeking cannot place falls back to the pass."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tasks.report.frames import pick_frames
from tasks.video.encode import write_video
from tasks.video.probe import probe
from tests.support.media import face_frame

FRAMES = 240


def numbered(index: int) -> np.ndarray:
    """A frame that says which one it is: the sliding portrait plus a bar whose length is the index."""
    frame = face_frame(index, 320, 180)
    frame[170:180, : index + 1] = 255
    return frame


def picked(path: str, slots: list[int], seek: bool | None) -> tuple[dict[int, np.ndarray], str, int]:
    info = probe(path)
    got: dict[int, np.ndarray] = {}
    cost = pick_frames(info, slots, lambda slot, image: got.setdefault(slot, image.copy()), seek=seek)
    return got, cost.mode, cost.decoded


@pytest.mark.parametrize("variable", [False, True], ids=["constant rate", "variable rate"])
def test_seeking_gives_the_frames_the_whole_pass_gives(tmp_path: Path, variable: bool) -> None:
    options = {"preset": "ultrafast", "crf": "23", "g": "24", "bf": "2"}  # a keyframe a second, B-frames
    pts, time_base = None, None
    if variable:  # 90 kHz clock, steps of 1, 2 or 3 frame periods at 24 fps (3750 ticks)
        steps = [3750 * (1 + (i * 7) % 3 // 2) for i in range(FRAMES)]
        pts, time_base = [int(v) for v in np.cumsum([0, *steps[:-1]])], Fraction(1, 90000)
    video = write_video(tmp_path / "v.mp4", (numbered(i) for i in range(FRAMES)), 24, options=options,
                        pts=pts, time_base=time_base)  # fmt: skip
    grid = probe(video).frame_count if not variable else int(pts[-1] / 3750) + 1  # type: ignore[index]
    slots = sorted({3, 50, 51, 120, 121, 200, grid - 5} | {int((i + 0.5) * grid / 10) for i in range(10)})
    whole, mode, decoded_whole = picked(video, slots, seek=False)
    sought, seek_mode, decoded_seek = picked(video, slots, seek=True)
    assert mode == "pass" and seek_mode == "seek"
    assert sorted(whole) == sorted(sought) == slots
    for slot in slots:
        assert np.array_equal(whole[slot], sought[slot]), slot
    assert decoded_seek < decoded_whole


def test_a_short_video_is_read_in_one_pass_by_default(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", (numbered(i) for i in range(48)), 24)
    got, mode, decoded = picked(video, [5, 40], seek=None)
    assert mode == "pass" and sorted(got) == [5, 40] and decoded == 41
