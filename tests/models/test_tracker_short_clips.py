"""A clip too short to confirm a track still reports the faces it saw; long videos still drop one-hit
noise."""

from __future__ import annotations

import numpy as np

from models.detections import Detections
from models.tracker import FaceTracker, TrackerConfig
from tests.models.test_tracker import box_at, dets, run


def test_a_one_and_a_two_frame_clip_keep_their_face() -> None:
    for frames in (1, 2):
        _, out = run([dets(box_at(100)) for _ in range(frames)], confirm_hits=3)
        assert out.track_id.tolist() == [0] * frames
        assert out.frame_index.tolist() == list(range(frames))


def test_a_four_frame_clip_detected_every_other_frame_keeps_its_face_on_every_frame() -> None:
    tracker = FaceTracker(25.0, TrackerConfig(), detect_every=2)
    for index in range(4):
        tracker.update(index, dets(box_at(100 + 2 * index)) if index % 2 == 0 else None)
    out = tracker.finish(4)
    assert out.frame_index.tolist() == [0, 1, 2, 3] and set(out.track_id.tolist()) == {0}
    assert out.observed.tolist() == [True, False, True, False]


def test_a_short_clip_drops_a_face_missed_at_one_of_its_detector_runs() -> None:
    _, out = run([dets(box_at(100), box_at(400)), dets(box_at(100))])
    assert set(out.track_id.tolist()) == {0}
    assert np.all(out.xyxy[:, 0] < 200)


def test_a_long_video_still_drops_faces_seen_only_in_its_last_frames() -> None:
    frames: list[Detections | None] = [dets(box_at(100)) for _ in range(30)]
    frames[-1] = dets(box_at(100), box_at(400))  # one-hit at the very end
    _, out = run(frames)
    assert set(out.track_id.tolist()) == {0}
    frames[-2] = dets(box_at(100), box_at(400))  # two hits at the end: still short of confirm_hits
    _, out = run(frames)
    assert set(out.track_id.tolist()) == {0}


def test_a_last_shot_too_short_to_confirm_keeps_the_face_seen_in_it() -> None:
    tracker = FaceTracker(25.0, TrackerConfig())
    for index in range(30):
        tracker.update(index, dets(box_at(100)))
    tracker.update(30, dets(box_at(500)), new_shot=True)
    tracker.update(31, dets(box_at(500)))
    out = tracker.finish(32)
    assert set(out.track_id.tolist()) == {0, 1}
    assert out.frame_index[out.track_id == 1].tolist() == [30, 31]
    again = tracker.finish(32)  # finishing is repeatable
    assert np.array_equal(again.frame_index, out.frame_index)


def test_empty_detections_in_a_short_clip_give_nothing() -> None:
    _, out = run([Detections.empty(), Detections.empty()])
    assert len(out) == 0
