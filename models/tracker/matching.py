"""Matching boxes to boxes: a maximum-IoU assignment that leaves weak pairs unmatched (the pairwise IoU
itself is ``models.detections.iou_matrix``, which the detector's schedule uses too)."""

from __future__ import annotations

import numpy as np

from models.detections import iou_matrix

__all__ = ["iou_matrix", "match"]


def match(iou: np.ndarray, min_iou: float) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Maximum-total-IoU assignment among pairs with IoU >= ``min_iou``; the rest are left unmatched.

    Only gated pairs may match (ByteTrack gates the same way, with lap's ``cost_limit``), so the problem
    splits into the connected components of the bipartite graph of gated pairs, and those are nearly always
    tiny: a face overlaps one or two predictions. Small components are solved exactly here in plain Python;
    only a large one needs scipy's Hungarian solver, whose import alone costs most of a second of start-up,
    so it is imported lazily for that case. The usual frame, where no row or column has two gated pairs,
    takes a few numpy calls and no search at all.

    Returns the pairs ``(row, col)`` sorted by row, then the unmatched rows and the unmatched columns, both
    ascending. A pair of zero IoU is never matched: it adds nothing to the total and is no overlap at all.
    """
    rows_n, cols_n = iou.shape
    if rows_n == 0 or cols_n == 0:
        return [], list(range(rows_n)), list(range(cols_n))
    weights = np.asarray(iou, dtype=np.float64)
    gate = (weights >= min_iou) & (weights > 0)  # NaN compares False, so it is never matched either
    gated_rows, gated_cols = np.nonzero(gate)  # row-major, so sorted by row
    edge_rows: list[int] = gated_rows.tolist()
    edge_cols: list[int] = gated_cols.tolist()
    if len(set(edge_rows)) == len(edge_rows) and len(set(edge_cols)) == len(edge_cols):
        pairs = list(zip(edge_rows, edge_cols, strict=True))  # every component is a single pair
    else:
        edge_weights: list[float] = weights[gated_rows, gated_cols].tolist()
        edges = list(zip(edge_rows, edge_cols, edge_weights, strict=True))
        pairs = sorted(pair for component in _components(edges, rows_n) for pair in _solve(component))
    matched_rows = {r for r, _ in pairs}
    matched_cols = {c for _, c in pairs}
    return (
        pairs,
        [r for r in range(rows_n) if r not in matched_rows],
        [c for c in range(cols_n) if c not in matched_cols],
    )


_Edge = tuple[int, int, float]  # (row, col, weight) of a gated pair

# The largest component solved by exact search: the smaller side indexes a bitmask (2**6 states per row),
# the larger side only multiplies the work linearly. Anything bigger goes to scipy.
_EXACT_SMALL_SIDE = 6
_EXACT_LARGE_SIDE = 12


def _components(edges: list[_Edge], rows_n: int) -> list[list[_Edge]]:
    """The edges of each connected component of the bipartite graph (rows, then cols offset by ``rows_n``).

    Union-find in plain Python: the graphs are a handful of edges, where numpy's per-call cost would
    dominate. Rows and columns without a gated pair are in no component; they can only stay unmatched.
    """
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for r, c, _ in edges:
        parent[root(r)] = root(rows_n + c)
    components: dict[int, list[_Edge]] = {}
    for edge in edges:
        components.setdefault(root(edge[0]), []).append(edge)
    return list(components.values())


def _solve(edges: list[_Edge]) -> list[tuple[int, int]]:
    """Maximum-total-weight matching of one connected component, as (row, col) pairs."""
    rows = sorted({r for r, _, _ in edges})
    cols = sorted({c for _, c, _ in edges})
    if len(rows) == 1 or len(cols) == 1:
        # A star: only one pair can match, so the heaviest one is optimal (the first on ties).
        r, c, _ = max(edges, key=lambda edge: edge[2])
        return [(r, c)]
    small, large = sorted((len(rows), len(cols)))
    if small <= _EXACT_SMALL_SIDE and large <= _EXACT_LARGE_SIDE:
        if len(cols) <= len(rows):
            return _exact(edges, rows, cols)
        flipped = [(c, r, w) for r, c, w in edges]
        return [(r, c) for c, r in _exact(flipped, cols, rows)]
    from scipy.optimize import linear_sum_assignment

    # Gated-out entries weigh 0 and gated ones more, so a full Hungarian assignment on these weights, less
    # its zero pairs, is a maximum-weight matching of the gated pairs.
    row_at = {r: i for i, r in enumerate(rows)}
    col_at = {c: j for j, c in enumerate(cols)}
    matrix = np.zeros((len(rows), len(cols)))
    for r, c, w in edges:
        matrix[row_at[r], col_at[c]] = w
    picked_rows, picked_cols = linear_sum_assignment(matrix, maximize=True)
    return [
        (rows[i], cols[j])
        for i, j in zip(picked_rows.tolist(), picked_cols.tolist(), strict=True)
        if matrix[i, j] > 0
    ]


def _exact(edges: list[_Edge], rows: list[int], cols: list[int]) -> list[tuple[int, int]]:
    """Exact maximum-total-weight matching by dynamic programming over rows and the set of used columns.

    ``best(i, used)`` is the heaviest matching of rows ``i..`` into the columns not in the bitmask ``used``
    (bit j for ``cols[j]``); memoized, that is at most ``len(rows) * 2**len(cols)`` states, each trying the
    row's gated columns. A pair is taken only when it strictly raises the total, so ties keep the earlier
    choice and the result is deterministic.
    """
    row_at = {r: i for i, r in enumerate(rows)}
    col_at = {c: j for j, c in enumerate(cols)}
    options: list[list[tuple[int, float]]] = [[] for _ in rows]
    for r, c, w in edges:
        options[row_at[r]].append((col_at[c], w))
    memo: dict[tuple[int, int], tuple[float, tuple[tuple[int, int], ...]]] = {}

    def best(i: int, used: int) -> tuple[float, tuple[tuple[int, int], ...]]:
        if i == len(rows):
            return 0.0, ()
        key = (i, used)
        if key in memo:
            return memo[key]
        total, pairs = best(i + 1, used)
        for j, weight in options[i]:
            if not used >> j & 1:
                rest, rest_pairs = best(i + 1, used | 1 << j)
                if rest + weight > total:
                    total, pairs = rest + weight, ((rows[i], cols[j]), *rest_pairs)
        memo[key] = (total, pairs)
        return total, pairs

    return list(best(0, 0)[1])
