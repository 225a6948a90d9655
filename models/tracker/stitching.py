"""Offline re-identification: tracklets of one face, seen apart in time, merged by appearance."""

from __future__ import annotations

import numpy as np

from models.tracker.appearance import distance, mean_descriptor
from models.tracker.track import Track


def stitch(
    tracks: list[Track], max_distance: float, relative: float = 0.5, ceiling: float = 0.3
) -> list[Track]:
    """Merge tracklets of the same face, seen apart in time, by appearance (offline, at the end).

    Agglomerative: repeatedly merge the two most alike groups whose tracklets never share a frame. Two
    groups merge when their mean descriptors are within ``max_distance``, or, up to ``ceiling``, when they
    are at most ``relative`` times as far apart as the nearest face on screen together with either of
    them (certainly another person): that scale says how different people look in this video, which is
    what lets a face be re-linked across a shot cut where lighting and size change.
    """
    groups = [[t] for t in tracks if t.descriptors]
    loose = [t for t in tracks if not t.descriptors]
    means = [_mean_descriptor(g) for g in groups]
    while len(groups) > 1:
        n = len(groups)
        dist = np.full((n, n), np.inf)
        apart = np.zeros((n, n), bool)
        for i in range(n):
            for j in range(i + 1, n):
                dist[i, j] = dist[j, i] = distance(means[i], means[j])
                apart[i, j] = apart[j, i] = not _overlap(groups[i], groups[j])
        others = np.where(apart | np.eye(n, dtype=bool), np.inf, dist).min(axis=1)  # nearest co-visible face
        best, pair = np.inf, None
        for i in range(n):
            for j in range(i + 1, n):
                if not apart[i, j]:
                    continue
                d, scale = dist[i, j], min(others[i], others[j])
                alike = d <= max_distance or (d <= ceiling and d <= relative * scale)
                if alike and d < best:
                    best, pair = d, (i, j)
        if pair is None:
            break
        i, j = pair
        groups[i] = groups[i] + groups[j]
        means[i] = _mean_descriptor(groups[i])
        del groups[j], means[j]
    return [_merge(g) for g in groups] + loose


def _mean_descriptor(group: list[Track]) -> np.ndarray:
    return mean_descriptor([d for t in group for d in t.descriptors])


def _overlap(a: list[Track], b: list[Track]) -> bool:
    return any(x.frames[0] <= y.frames[-1] and y.frames[0] <= x.frames[-1] for x in a for y in b)


def _merge(group: list[Track]) -> Track:
    if len(group) == 1:
        return group[0]
    group = sorted(group, key=lambda t: t.frames[0])
    merged = group[0]
    for other in group[1:]:
        merged.frames += other.frames
        merged.boxes += other.boxes
        merged.scores += other.scores
        merged.marks += other.marks
        merged.descriptors += other.descriptors
    return merged
