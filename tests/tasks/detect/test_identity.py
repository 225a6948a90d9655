"""Identity through editing, on generated H.264 videos of real faces run through the whole engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tasks.detect.detect_track import detect_track
from tasks.detect.result import VideoResult
from tests.support.media import astronaut_face, backdrop, lfw_face, paste, scaled, write_frames

pytestmark = pytest.mark.slow

SEGMENT = 40  # frames per shot


def person(name: str) -> np.ndarray:
    return scaled(astronaut_face(), 170) if name == "A" else lfw_face(1, 160)


def shot(name: str, hue: int, x: int = 240, frames: int = SEGMENT) -> list[np.ndarray]:
    """One shot: a face standing still (breathing a pixel) on a backdrop of its own colour."""
    return [paste(backdrop(640, 360, hue), person(name), x + (i % 3), 90) for i in range(frames)]


def ids_by_segment(result: VideoResult, segments: int) -> list[set[int]]:
    tracks = result.tracks
    return [
        set(
            tracks.track_id[
                (tracks.frame_index >= k * SEGMENT) & (tracks.frame_index < (k + 1) * SEGMENT)
            ].tolist()
        )
        for k in range(segments)
    ]


def test_a_cut_to_another_person_at_the_same_place_gives_a_new_id(tmp_path: Path) -> None:
    video = write_frames(tmp_path / "a_cut_b.mp4", shot("A", 20) + shot("B", 110))
    result = detect_track(video)
    first, second = ids_by_segment(result, 2)
    assert len(first) == 1 and len(second) == 1 and first != second
    assert [(s.first_frame, s.last_frame) for s in result.shots] == [
        (0, SEGMENT - 1),
        (SEGMENT, 2 * SEGMENT - 1),
    ]


def test_a_person_who_returns_after_a_cutaway_gets_their_id_back(tmp_path: Path) -> None:
    frames = shot("A", 20) + shot("B", 110, x=120) + shot("A", 160, x=380)
    result = detect_track(write_frames(tmp_path / "a_b_a.mp4", frames))
    a, b, a_again = ids_by_segment(result, 3)
    assert len(a) == len(b) == len(a_again) == 1
    assert a == a_again and a != b
    assert result.faces_detected == 2
    assert len(result.shots) == 3


def test_two_people_crossing_keep_their_ids(tmp_path: Path) -> None:
    frames = []
    steps = 60
    for i in range(steps):
        frame = backdrop(640, 360, 60)
        paste(frame, person("B"), 460 - 6 * i, 150)  # B walks left, a little lower: in front
        paste(frame, person("A"), 20 + 6 * i, 20)  # A walks right, drawn over B where they cross
        frames.append(frame)
    result = detect_track(write_frames(tmp_path / "crossing.mp4", frames))
    tracks = result.tracks
    for track_id in np.unique(tracks.track_id):
        mine = tracks.track_id == track_id
        x = tracks.xyxy[mine, 0][np.argsort(tracks.frame_index[mine])]
        steps_taken = np.diff(x)
        # Every id moves one way only: it stayed with one person through the crossing.
        assert (steps_taken >= -8).all() or (steps_taken <= 8).all(), f"id {track_id} changed direction"
    assert result.faces_detected == 2
