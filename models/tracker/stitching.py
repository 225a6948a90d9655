"""Offline re-identification: tracklets of one person, seen apart in time, merged by face embedding.

Conservative by construction, because a wrong merge gives the user a wrong answer while a missed one
only costs an extra id:

- tracklets ever on screen together are different people and never merge (nor do their groups);
- a tracklet with no embedding that passed the quality gate never merges: nothing vouches for it;
- groups are compared by their templates, as face recognition compares sets of images of one person:
  the mean of a group's embeddings, normalized (an odd embedding — a hand over the face, a turn of the
  head — is outvoted by the rest, where an average over all pairs would be dragged down by it); the most
  alike pair merges first, only at or above ``min_similarity``;
- and only when the match is unambiguous: neither side may look nearly as much (within ``margin``) like
  a third group known to be someone else (on screen with the other side, or unlike it).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from models.tracker.track import Track


def stitch(
    tracks: list[Track],
    min_similarity: float,
    margin: float,
    max_gap: int = 0,
    cuts: list[int] | None = None,
    disagree: float = 0.3,
) -> list[Track]:
    """Merge tracklets of the same person; returns the merged tracks plus every track left alone.

    First lone faces found again right away are joined (``continue_lone_faces``), then tracklets merge by
    embedding.
    """
    tracks = continue_lone_faces(tracks, max_gap, cuts or [], disagree)
    groups = [[t] for t in tracks if t.embeddings]
    loose = [t for t in tracks if not t.embeddings]
    if len(groups) < 2:
        return [_merge(g) for g in groups] + loose
    sums = np.array([np.sum(t.embeddings, axis=0) for g in groups for t in g], np.float64)
    spans = np.array([t.span for g in groups for t in g])
    # apart[i, j]: no tracklet of group i shares a frame with one of group j.
    apart = (spans[:, None, 0] > spans[None, :, 1]) | (spans[None, :, 0] > spans[:, None, 1])
    alive = np.ones(len(groups), bool)
    blocked = np.zeros_like(apart)
    templates = sums / np.maximum(np.linalg.norm(sums, axis=1), 1e-9)[:, None]  # template() of each group
    similarity = templates @ templates.T
    while True:
        candidate = apart & ~blocked & alive[:, None] & alive[None, :] & (similarity >= min_similarity)
        candidate = np.triu(candidate, 1)
        if not candidate.any():
            break
        i, j = np.unravel_index(np.argmax(np.where(candidate, similarity, -np.inf)), similarity.shape)
        if _ambiguous(int(i), int(j), similarity, apart, alive, min_similarity, margin):
            blocked[i, j] = blocked[j, i] = True
            continue
        groups[i] += groups[j]
        sums[i] += sums[j]
        # Only group i changed: its template and its row of similarities, not the whole matrix.
        templates[i] = sums[i] / max(float(np.linalg.norm(sums[i])), 1e-9)
        similarity[i, :] = similarity[:, i] = templates @ templates[i]
        apart[i, :] &= apart[j, :]
        apart[:, i] = apart[i, :]
        blocked[i, :] = blocked[:, i] = False  # the group changed: look at its pairs again
        alive[j] = False
    return [_merge(g) for g, live in zip(groups, alive, strict=True) if live] + loose


def continue_lone_faces(tracks: list[Track], max_gap: int, cuts: list[int], disagree: float) -> list[Track]:
    """Join a tracklet to the one that starts right after it (within ``max_gap`` frames, in the same shot)
    when each is the only face on screen at that moment and no trusted embeddings say otherwise (their
    templates less alike than ``disagree``).

    This is the one merge made without an embedding: a lone face lost for a frame or two (a whip pan, a
    blur) and found again elsewhere can only be itself, however small or blurred it is.
    """
    if max_gap <= 0 or len(tracks) < 2:
        return tracks
    order = sorted(tracks, key=lambda t: t.frames[0])
    merged: list[Track] = []
    for track in order:
        ended = [k for k, a in enumerate(merged) if 0 < track.frames[0] - a.frames[-1] <= max_gap]
        if len(ended) == 1 and _lone_continuation(merged[ended[0]], track, order, max_gap, cuts, disagree):
            merged[ended[0]] = _merge([merged[ended[0]], track])
        else:
            merged.append(track)
    return merged


def _lone_continuation(
    a: Track, b: Track, everyone: list[Track], max_gap: int, cuts: list[int], disagree: float
) -> bool:
    end, start = a.frames[-1], b.frames[0]
    if not 0 < start - end <= max_gap or any(end < cut <= start for cut in cuts):
        return False
    # On screen over the junction: everyone whose span covers it but b and the tracklets ``a`` joined.
    around = [t for t in everyone if t is not b and t.frames[0] <= start and t.frames[-1] >= end]
    mine = set(a.frames)
    if any(not set(t.frames) <= mine for t in around):
        return False  # someone else was on screen: the new face may be theirs
    if a.embeddings and b.embeddings:
        return float(template(a.embeddings) @ template(b.embeddings)) >= disagree
    return True


def template(embeddings: list[np.ndarray]) -> np.ndarray:
    """A tracklet's template, what stitching compares: its mean embedding, normalized."""
    total = np.sum(embeddings, axis=0)
    unit: np.ndarray = total / max(float(np.linalg.norm(total)), 1e-9)
    return unit


def _ambiguous(
    i: int,
    j: int,
    similarity: np.ndarray,
    apart: np.ndarray,
    alive: np.ndarray,
    minimum: float,
    margin: float,
) -> bool:
    """Whether i or j looks nearly as much like a third group known not to be the other side."""
    best = similarity[i, j]
    others = alive.copy()
    others[[i, j]] = False
    for a, b in ((i, j), (j, i)):
        # Known not to be b: on screen with b, or unlike b.
        not_b = others & (~apart[b] | (similarity[b] < minimum))
        if np.any(similarity[a, not_b] > best - margin):
            return True
    return False


def _merge(group: list[Track]) -> Track:
    """One track of a group's sightings, in frame order; the tracklets themselves are left untouched."""
    if len(group) == 1:
        return group[0]
    group = sorted(group, key=lambda t: t.frames[0])
    merged = replace(group[0], frames=[], boxes=[], scores=[], marks=[], embeddings=[])
    for part in group:  # groups never share a frame, so in order of first frame the sightings are in order
        merged.frames += part.frames
        merged.boxes += part.boxes
        merged.scores += part.scores
        merged.marks += part.marks
        merged.embeddings += part.embeddings
    merged.last_frame, merged.last_box = merged.frames[-1], merged.boxes[-1]
    return merged
