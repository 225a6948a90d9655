"""``match``: as optimal among gated pairs as scipy's Hungarian solver, without importing scipy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from models.tracker.matching import match


def reference_total(iou: np.ndarray, min_iou: float) -> float:
    """Total IoU of scipy's assignment restricted to gated pairs: gated-out entries zeroed, then dropped."""
    if iou.size == 0:
        return 0.0
    gated = np.where(iou >= min_iou, iou, 0.0)
    rows, cols = linear_sum_assignment(gated, maximize=True)
    return float(sum(iou[r, c] for r, c in zip(rows, cols, strict=True) if iou[r, c] >= min_iou))


def random_iou(rng: np.random.Generator) -> np.ndarray:
    rows_n, cols_n = (int(n) for n in rng.integers(0, 13, size=2))
    density = rng.choice([0.05, 0.15, 0.3, 0.6, 1.0])
    values = rng.random((rows_n, cols_n))
    return np.where(rng.random((rows_n, cols_n)) < density, values, 0.0)


def check(iou: np.ndarray, min_iou: float) -> None:
    pairs, left_rows, left_cols = match(iou, min_iou)
    rows_n, cols_n = iou.shape
    assert pairs == sorted(pairs)
    assert all(iou[r, c] >= min_iou for r, c in pairs)
    used_rows = [r for r, _ in pairs]
    used_cols = [c for _, c in pairs]
    assert len(set(used_rows)) == len(used_rows)
    assert len(set(used_cols)) == len(used_cols)
    assert left_rows == [r for r in range(rows_n) if r not in set(used_rows)]
    assert left_cols == [c for c in range(cols_n) if c not in set(used_cols)]
    total = float(sum(iou[r, c] for r, c in pairs))
    assert total == pytest.approx(reference_total(iou, min_iou), abs=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_random_sparse_matrices_match_scipy_total(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(300):
        check(random_iou(rng), float(rng.choice([0.0, 0.1, 0.2, 0.3, 0.5, 0.9])))


def test_large_dense_component_falls_back_to_scipy() -> None:
    rng = np.random.default_rng(123)
    for shape in [(7, 7), (8, 20), (20, 8), (12, 12), (40, 30)]:
        check(rng.random(shape), 0.05)


def test_empty_and_all_gated_out() -> None:
    assert match(np.zeros((0, 3)), 0.2) == ([], [], [0, 1, 2])
    assert match(np.zeros((2, 0)), 0.2) == ([], [0, 1], [])
    assert match(np.full((2, 2), 0.1), 0.2) == ([], [0, 1], [0, 1])


def test_prefers_total_over_the_single_best_pair() -> None:
    # Greedy would take (0, 0) = 0.9 and leave 0.9 total; the optimum is 0.8 + 0.8.
    iou = np.array([[0.9, 0.8], [0.8, 0.0]])
    assert match(iou, 0.2) == ([(0, 1), (1, 0)], [], [])


def test_typical_match_does_not_import_scipy() -> None:
    code = (
        "import sys; from models.tracker.matching import match; import numpy as np; "
        "match(np.array([[0.9,0.0],[0.0,0.8]]),0.2); print('scipy.optimize' in sys.modules)"
    )
    root = Path(__file__).parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"
