"""The tracker on synthetic detections: ids that survive occlusion, confirmation, back-fill, ordering."""

from __future__ import annotations

import numpy as np

from models.detections import Detections
from models.tracker import FaceTracker, TrackerConfig


def dets(*boxes: tuple[float, float, float, float], score: float = 0.9) -> Detections:
    n = len(boxes)
    xyxy = np.array(boxes, np.float32).reshape(n, 4)
    centers = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    return Detections(xyxy, np.full(n, score, np.float32), np.repeat(centers[:, None, :], 5, axis=1))


def box_at(x: float, y: float = 100.0, size: float = 60.0) -> tuple[float, float, float, float]:
    return (x, y, x + size, y + size)


def run(
    frames: list[Detections | None], fps: float = 25.0, **config: object
) -> tuple[FaceTracker, Detections]:
    tracker = FaceTracker(fps, TrackerConfig(**config))  # type: ignore[arg-type]
    for index, found in enumerate(frames):
        tracker.update(index, found)
    return tracker, tracker.finish(len(frames))


def test_one_face_moving_keeps_one_id() -> None:
    _, out = run([dets(box_at(10 + 4 * i)) for i in range(50)])
    assert set(out.track_id.tolist()) == {0}
    assert len(out.frame_index) == 50


def test_id_survives_a_ten_frame_occlusion() -> None:
    frames: list[Detections | None] = []
    for i in range(60):
        hidden = 20 <= i < 30
        frames.append(Detections.empty() if hidden else dets(box_at(100 + 2 * i)))
    _, out = run(frames)
    assert set(out.track_id.tolist()) == {0}
    # The hidden frames are filled by interpolation, because the face came back where expected.
    assert sorted(out.frame_index.tolist()) == list(range(60))
    assert not out.observed[np.isin(out.frame_index, range(20, 30))].any()


def test_a_face_gone_longer_than_the_buffer_and_elsewhere_gets_a_new_id() -> None:
    frames = (
        [dets(box_at(100)) for _ in range(20)]
        + [Detections.empty()] * 60
        + [dets(box_at(500)) for _ in range(20)]
    )
    _, out = run(frames)
    assert set(out.track_id.tolist()) == {0, 1}


def test_one_frame_false_positive_gets_no_id() -> None:
    frames = [dets(box_at(100)) for _ in range(30)]
    frames[10] = dets(box_at(100), box_at(400))
    _, out = run(frames)
    assert set(out.track_id.tolist()) == {0}


def test_first_frames_are_back_filled_after_confirmation() -> None:
    _, out = run([Detections.empty()] * 5 + [dets(box_at(100)) for _ in range(10)], confirm_hits=3)
    assert out.frame_index.min() == 5
    assert len(out.frame_index) == 10


def test_ids_are_consecutive_in_order_of_first_appearance() -> None:
    frames = []
    for i in range(40):
        boxes = [box_at(600 - i)]
        if i >= 10:
            boxes.append(box_at(100, y=300))
        if i >= 20:
            boxes.append(box_at(300, y=500))
        frames.append(dets(*boxes))
    _, out = run(frames)
    first = {int(t): int(out.frame_index[out.track_id == t].min()) for t in np.unique(out.track_id)}
    assert sorted(first) == [0, 1, 2]
    assert first[0] < first[1] < first[2]


def test_low_score_detections_extend_a_track_but_do_not_start_one() -> None:
    frames = [dets(box_at(100 + i)) for i in range(10)] + [
        dets(box_at(110 + i), score=0.3) for i in range(10)
    ]
    frames += [dets(box_at(500), score=0.3) for _ in range(10)]  # a weak face alone never becomes a track
    _, out = run(frames, high_threshold=0.5, low_threshold=0.2)
    assert set(out.track_id.tolist()) == {0}
    assert out.frame_index.max() >= 19


def test_detect_every_n_frames_interpolates_between_detections() -> None:
    tracker = FaceTracker(25.0, TrackerConfig(), detect_every=3)
    for i in range(30):
        tracker.update(i, dets(box_at(10 * i)) if i % 3 == 0 else None)
    out = tracker.finish(30)
    assert sorted(out.frame_index.tolist()) == list(range(30))
    x1 = out.xyxy[np.argsort(out.frame_index), 0]
    np.testing.assert_allclose(x1[:28], 10 * np.arange(28), atol=1e-3)  # linear motion is recovered exactly


def test_min_face_ignores_small_faces() -> None:
    frames = [dets(box_at(100, size=20), box_at(400, size=80)) for _ in range(20)]
    _, out = run(frames, min_face=24)
    assert len(np.unique(out.track_id)) == 1
    assert (out.xyxy[:, 2] - out.xyxy[:, 0]).min() >= 24


def test_crossing_faces_keep_their_ids() -> None:
    frames = [dets(box_at(100 + 8 * i, y=100), box_at(500 - 8 * i, y=110)) for i in range(50)]
    _, out = run(frames)
    starts = {int(t): float(out.xyxy[out.track_id == t][0, 0]) for t in np.unique(out.track_id)}
    ends = {int(t): float(out.xyxy[out.track_id == t][-1, 0]) for t in np.unique(out.track_id)}
    assert len(starts) == 2
    for t in starts:
        assert (ends[t] > starts[t]) == (starts[t] < 300)  # each id kept its direction of motion


def test_at_a_shot_cut_no_track_continues_by_position() -> None:
    tracker = FaceTracker(25.0, TrackerConfig())
    for index in range(40):
        tracker.update(index, dets(box_at(200)), new_shot=index == 20)
    out = tracker.finish(40)
    assert tracker.cuts == [20]
    first, second = out.track_id[out.frame_index < 20], out.track_id[out.frame_index >= 20]
    assert set(first.tolist()) == {0} and set(second.tolist()) == {1}
    # Finishing again (e.g. with other stitching thresholds) gives the same answer.
    again = tracker.finish(40)
    assert again.track_id.tolist() == out.track_id.tolist()


def test_across_a_cut_between_detections_boxes_are_held_not_slid() -> None:
    """Detecting every 2nd frame with a cut at an undetected frame: each side keeps its own box."""
    tracker = FaceTracker(25.0, TrackerConfig(), detect_every=2)
    for index in range(40):
        found = (dets(box_at(100)) if index < 21 else dets(box_at(400))) if index % 2 == 0 else None
        tracker.update(index, found, new_shot=index == 21)
    out = tracker.finish(40)
    at = {
        int(f): (int(t), float(x))
        for f, t, x in zip(out.frame_index, out.track_id, out.xyxy[:, 0], strict=True)
    }
    assert at[20] == (0, 100.0)
    assert at[21] == (1, 400.0)  # the new shot's first frame, never seen by the detector, is covered
    assert at[21][0] != at[20][0]


def test_a_face_entering_a_moving_crowd_beside_people_standing_still_is_picked_up() -> None:
    """Scene motion is local: three faces pan left, speeding up to 20 px a frame, while four others stand
    still; a face entering with the moving ones moves 40 px between detector runs (2/3 of its size) and
    is still confirmed, because it starts with its neighbours' motion, not the (still) majority's."""

    def panned(frame: int) -> float:  # how far the pan has gone: speeding up over 10 frames, then steady
        return float(sum(min(20, 2 * f) for f in range(frame)))

    tracker = FaceTracker(25.0, TrackerConfig(), detect_every=2)
    still = [box_at(1400 + 150 * k, 700) for k in range(4)]
    for frame in range(60):
        moving = [box_at(1600 - panned(frame) + 150 * k, 100) for k in range(3)]
        entering = [box_at(1700 - panned(frame) + panned(30), 300)] if frame >= 30 else []
        tracker.update(frame, dets(*still, *moving, *entering) if frame % 2 == 0 else None)
    out = tracker.finish(60)
    newcomer = (out.xyxy[:, 1] > 250) & (out.xyxy[:, 1] < 350)
    assert len(np.unique(out.track_id[newcomer])) == 1
    assert np.unique(out.frame_index[newcomer]).min() == 30  # confirmed, and back-filled to its first frame


def test_expected_boxes_put_unconfirmed_faces_first_then_the_longest_unseen() -> None:
    tracker = FaceTracker(25.0, TrackerConfig())
    for frame in range(5):
        tracker.update(frame, dets(box_at(0.0), box_at(300.0)))
    tracker.update(5, dets(box_at(300.0), box_at(600.0)))  # the first face faint-free gone; a new one
    boxes, confirmed = tracker.expected_boxes(6)
    assert confirmed.tolist() == [False, True, True]
    assert boxes[0].tolist() == list(box_at(600.0))  # the tentative newcomer
    assert boxes[1].tolist() == list(box_at(0.0))  # last seen at frame 4, before the one seen at 5
