"""The detector's memory bound: no inference call, and no plan for a huge frame, exceeds its pixel budget."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models import CenterFaceDetector, DetectorSchedule, ScheduleConfig
from models.detector.centerface import (
    BATCH_PIXELS,
    LARGE_FRAME,
    MAX_PIXELS,
    bounded_shape,
    coarse_budget,
    padded_pixels,
)

SIZES = [(640, 360), (1920, 1080), (1080, 1920), (3840, 2160), (7680, 4320), (8000, 8000), (16384, 16384)]


@pytest.fixture(scope="module")
def full_resolution() -> CenterFaceDetector:
    return CenterFaceDetector(input_size=0)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_whole_frame_pass_fits_the_budget_at_any_frame_size(
    full_resolution: CenterFaceDetector, width: int, height: int
) -> None:
    shape = full_resolution.input_shape(width, height)
    assert padded_pixels(*shape) <= coarse_budget(width, height) <= MAX_PIXELS
    assert shape[0] / shape[1] == pytest.approx(width / height, rel=0.01)  # scaled, not stretched


def test_full_resolution_up_to_1080p_is_unchanged(full_resolution: CenterFaceDetector) -> None:
    assert full_resolution.input_shape(1920, 1080) == (1920, 1080)
    assert full_resolution.input_shape(1080, 1920) == (1080, 1920)
    assert CenterFaceDetector(input_size=480).input_shape(3840, 2160) == (480, 270)
    assert bounded_shape(100_000, 64)[1] >= 1


def test_an_8000_px_frame_is_capped_and_its_fine_passes_cover_it(full_resolution: CenterFaceDetector) -> None:
    schedule = DetectorSchedule(full_resolution, (8000, 8000), 25.0, 2, ScheduleConfig())
    coarse = full_resolution.input_shape(8000, 8000)
    assert padded_pixels(*coarse) <= 1_100_000  # 8000x8000 asked 64 Mpx of a pass: ~20 GiB
    # The fine passes see what the coarse pass cannot, at up to LARGE_FRAME pixels of picture.
    assert schedule.active and schedule.fine_shape == (4000, 4000)
    assert schedule.fine_shape[0] * schedule.fine_shape[1] <= LARGE_FRAME
    assert schedule.capped.startswith(f"input size capped at {max(coarse)} px for 8000x8000")
    assert "fine tiles at 4000 px" in schedule.capped
    covered = np.zeros((8000 // 50, 8000 // 50), bool)  # every part of the frame is some tile's
    for tile in schedule.tiles:
        assert padded_pixels(*tile.input_size) <= BATCH_PIXELS
        covered[tile.y0 // 50 : -(-tile.y1 // 50), tile.x0 // 50 : -(-tile.x1 // 50)] = True
    assert covered.all()
    assert schedule.tile_rate <= ScheduleConfig().max_windows  # windows per frame are bounded too


def test_a_4k_frame_at_full_resolution_gets_its_fine_passes_at_full_resolution(
    full_resolution: CenterFaceDetector,
) -> None:
    schedule = DetectorSchedule(full_resolution, (3840, 2160), 25.0, 2, ScheduleConfig())
    assert schedule.active and schedule.fine_scale == 1.0 and "fine tiles at 3840 px" in schedule.capped
    explicit = DetectorSchedule(full_resolution, (8000, 8000), 25.0, 2, ScheduleConfig(fine_size=8000))
    assert explicit.fine_scale == 1.0  # a fine size asked for is kept


def test_an_uncapped_pass_says_nothing(full_resolution: CenterFaceDetector) -> None:
    assert DetectorSchedule(full_resolution, (1920, 1080), 25.0).capped == ""
    default = CenterFaceDetector(input_size=480)
    schedule = DetectorSchedule(default, (8000, 8000), 25.0)
    assert schedule.capped == "" and schedule.fine_shape == (1920, 1920)  # the defaults, as before


def test_no_fine_passes_are_said_to_be_missing_when_capped(full_resolution: CenterFaceDetector) -> None:
    schedule = DetectorSchedule(full_resolution, (3840, 2160), 25.0, 2, ScheduleConfig(fine_size=0))
    assert not schedule.active and "no fine passes" in schedule.capped


class RecordingSession:
    """The real onnxruntime session, recording the input pixels of every call."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.pixels: list[int] = []

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> Any:
        (blob,) = feeds.values()
        self.pixels.append(int(blob.shape[0] * blob.shape[2] * blob.shape[3]))
        return self.session.run(outputs, feeds)

    def get_providers(self) -> list[str]:
        return list(self.session.get_providers())


def test_a_batch_is_split_into_calls_within_the_budget_with_the_same_boxes() -> None:
    from skimage import data

    detector = CenterFaceDetector(input_size=0)
    recording = RecordingSession(detector.session)
    detector.session = recording
    image = np.ascontiguousarray(data.astronaut())  # 512x512 RGB, one face
    found = detector.detect_batch([image] * 10, (512, 512), 0.5)
    assert len(recording.pixels) == 3 and max(recording.pixels) <= BATCH_PIXELS  # 4 + 4 + 2 images
    single = detector.detect_batch([image], (512, 512), 0.5)[0]
    for each in found:
        np.testing.assert_allclose(each.xyxy, single.xyxy, atol=1e-3)


def test_an_image_larger_than_the_budget_is_shrunk_and_its_boxes_map_back() -> None:
    import cv2
    from skimage import data

    detector = CenterFaceDetector(input_size=0)
    recording = RecordingSession(detector.session)
    detector.session = recording
    huge = cv2.resize(np.ascontiguousarray(data.astronaut()), (2560, 2560))  # the face is 5x as large
    found = detector.detect_batch([huge], (2560, 2560), 0.5)[0]
    assert recording.pixels == [padded_pixels(*bounded_shape(2560, 2560))]
    assert len(found) == 1
    x1, y1, x2, y2 = found.xyxy[0] / 5
    assert 160 < x1 < 200 and 30 < y1 < 80 and 250 < x2 < 300 and 160 < y2 < 200
