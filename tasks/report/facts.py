"""facts: what a report says about a video and its faces, gathered before anything is drawn.

A report is built from a per-video JSON (with the video beside it) or from the lake's rows; both end up
as one ``ReportData``, so the drawing code does not care where the numbers came from. What a source does
not know (the JSON has no confidence, no detected flag, no shots) stays ``None`` and the page says so,
rather than showing a made-up value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models import Detections
from tasks.lake.schema import container_name
from tasks.redact.faces import document_frames
from tasks.video.probe import VideoInfo
from tasks.video.shots import Shot


@dataclass(frozen=True)
class FaceSummary:
    """One face id as the gallery lists it; times in seconds on the video's frame grid."""

    face_id: int
    first_seconds: float
    last_seconds: float
    frames_seen: int
    screen_seconds: float
    mean_confidence: float | None  # None: the source has no confidence (a JSON)


@dataclass(frozen=True)
class Validation:
    """The validation outcome: ``status`` (passed, quarantined, ...), one line, failed expectations."""

    status: str
    summary: str
    failed: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything the page shows, from either source.

    ``tracks`` are the face events in stored-frame pixels on the frame grid (``track_id`` is the face
    id); ``confidence_known`` and ``detected_known`` say whether their confidence and ``observed``
    columns are real or placeholders; ``shots`` is None when the source has none.
    """

    title: str
    frame_rate: float
    grid_frames: int
    width: int
    height: int
    facts: list[tuple[str, str]]
    tracks: Detections
    confidence_known: bool = False
    detected_known: bool = False
    shots: list[Shot] | None = None
    validation: Validation | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, relative href)

    @property
    def duration(self) -> float:
        return self.grid_frames / self.frame_rate if self.frame_rate > 0 else 0.0


def tracks_from_events(
    events: Mapping[str, np.ndarray],
    width: int,
    height: int,
    confidence: np.ndarray | None = None,
    detected: np.ndarray | None = None,
) -> Detections:
    """Face events (``events_of``: normalized x, y, width, height) as pixel ``Detections``.

    Without a confidence every box counts as 1.0 and without a detected flag as seen, so the best
    sighting is simply the largest box (``best_sightings`` weighs area by confidence).
    """
    box = np.asarray(events["box"], np.float64).reshape(-1, 4)
    scale = np.array([width, height, width, height], np.float64)
    xyxy = np.concatenate([box[:, :2], box[:, :2] + box[:, 2:]], axis=1) * scale
    n = len(box)
    order = np.lexsort((np.asarray(events["face_id"]), np.asarray(events["frame_index"])))
    return Detections(
        xyxy[order],
        (np.ones(n, np.float32) if confidence is None else np.asarray(confidence, np.float32))[order],
        frame_index=np.asarray(events["frame_index"], np.int64)[order],
        track_id=np.asarray(events["face_id"], np.int64)[order],
        observed=(np.ones(n, bool) if detected is None else np.asarray(detected, bool))[order],
    )


def face_summaries(tracks: Detections, frame_rate: float, confidence_known: bool) -> list[FaceSummary]:
    """One summary per face id, as the lake's ``faces`` table computes them (screen time is frames seen
    over the frame rate), so the page and SQL agree."""
    out = []
    for face in np.unique(tracks.track_id):
        rows = tracks.track_id == face
        frames = tracks.frame_index[rows]
        seen = len(np.unique(frames))
        out.append(
            FaceSummary(
                face_id=int(face),
                first_seconds=float(frames.min()) / frame_rate,
                last_seconds=float(frames.max()) / frame_rate,
                frames_seen=seen,
                screen_seconds=seen / frame_rate,
                mean_confidence=float(tracks.confidence[rows].mean()) if confidence_known else None,
            )
        )
    return out


def video_facts(
    info: VideoInfo | None, document: dict[str, Any], extra: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The facts table: size, rate, duration from the document; codec and container from the probed
    video; model, settings and speed from ``extra`` (the lake's videos row) when known."""
    rate = float(document["framerate"])
    frames = document_frames(document)
    facts = [
        ("file", os.path.basename(info.path) if info else str(extra.get("file_name", ""))),
        ("size", f"{document['width']} x {document['height']} px"),
        ("frame rate", f"{rate:.3f} fps"),
        ("duration", f"{frames / rate:.2f} s ({frames} frames)"),
        ("face ids", str(document.get("facesDetected", 0))),
    ]
    if info is not None:
        facts += [
            ("codec", f"{info.codec} ({info.pix_fmt}) in {container_name(info.container, info.path)}"),
            ("file size", _bytes_text(info.size_bytes)),
        ]
        if info.rotation:
            facts.append(("rotation", f"{info.rotation} degrees"))
    if info is None and extra.get("codec"):
        facts.append(
            ("codec", f"{extra['codec']} ({extra.get('pix_fmt') or '?'}) in {extra.get('container')}")
        )
    if extra.get("model_name"):
        sha = str(extra.get("model_sha256") or "")
        facts.append(("model", f"{extra['model_name']}" + (f" (SHA-256 {sha[:12]}...)" if sha else "")))
    if extra.get("imported_from"):  # no detector run here: say where the faces came from instead
        facts.append(("imported from", str(extra["imported_from"])))
    elif extra.get("detector_settings"):
        facts.append(("settings", settings_text(str(extra["detector_settings"]))))
    if extra.get("processed_at"):
        facts.append(("processed", str(extra["processed_at"])))
    speed = extra.get("processing_fps", extra.get("frames_per_second"))  # the column's new name, then the old
    if speed:
        elapsed = float(extra.get("elapsed_seconds") or 0.0)
        facts.append(("processing speed", f"{float(speed):.1f} frames/s ({elapsed:.1f} s)"))
    return facts


def settings_text(settings_json: str) -> str:
    """The stored settings (JSON) as ``name value`` pairs a person reads; the model's hash is shown with
    the model, so it is left out here."""
    try:
        settings = json.loads(settings_json)
    except ValueError:
        return settings_json
    if not isinstance(settings, dict):
        return settings_json
    return ", ".join(f"{k} {v}" for k, v in settings.items() if k not in {"model_sha256", "model_name"})


def _bytes_text(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 1024:.0f} KiB"
