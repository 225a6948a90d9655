"""Offline stitching on tracklets with made-up embeddings: what may merge, and what never does."""

from __future__ import annotations

import numpy as np

from models.tracker.kalman import BoxKalman
from models.tracker.stitching import stitch
from models.tracker.track import Track

RNG = np.random.default_rng(3)
PEOPLE = {name: v / np.linalg.norm(v) for name, v in zip("ABCD", RNG.normal(size=(4, 128)), strict=True)}


def face(person: str, noise: float = 0.3) -> np.ndarray:
    """An embedding of ``person``: their direction plus noise (cosine ~0.9 between two looks at noise 0.3)."""
    v = PEOPLE[person] + noise * RNG.normal(size=128) / np.sqrt(128)
    unit: np.ndarray = (v / np.linalg.norm(v)).astype(np.float32)
    return unit


def tracklet(key: int, first: int, last: int, person: str | None, looks: int = 3, x: float = 100.0) -> Track:
    box = np.array([x, 100.0, x + 60, 160.0])
    track = Track(key=key, kalman=BoxKalman(box), last_frame=first, last_box=box, confirmed=True)
    for frame in range(first, last + 1):
        track.record(frame, box, 0.9, np.zeros((5, 2)))
    if person is not None:
        track.embeddings = [face(person) for _ in range(looks)]
    return track


def people(groups: list[Track], tracklets: list[Track]) -> list[list[int]]:
    """Which tracklet keys ended up in each output track (by the frames they hold)."""
    out = []
    for group in groups:
        frames = set(group.frames)
        out.append(sorted(t.key for t in tracklets if set(t.frames) <= frames))
    return sorted(out)


def test_tracklets_of_one_person_apart_in_time_merge_and_others_do_not() -> None:
    tracks = [tracklet(0, 0, 20, "A"), tracklet(1, 40, 60, "B"), tracklet(2, 80, 100, "A")]
    assert people(stitch(tracks, 0.55, 0.1), tracks) == [[0, 2], [1]]


def test_tracklets_on_screen_together_never_merge_however_alike() -> None:
    tracks = [tracklet(0, 0, 50, "A"), tracklet(1, 30, 80, "A", x=400)]
    assert people(stitch(tracks, 0.55, 0.1), tracks) == [[0], [1]]


def test_a_tracklet_without_trusted_embeddings_never_merges_by_embedding() -> None:
    tracks = [tracklet(0, 0, 20, "A"), tracklet(1, 60, 80, None)]
    assert people(stitch(tracks, 0.55, 0.1), tracks) == [[0], [1]]


def test_a_face_that_looks_like_two_people_known_to_differ_merges_with_neither() -> None:
    # A and "A twin" are on screen together, so they are two people; a later face as alike to both is
    # ambiguous, and a merge that is not clearly right is not made.
    twin = tracklet(1, 5, 55, None, x=400)
    twin.embeddings = [face("A") for _ in range(3)]
    tracks = [tracklet(0, 0, 50, "A"), twin, tracklet(2, 90, 120, "A")]
    assert people(stitch(tracks, 0.55, 0.1), tracks) == [[0], [1], [2]]


def test_a_lone_face_lost_for_a_frame_continues_without_embeddings_but_not_across_a_cut() -> None:
    tracks = [tracklet(0, 0, 20, None), tracklet(1, 22, 40, None, x=300)]
    assert people(stitch(tracks, 0.55, 0.1, max_gap=4), tracks) == [[0, 1]]
    assert people(stitch(tracks, 0.55, 0.1, max_gap=4, cuts=[21]), tracks) == [[0], [1]]
    # With someone else on screen at that moment, the new face may be theirs.
    crowd = [*tracks, tracklet(2, 10, 30, None, x=600)]
    assert people(stitch(crowd, 0.55, 0.1, max_gap=4), crowd) == [[0], [1], [2]]


def test_stitching_leaves_the_tracklets_as_they_were() -> None:
    tracks = [tracklet(0, 0, 20, "A"), tracklet(1, 40, 60, "A")]
    first = stitch(tracks, 0.55, 0.1)
    assert len(first) == 1 and len(tracks[0].frames) == 21 and len(tracks[1].frames) == 21
    assert len(stitch(tracks, 0.55, 0.1)[0].frames) == 42
