"""ticks: how a video's frames map to the JSON's integer ticks and to its fragments.

For a rational frame rate p/q the timescale and interval are chosen so that one frame is a whole number
of ticks (30000/1001 fps -> timescale 30000, interval 1001; 25 fps -> 25000 and 1000), so frame k starts
at exactly k * interval and no rounding error accumulates over long videos.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class TickGrid:
    """How frames map to ticks and fragments for one video."""

    timescale: int  # ticks per second
    interval: int  # ticks per frame
    frames_per_fragment: int


def timescale_for(frame_rate: Fraction) -> tuple[int, int]:
    """(timescale, interval) with interval / timescale == 1 / frame_rate exactly."""
    rate = Fraction(frame_rate)
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {rate}")
    p, q = rate.numerator, rate.denominator
    # Keep NTSC-style rates as published (30000/1001); scale small integers up so ticks are fine-grained.
    k = 1 if p >= 10_000 else 1000
    return p * k, q * k


def tick_grid(frame_rate: Fraction, fragment_seconds: float = 2.0) -> TickGrid:
    if not fragment_seconds > 0:
        raise ValueError(f"fragment length must be positive, got {fragment_seconds}")
    timescale, interval = timescale_for(frame_rate)
    frames = max(1, round(fragment_seconds * float(frame_rate)))
    return TickGrid(timescale, interval, frames)
