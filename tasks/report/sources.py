"""sources: a report from a per-video JSON and its video, or from a video's rows in the lake.

A JSON is checked against the video it is said to be for (``faces_for_video``: size, rate, frame count),
since a report that draws one video's boxes on another's frames would mislead the reviewer. The lake's
rows carry what a JSON cannot (confidence, detected or filled in, shots, settings, speed, the validation
outcome); a video given with them must be the very file (its SHA-256 is the video id).
"""

from __future__ import annotations

import os
import time

from tasks.document.rebuild import document_from_rows, events_of
from tasks.errors import BadInputError
from tasks.lake.store import Lake, is_uri
from tasks.redact.faces import document_frames, faces_for_video
from tasks.report.contact_sheet import SHEET_FRAMES
from tasks.report.facts import ReportData, Validation, tracks_from_events, video_facts
from tasks.report.lake_rows import VideoRows, read_video_rows
from tasks.report.render import ReportResult, render_report, write_report
from tasks.video.probe import VideoInfo, probe

CONTRACT_ONLY = Validation(
    "passed",
    "the output contract (checked when the JSON was read); the Great Expectations suites run when a "
    "video is published to the lake (facetrack run), and a report from the lake shows their outcome.",
)


def default_report_path(json_path: str) -> str:
    """``clip.faces.json`` -> ``clip.report.html`` beside it."""
    stem = os.path.basename(json_path)
    for suffix in (".faces.json", ".json"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return os.path.join(os.path.dirname(json_path), f"{stem}.report.html")


def default_lake_report_path(row: dict[str, object]) -> str:
    """Where ``facetrack run`` put the video's report: beside its JSON (``<stem>.report.html``), when the
    JSON is a local path whose folder is there; else ``<video stem>.report.html`` in ./."""
    json_path = row.get("json_path")
    if isinstance(json_path, str) and not is_uri(json_path) and os.path.isdir(os.path.dirname(json_path)):
        return default_report_path(json_path)
    return f"{os.path.splitext(str(row['file_name']))[0]}.report.html"


def report_from_json(
    json_path: str | os.PathLike[str],
    video: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    redacted: str | None = None,
    thumbnails: str | None = None,
    sheet_frames: int = SHEET_FRAMES,
) -> ReportResult:
    """Write the report of ``json_path`` (a per-video JSON) for ``video``; ``BadInputError`` when the
    JSON is not this video's, before anything is written."""
    started = time.perf_counter()
    json_path = os.fspath(json_path)
    out = os.fspath(output) if output is not None else default_report_path(json_path)
    info = probe(video)
    document = faces_for_video(json_path, info)
    tracks = tracks_from_events(events_of(document), info.width, info.height)
    links = _links(out, [("per-video JSON", json_path), ("video", info.path), ("redacted video", redacted),
                         ("thumbnails", thumbnails)])  # fmt: skip
    data = ReportData(
        title=os.path.basename(info.path),
        frame_rate=float(document["framerate"]),
        grid_frames=document_frames(document),
        width=info.width,
        height=info.height,
        facts=video_facts(info, document, {}),
        tracks=tracks,
        validation=CONTRACT_ONLY,
        links=links,
    )
    text, cost = render_report(data, info, sheet_frames)
    write_report(text, out)
    return ReportResult(out, tracks.track_count, len(text.encode()), cost, time.perf_counter() - started)


def report_from_lake(
    lake: Lake | str | os.PathLike[str] | None,
    video_id: str,
    video: str | None = None,
    output: str | os.PathLike[str] | None = None,
    redacted: str | None = None,
    thumbnails: str | None = None,
    sheet_frames: int = SHEET_FRAMES,
    verify: bool = True,
) -> ReportResult:
    """Write the report of a published video from the lake's rows (``video_id``: the id or a unique
    prefix of it). The pictures come from ``video``, else from the row's source path when it is a local
    file; with neither the page has the numbers and the timeline only. It goes to ``output``, else beside
    the video's JSON, where ``facetrack run`` writes it (``default_lake_report_path``). ``verify=False``
    skips hashing ``video`` to check it is the lake's (the pipeline, which just hashed it)."""
    started = time.perf_counter()
    rows = read_video_rows(Lake.of(lake), video_id)
    row = rows.video
    out = os.fspath(output) if output is not None else default_lake_report_path(row)
    info = _lake_video(rows, video, verify)
    document = rows.document or document_from_rows(row, rows.face_events)
    events = rows.face_events.sort(["frame_index", "face_id"])
    detected = events["detected"]
    detected_known = len(events) > 0 and detected.null_count() == 0
    confidence_known = len(events) > 0 and events["confidence"].null_count() == 0  # none when imported
    tracks = tracks_from_events(
        {
            "frame_index": events["frame_index"].to_numpy(),
            "face_id": events["face_id"].to_numpy(),
            "box": events.select("x", "y", "width", "height").to_numpy(),
        },
        int(row["width"]),
        int(row["height"]),
        confidence=events["confidence"].to_numpy() if confidence_known else None,
        detected=detected.fill_null(True).to_numpy() if len(events) else None,
    )
    json_path = row.get("json_path")
    local_json = json_path if isinstance(json_path, str) and os.path.isfile(json_path) else None
    links = [
        ("per-video JSON", local_json),
        ("video", info.path if info else None),
        ("redacted video", redacted),
        ("thumbnails", thumbnails),
        *(("redacted video", uri) for uri in rows.redacted_files),
    ]
    data = ReportData(
        title=str(row["file_name"]),
        frame_rate=float(row["frame_rate"]),
        grid_frames=int(row["grid_frame_count"]),
        width=int(row["width"]),
        height=int(row["height"]),
        facts=[*video_facts(info, document, row), ("video id", str(row["video_id"]))],
        tracks=tracks,
        confidence_known=confidence_known,
        detected_known=detected_known,
        shots=rows.shots,
        validation=rows.validation,
        links=_links(out, links),
    )
    text, cost = render_report(data, info, sheet_frames, max(1, int(row.get("detect_every") or 1)))
    write_report(text, out)
    return ReportResult(out, tracks.track_count, len(text.encode()), cost, time.perf_counter() - started)


def _lake_video(rows: VideoRows, video: str | None, verify: bool = True) -> VideoInfo | None:
    """The video to take pictures from: as given (it must be the file the rows are of), or the row's
    source when it is still a local file."""
    from tasks.video.content_id import video_id

    row = rows.video
    if video is None:
        source = row.get("source_uri")
        if not (isinstance(source, str) and os.path.isfile(source)) or source == row.get("imported_from"):
            return None  # gone, or an imported video known by its JSON only
        video = source
    info = probe(video)
    if verify and video_id(video) != row["video_id"]:
        raise BadInputError(
            f"{os.path.basename(video)}: not the video {str(row['video_id'])[:12]} "
            f"({row['file_name']}) of the lake: its SHA-256 differs"
        )
    return info


def _links(output: str, files: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """The files that exist, as links relative to the report's folder (the pair moves together)."""
    here = os.path.dirname(os.path.abspath(output))
    out = []
    seen = set()
    for label, path in files:
        if not path or not os.path.exists(path) or os.path.abspath(path) in seen:
            continue
        seen.add(os.path.abspath(path))
        out.append((label, os.path.relpath(os.path.abspath(path), here)))
    return out
