"""DetectorSchedule with the real CenterFace: small faces found by the fine passes, at a bounded cost."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from models import CenterFaceDetector, Detections, DetectorSchedule, ScheduleConfig, ScheduledFrame
from tests.support.media import astronaut_face, backdrop, lfw_face, paste, scaled

WIDTH, HEIGHT = 1920, 1080


class CountingDetector:
    """The real detector, counting the images of every inference call (what the budget is about)."""

    def __init__(self, detector: CenterFaceDetector) -> None:
        self.detector = detector
        self.name, self.sha256 = detector.name, detector.sha256
        self.calls: list[int] = []

    def input_shape(self, width: int, height: int) -> tuple[int, int]:
        return self.detector.input_shape(width, height)

    def detect_batch(
        self, images: Sequence[np.ndarray], source_size: tuple[int, int], threshold: float
    ) -> list[Detections]:
        self.calls.append(len(images))
        return self.detector.detect_batch(images, source_size, threshold)

    def detect(self, image_bgr: np.ndarray, threshold: float = 0.5) -> Detections:
        return self.detector.detect(image_bgr, threshold)


@pytest.fixture(scope="module")
def detector() -> CenterFaceDetector:
    return CenterFaceDetector(input_size=480)


def scheduled(frame_bgr: np.ndarray, expected: np.ndarray | None = None) -> ScheduledFrame:
    rgb = np.ascontiguousarray(frame_bgr[:, :, ::-1])
    coarse = cv2.resize(rgb, (480, 270), interpolation=cv2.INTER_AREA)
    boxes = np.zeros((0, 4)) if expected is None else expected
    return ScheduledFrame(coarse, rgb, boxes, np.ones(len(boxes), bool))


def boxes_near(found: Detections, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    centres = (found.xyxy[:, :2] + found.xyxy[:, 2:]) / 2
    inside = (centres[:, 0] > x0) & (centres[:, 0] < x1) & (centres[:, 1] > y0) & (centres[:, 1] < y1)
    near: np.ndarray = found.xyxy[inside & (found.confidence >= 0.5)]
    return near


def small_and_large_faces() -> np.ndarray:
    frame = backdrop(WIDTH, HEIGHT, 60)
    paste(frame, scaled(astronaut_face(), 64), 700, 300)  # head and shoulders: the face is ~30 px high
    paste(frame, lfw_face(2, 300), 1300, 500)  # a 300 px face
    return frame


def test_the_fine_passes_find_a_30_px_face_the_coarse_pass_cannot_trust(detector: CenterFaceDetector) -> None:
    frame = small_and_large_faces()
    coarse_only = DetectorSchedule(detector, (WIDTH, HEIGHT), 25.0, 2, ScheduleConfig(fine_size=0))
    schedule = DetectorSchedule(detector, (WIDTH, HEIGHT), 25.0, 2, ScheduleConfig(scan_seconds=0.1))
    assert not coarse_only.active and schedule.active
    before = coarse_only.detect([scheduled(frame)], 0.2, 0.6)[0]
    after = schedule.detect([scheduled(frame)], 0.2, 0.6)[0]
    assert len(boxes_near(before, 690, 290, 780, 380)) == 0  # too faint to trust at 480 px
    small = boxes_near(after, 690, 290, 780, 380)
    assert len(small) == 1 and 20 <= small[0][3] - small[0][1] <= 40
    assert len(boxes_near(after, 1300, 500, 1600, 800)) == 1  # the large face, from the coarse pass


def test_a_face_split_by_a_tile_edge_comes_back_as_one_detection(detector: CenterFaceDetector) -> None:
    schedule = DetectorSchedule(detector, (WIDTH, HEIGHT), 25.0, 2, ScheduleConfig(scan_seconds=0.1))
    first, second = schedule.tiles[0], schedule.tiles[1]
    assert first.x1 > second.x0  # they overlap
    frame = backdrop(WIDTH, HEIGHT, 100)
    face = scaled(astronaut_face(), 110)  # ~50 px face, its centre on the first tile's right edge
    paste(frame, face, first.x1 - face.shape[1] // 2, first.y0 + 200)
    found = schedule.detect([scheduled(frame)], 0.2, 0.6)[0]
    near = boxes_near(found, first.x1 - 80, first.y0 + 180, first.x1 + 80, first.y0 + 330)
    assert len(near) == 1
    assert near[0][0] < first.x1 < near[0][2]  # the whole face, not the half the first tile saw


def test_windows_per_frame_never_exceed_the_budget(detector: CenterFaceDetector) -> None:
    counting = CountingDetector(detector)
    config = ScheduleConfig(scan_seconds=0.5, max_windows=6)
    schedule = DetectorSchedule(counting, (WIDTH, HEIGHT), 25.0, 2, config)
    rng = np.random.default_rng(1)
    frame = backdrop(WIDTH, HEIGHT, 30)
    for x, y in rng.uniform(0, 1, (40, 2)) * [WIDTH - 60, HEIGHT - 60]:
        paste(frame, scaled(astronaut_face(), 56), int(x), int(y))  # 40 small faces
    expected = np.array([[x, y, x + 25, y + 30] for x, y in rng.uniform(0, 1, (40, 2)) * [1800, 1000]])
    for _ in range(6):
        counting.calls.clear()
        schedule.detect([scheduled(frame, expected), scheduled(frame, expected)], 0.2, 0.6)
        coarse, *fine = counting.calls
        assert coarse == 2 and len(fine) <= 2  # three inference calls at most: coarse, tiles, regions
        assert sum(fine) <= 2 * config.max_windows  # the budget, per frame of the batch
    assert schedule.windows_run > 0


def test_small_frames_run_at_their_own_resolution_with_no_fine_passes(detector: CenterFaceDetector) -> None:
    counting = CountingDetector(detector)
    schedule = DetectorSchedule(counting, (320, 240), 25.0, 2)
    assert not schedule.active and schedule.tiles == []
    frame = cv2.resize(small_and_large_faces(), (320, 240))
    rgb = np.ascontiguousarray(frame[:, :, ::-1])
    schedule.detect([ScheduledFrame(rgb, rgb, np.zeros((0, 4)), np.zeros(0, bool))], 0.2, 0.6)
    assert counting.calls == [1]
