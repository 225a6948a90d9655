"""Windows of a frame: tiles cover it, regions hold their face, detections come back whole and once."""

from __future__ import annotations

import numpy as np
import pytest

from models import Detections
from models.detector.windows import Window, crop, merge, region_window, tile_grid, to_frame


@pytest.mark.parametrize(
    ("width", "height", "scale"), [(1920, 1080, 1.0), (3840, 2160, 0.5), (1280, 720, 1.0), (1080, 1920, 1.0)]
)
def test_tiles_cover_the_frame_and_overlap_enough_to_hold_a_face_whole(
    width: int, height: int, scale: float
) -> None:
    tiles = tile_grid(width, height, scale, tile=576, overlap=64)
    covered = np.zeros((height, width), bool)
    for tile in tiles:
        covered[tile.y0 : tile.y1, tile.x0 : tile.x1] = True
    assert covered.all()
    assert len({t.input_size for t in tiles}) == 1  # one batch shape
    assert all(side % 32 == 0 for side in tiles[0].input_size)
    # Any 64-input-px square lies whole inside some tile.
    side = 64 / scale
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(0, 1, (200, 2)) * [width - side, height - side]:
        assert any(t.x0 <= x and t.y0 <= y and x + side <= t.x1 and y + side <= t.y1 for t in tiles)
    pixels = sum(t.input_size[0] * t.input_size[1] for t in tiles)
    assert pixels < 1.4 * width * height * scale**2  # the overlap costs little


def test_a_frame_smaller_than_a_tile_is_one_tile() -> None:
    assert tile_grid(320, 240, 1.0, tile=576, overlap=64) == [Window(0, 0, 320, 240, 1.0)]


def test_a_region_shows_a_small_face_enlarged_and_stays_inside_the_frame() -> None:
    box = np.array([5.0, 1000.0, 21.0, 1016.0])  # a 16 px face in the bottom-left corner
    window = region_window(box, 1920, 1080, size=128, face_px=40, max_scale=2.5)
    assert window.scale == pytest.approx(2.5, rel=0.02)  # enlarged as far as allowed
    assert 0 <= window.x0 <= box[0] and box[2] <= window.x1 <= 1920
    assert 0 <= window.y0 <= box[1] and box[3] <= window.y1 <= 1080
    big = region_window(np.array([800.0, 400.0, 880.0, 480.0]), 1920, 1080, 128, 40, 2.5)
    assert big.scale == pytest.approx(0.5, rel=0.02)  # an 80 px face is shown 40 px high


def test_crop_pads_to_the_batch_shape() -> None:
    image = np.full((100, 200, 3), 7, np.uint8)
    out = crop(image, 1.0, Window(150, 50, 200, 100, 1.0), (64, 64))
    assert out.shape == (64, 64, 3)
    assert (out[:50, :50] == 7).all() and (out[50:, :] == 0).all()


def test_boxes_cut_by_an_inner_window_edge_are_dropped_those_at_the_frame_edge_kept() -> None:
    window = Window(100, 0, 300, 200, 1.0)  # inner edges left (x=100) and right (x=300)
    found = Detections([[0, 50, 30, 90], [80, 50, 120, 90], [150, 0, 179, 30]], [0.9, 0.9, 0.9])
    moved = to_frame(found, window, 400, 200)
    # the first touches x=100 (inner, cut); the second is whole inside; the third touches the top edge
    # of the frame, which explains a partial face, so it stays.
    assert moved.xyxy.tolist() == [[180, 50, 220, 90], [250, 0, 279, 30]]


def test_merge_keeps_one_box_per_face_most_confident_first() -> None:
    parts = [
        Detections([[100, 100, 180, 200]], [0.3]),  # a coarse pass's loose box around a face
        Detections([[110, 110, 170, 190], [400, 100, 440, 150]], [0.8, 0.7]),  # a fine pass's exact ones
        Detections([[110, 110, 140, 190]], [0.6]),  # half the face, from a tile's edge
    ]
    merged = merge(parts)
    assert merged.xyxy.tolist() == [[110, 110, 170, 190], [400, 100, 440, 150]]
    assert merged.confidence.tolist() == pytest.approx([0.8, 0.7])
