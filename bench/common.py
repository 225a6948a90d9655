"""Shared helpers for the benchmarks: where ../shared/data is, and a stopwatch for peak memory."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
TRACKING = os.path.join(SHARED_DATA, "corpus", "dev", "tracking")
FDDB = os.path.join(SHARED_DATA, "corpus", "dev", "detection", "fddb")
OUT = os.path.join(ROOT, "bench", "out")


def require_shared() -> None:
    if not os.path.isdir(TRACKING):
        sys.exit(f"benchmark needs the ground-truthed data at {SHARED_DATA} (not present on this machine)")
    if SHARED_DATA not in sys.path:
        sys.path.insert(0, SHARED_DATA)
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    os.makedirs(OUT, exist_ok=True)


def tracking_clips() -> list[str]:
    return sorted(name[: -len(".mp4")] for name in os.listdir(TRACKING) if name.endswith(".mp4"))
