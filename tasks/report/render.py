"""render: a ``ReportData`` and its video into the page, and the page onto disk atomically.

The pictures come from one decoding pass (``tasks.report.frames``) that serves the gallery and the
contact sheet together; without a video the page is still written, with the numbers and the timeline
and a note where the pictures would be.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from tasks.document.write import write_text_atomic
from tasks.redact.thumbnails import best_sightings
from tasks.report.contact_sheet import SHEET_FRAMES, annotated_jpeg, contact_sheet_html, sheet_slots
from tasks.report.facts import ReportData, face_summaries
from tasks.report.frames import PassCost, pick_frames
from tasks.report.gallery import gallery_html, thumbnail_jpeg
from tasks.report.html import facts_table, links_html, note, page, section, validation_html
from tasks.report.timeline import timeline_svg
from tasks.video.decode import display_turns
from tasks.video.probe import VideoInfo


@dataclass(frozen=True)
class ReportResult:
    """A written report: where, how many ids, its size, and what its pictures cost."""

    path: str
    faces: int
    size_bytes: int
    frames_pass: PassCost  # the decoding pass for the thumbnails and the contact sheet
    seconds: float  # the whole report, reading the sources included


def render_report(
    data: ReportData, info: VideoInfo | None, sheet_frames: int = SHEET_FRAMES, detect_every: int = 1
) -> tuple[str, PassCost]:
    """The page's HTML, and the cost of the frames pass (zero without a video)."""
    thumbnails, sheet, cost = _pictures(data, info, sheet_frames)
    faces = face_summaries(data.tracks, data.frame_rate, data.confidence_known)
    timeline_notes = []
    if data.shots is None:
        timeline_notes.append("shot cuts unknown (a JSON has none; the lake's shots table has them)")
    if not data.detected_known:
        timeline_notes.append("detected and filled-in frames not told apart (the JSON has no such flag)")
    else:
        timeline_notes.append("pale bars: frames the tracker filled in, the detector did not see the face")
    timeline = timeline_svg(data.tracks, data.grid_frames, data.frame_rate, data.shots, data.detected_known,
                            detect_every) + note("; ".join(timeline_notes) + ".")  # fmt: skip
    sections = [
        section("facts", "Video", facts_table(data.facts)),
        section(
            "gallery",
            f"Faces ({len(faces)} id{'' if len(faces) == 1 else 's'})",
            gallery_html(faces, thumbnails),
        ),
        section("timeline", "Timeline", timeline),
        section("contact-sheet", "Contact sheet", contact_sheet_html(sheet, data.frame_rate)),
        section("validation", "Validation", validation_html(data.validation)),
        section("files", "Files", links_html(data.links)),
    ]
    return page(f"facetrack report: {data.title}", sections), cost


def _pictures(
    data: ReportData, info: VideoInfo | None, sheet_frames: int
) -> tuple[dict[int, bytes], list[tuple[int, bytes, list[int]]], PassCost]:
    """Gallery thumbnails by id and contact-sheet frames, from one pass over the video."""
    if info is None:
        return {}, [], PassCost(0, 0, 0.0)
    tracks, turns = data.tracks, display_turns(info.rotation)
    sightings: dict[int, list[tuple[int, np.ndarray]]] = {}
    for sighting in best_sightings(tracks) if len(tracks) else []:
        sightings.setdefault(sighting.slot, []).append((sighting.face_id, sighting.box))
    sheet_wanted = set(sheet_slots(data.grid_frames, sheet_frames))
    thumbnails: dict[int, bytes] = {}
    sheet: list[tuple[int, bytes, list[int]]] = []

    def take(slot: int, image: np.ndarray) -> None:
        for face, box in sightings.get(slot, []):
            thumbnails[face] = thumbnail_jpeg(image, box, turns)
        if slot in sheet_wanted:
            here = tracks[tracks.frame_index == slot]
            ids = sorted(int(i) for i in here.track_id)
            sheet.append((slot, annotated_jpeg(image, here, turns), ids))

    cost = pick_frames(info, set(sightings) | sheet_wanted, take)
    return thumbnails, sheet, cost


def write_report(text: str, path: str | os.PathLike[str]) -> str:
    """Write the page atomically (a reader, or a web server, never sees half a page; a failure leaves
    none), with the mode the umask gives: a report is meant to be shared. An OS error is one line."""
    return write_text_atomic(text, path)
