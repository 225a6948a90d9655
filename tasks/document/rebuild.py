"""rebuild: a per-video JSON back into arrays, and rows of the lake back into the JSON.

The lake must agree with the JSON to the last digit: ``events_of`` reads a document's face events so
normalize can check them against the tracks, and ``document_from_rows`` lays a ``videos`` row and its
``face_events`` rows out again through the same ``assemble`` that wrote the original, so the result
equals the JSON that was written (same keys, same order, same numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from tasks.document.build import assemble
from tasks.document.ticks import TickGrid

if TYPE_CHECKING:
    import polars as pl


def events_of(document: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Every face event of a (contract-checked) document as arrays: frame_index, face_id, box (N, 4)."""
    frame_index: list[int] = []
    face_id: list[int] = []
    box: list[tuple[float, float, float, float]] = []
    frame = 0
    for fragment in document["fragments"]:
        if "events" not in fragment:
            frame += _frames_in(fragment, document)
            continue
        for event in fragment["events"]:
            for face in event:
                frame_index.append(frame)
                face_id.append(face["id"])
                box.append((face["x"], face["y"], face["width"], face["height"]))
            frame += 1
    return {
        "frame_index": np.asarray(frame_index, np.int64),
        "face_id": np.asarray(face_id, np.int64),
        "box": np.asarray(box, np.float64).reshape(len(box), 4),
    }


def _frames_in(fragment: Mapping[str, Any], document: Mapping[str, Any]) -> int:
    """Frames in a face-free fragment (no interval given): its duration over one frame's ticks."""
    ticks_per_frame = float(document["timescale"]) / float(document["framerate"])
    return round(float(fragment["duration"]) / ticks_per_frame)


def document_from_rows(video: Mapping[str, Any], face_events: pl.DataFrame) -> dict[str, Any]:
    """Rebuild the per-video JSON from a ``videos`` row and that video's ``face_events`` rows."""
    events = face_events.sort(["frame_index", "face_id"])
    grid = TickGrid(int(video["timescale"]), int(video["interval_ticks"]), int(video["frames_per_fragment"]))
    return assemble(
        frame_index=events["frame_index"].to_numpy(),
        face_ids=events["face_id"].to_list(),
        boxes=[list(row) for row in events.select("x", "y", "width", "height").iter_rows()],
        grid_frames=int(video["grid_frame_count"]),
        grid=grid,
        frame_rate=float(video["frame_rate"]),
        width=int(video["width"]),
        height=int(video["height"]),
    )
