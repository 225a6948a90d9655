"""Shot cuts: found on the decoder's thumbnails of real video files, and not found where the camera moves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tasks.video.decode import FrameReader
from tasks.video.probe import probe
from tasks.video.shots import ShotCutDetector, shots_between
from tests.support.media import astronaut_face, backdrop, face_frame, paste, scaled, write_frames


def cut_frames(frames: list[np.ndarray], fps: float = 25.0) -> list[int]:
    detector = ShotCutDetector(fps)
    for frame in frames:
        detector.push(frame)
    detector.finish()
    return detector.cuts


def test_a_hard_cut_is_found_at_its_frame_and_a_pan_is_not_a_cut() -> None:
    import cv2

    def thumb(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)

    first = [thumb(face_frame(i, speed=12)) for i in range(30)]  # the portrait sliding fast
    second = [thumb(backdrop(640, 360, hue=100)) for _ in range(30)]
    assert cut_frames(first + second) == [30]
    assert cut_frames(first) == []


def test_a_flash_of_one_frame_is_not_two_shots() -> None:
    still = np.full((36, 64, 3), 90, np.uint8)
    flash = np.full((36, 64, 3), 250, np.uint8)
    assert cut_frames([still] * 20 + [flash] + [still] * 20) == []


def test_the_decoder_marks_the_first_frame_of_each_shot_in_a_real_file(tmp_path: Path) -> None:
    face = scaled(astronaut_face(), 160)
    frames = [paste(backdrop(640, 360, 20), face, 100 + i, 80) for i in range(25)]
    frames += [paste(backdrop(640, 360, 110), face, 300, 100) for _ in range(25)]
    frames += [backdrop(640, 360, 160) for _ in range(25)]
    video = write_frames(tmp_path / "three_shots.mp4", frames)
    info = probe(video)
    with FrameReader(info, (320, 180), detect_every=2) as reader:
        decoded = list(reader)
    assert [f.index for f in decoded if f.new_shot] == [25, 50]
    assert len(decoded) == 75
    # Frames the detector looks at keep their full-resolution picture, converted on demand.
    full = decoded[0].full_image()
    assert full.shape == (360, 640, 3)
    assert decoded[1].source is None


def test_shots_tile_the_frame_grid() -> None:
    slots = np.arange(100)
    shots = shots_between([40, 70], slots, grid_frames=100, frame_rate=25.0)
    assert [(s.index, s.first_frame, s.last_frame) for s in shots] == [(0, 0, 39), (1, 40, 69), (2, 70, 99)]
    assert shots[1].start_seconds == 40 / 25 and shots[1].end_seconds == 70 / 25
    assert [(s.first_frame, s.last_frame) for s in shots_between([], slots, 100, 25.0)] == [(0, 99)]
