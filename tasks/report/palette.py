"""palette: one colour per face id, the same in the gallery, the timeline and the contact sheet, so an
id is recognised at a glance across the page."""

from __future__ import annotations

# Okabe-Ito-like colours, distinguishable with the common colour-vision deficiencies; ids beyond repeat.
COLOURS = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#999999",
           "#117733", "#882255")  # fmt: skip


def colour_hex(face_id: int) -> str:
    """The id's colour as CSS ``#rrggbb``."""
    return COLOURS[face_id % len(COLOURS)]


def colour_bgr(face_id: int) -> tuple[int, int, int]:
    """The id's colour as OpenCV's (blue, green, red)."""
    value = colour_hex(face_id)
    red, green, blue = (int(value[i : i + 2], 16) for i in (1, 3, 5))
    return blue, green, red
