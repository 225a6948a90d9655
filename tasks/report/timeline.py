"""timeline: one row per face id, bars where it is on screen, as inline SVG drawn on the server.

"When is who on screen" is a picture, not a table: Azure Video Indexer's people timeline. SVG keeps it
sharp at any zoom and needs no script; each bar carries a ``<title>``, which browsers show on hover.
Shot cuts are vertical lines when the source knows them; stretches the tracker filled in (the detector
did not see the face there) are drawn pale when the source says which frames those are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models import Detections
from tasks.report.html import esc
from tasks.report.palette import colour_hex
from tasks.video.shots import Shot

LEFT = 64  # px for the id labels
PLOT = 900  # px of timeline
ROW = 22
AXIS = 24
STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_TICKS = 12


@dataclass(frozen=True)
class Run:
    """Consecutive frames of one id: first and last slot inclusive, and whether the detector saw it
    there (None: unknown)."""

    first: int
    last: int
    detected: bool | None


def runs_of(frames: np.ndarray, observed: np.ndarray | None, detect_every: int = 1) -> list[Run]:
    """The id's frames (sorted) as runs. With ``observed``, a run of unseen frames shorter than
    ``detect_every`` is part of the detected stretch around it: those are the frames the detector
    skips by design, not a face it lost."""
    if len(frames) == 0:
        return []
    breaks = np.flatnonzero(np.diff(frames) != 1) + 1
    out: list[Run] = []
    for chunk in np.split(np.arange(len(frames)), breaks):
        if observed is None:
            out.append(Run(int(frames[chunk[0]]), int(frames[chunk[-1]]), None))
            continue
        out.extend(_by_detection(frames[chunk], observed[chunk], detect_every))
    return out


def _by_detection(frames: np.ndarray, seen: np.ndarray, detect_every: int) -> list[Run]:
    flags = seen.astype(bool).copy()
    changes = np.flatnonzero(np.diff(flags.astype(np.int8)) != 0) + 1
    pieces = np.split(np.arange(len(frames)), changes)
    for piece in pieces:  # short unseen runs between seen frames are the detector's own skipping
        if (
            not flags[piece[0]]
            and len(piece) < max(1, detect_every)
            and piece[0] > 0
            and piece[-1] < len(frames) - 1
        ):
            flags[piece] = True
    changes = np.flatnonzero(np.diff(flags.astype(np.int8)) != 0) + 1
    return [
        Run(int(frames[p[0]]), int(frames[p[-1]]), bool(flags[p[0]]))
        for p in np.split(np.arange(len(frames)), changes)
    ]


def tick_step(duration: float) -> float:
    """The smallest round step that puts at most ``MAX_TICKS`` ticks on the axis."""
    for step in STEPS:
        if duration / step <= MAX_TICKS:
            return step
    return float(np.ceil(duration / MAX_TICKS / 3600) * 3600)


def timeline_svg(
    tracks: Detections,
    grid_frames: int,
    frame_rate: float,
    shots: list[Shot] | None,
    detected_known: bool,
    detect_every: int = 1,
) -> str:
    """The whole timeline: an axis in seconds, a row per id, shot cuts across all rows."""
    ids = [int(i) for i in np.unique(tracks.track_id)]
    height = AXIS + ROW * max(1, len(ids)) + 4
    width = LEFT + PLOT + 16
    frames = max(1, grid_frames)

    def x(frame: float) -> float:
        return LEFT + PLOT * frame / frames

    # Inline SVG in HTML5 needs no xmlns: the page carries no URL at all, not even a namespace.
    parts = [
        f'<svg class="timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="who is on screen when">'
    ]
    parts.append(_axis(frames / frame_rate, frame_rate, x, height))
    for row, face in enumerate(ids):
        rows = tracks.track_id == face
        order = np.argsort(tracks.frame_index[rows], kind="stable")
        face_frames = tracks.frame_index[rows][order]
        observed = tracks.observed[rows][order] if detected_known else None
        runs = runs_of(face_frames, observed, detect_every)
        parts.append(_row(face, row, runs, frame_rate, x))
    for shot in shots or []:
        if shot.index > 0:
            sx = x(shot.first_frame)
            parts.append(
                f'<line class="shot-cut" x1="{sx:.1f}" y1="{AXIS - 6}" x2="{sx:.1f}" y2="{height}" '
                f'stroke="#b00020" stroke-dasharray="3 2"><title>shot {shot.index} starts at '
                f"{shot.start_seconds:.2f} s</title></line>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _axis(duration: float, frame_rate: float, x: Callable[[float], float], height: int) -> str:
    step = tick_step(duration)
    out = []
    t = 0.0
    while t <= duration + 1e-9:
        tx = x(t * frame_rate)
        out.append(
            f'<line x1="{tx:.1f}" y1="{AXIS - 4}" x2="{tx:.1f}" y2="{height}" stroke="#eee"/>'
            f'<text x="{tx:.1f}" y="{AXIS - 8}" font-size="11" text-anchor="middle" fill="#555">'
            f"{esc(_seconds_label(t))}</text>"
        )
        t += step
    return "".join(out)


def _seconds_label(t: float) -> str:
    if t >= 60:
        return f"{int(t // 60)}:{int(t % 60):02d}"
    return f"{t:g} s"


def _row(face: int, row: int, runs: list[Run], frame_rate: float, x: Callable[[float], float]) -> str:
    y = AXIS + row * ROW
    colour = colour_hex(face)
    bars = []
    for run in runs:
        x0, x1 = x(run.first), x(run.last + 1)
        kind = {None: "on", True: "detected", False: "interpolated"}[run.detected]
        opacity = "0.35" if run.detected is False else "1"
        label = f"id {face}: {run.first / frame_rate:.2f}-{(run.last + 1) / frame_rate:.2f} s"
        if run.detected is False:
            label += " (filled in by the tracker)"
        bars.append(
            f'<rect class="bar {kind}" x="{x0:.2f}" y="{y + 4}" width="{max(0.8, x1 - x0):.2f}" '
            f'height="{ROW - 8}" fill="{colour}" fill-opacity="{opacity}"><title>{esc(label)}</title></rect>'
        )
    return (
        f'<g class="timeline-row" id="row-{face}"><text x="{LEFT - 8}" y="{y + ROW - 7}" font-size="12" '
        f'text-anchor="end">id {face}</text>{"".join(bars)}</g>'
    )
