"""Masks from a JSON: every frame covered, widened by motion, carried on past a track's ends."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from tasks.document.build import assemble
from tasks.document.ticks import tick_grid
from tasks.redact import masks_from_document


def document(frames: range, width: int = 640, height: int = 360) -> dict:
    """One face moving right 10 px a frame on ``frames`` of a 40-frame, 25 fps video; a 40 px box."""
    grid = tick_grid(Fraction(25), 2.0)
    boxes = [[(100 + 10 * (f - frames[0])) / width, 100 / height, 40 / width, 40 / height] for f in frames]
    return assemble(
        frame_index=np.asarray(list(frames)),
        face_ids=[0] * len(frames),
        boxes=boxes,
        grid_frames=40,
        grid=grid,
        frame_rate=25.0,
        width=width,
        height=height,
    )


def test_a_moving_face_is_covered_before_and_after_it_was_seen_and_where_it_went() -> None:
    masks = masks_from_document(document(range(10, 21)), margin=0.25, grid_frames=40)
    covered = sorted(masks.boxes)
    assert covered == list(range(5, 26))  # 0.2 s (5 frames) before the first box and after the last
    seen = masks.on(10)[0]
    assert seen[0] <= 100 - 10 - 10 and seen[2] >= 140 + 10 + 10  # margin 10 px + motion 10 px
    before, after = masks.on(7)[0], masks.on(23)[0]
    assert before[0] < seen[0] - 20  # carried back the way the face came ...
    assert after[2] > masks.on(20)[0][2] + 20  # ... and on the way it went
    assert masks.face_ids == frozenset({0})


def test_ids_chosen_and_spared() -> None:
    doc = document(range(0, 5))
    assert masks_from_document(doc, only=[1]).frames == 0
    assert masks_from_document(doc, keep=[0]).frames == 0
    assert masks_from_document(doc, only=[0]).frames > 0
