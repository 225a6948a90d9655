"""azure_import: Azure Media Face Detector / Redactor JSON into the lake, through the same gate.

    read leniently (``tasks.document.azure``) → [probe + hash the video] → onto facetrack's frame grid
          → facetrack's own JSON (``assemble``) → normalize (contract check) → validate (quarantine if
          refused) → write JSON → publish → HTML report → runs row

Users leaving Azure hold archives of its JSON, often without the videos. Each file becomes one video of
the lake, all or nothing: a file that cannot be read, does not fit the video, or is refused by the gate
leaves no row in a published table and no JSON in the lake's store. Its rows say where they came from
(``videos.imported_from``, ``face_events.imported``) and have what Azure did not give as nulls
(confidence, landmarks, detector settings). With ``--video`` the video's own bytes make the
``video_id`` and its stream facts fill the row, so a later ``facetrack run`` of that video replaces the
imported rows with detected ones; without it the JSON file is the content (its SHA-256 is the id), named
``--name`` or after the file.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from tasks.document.azure import AzureFaces, read_azure_file
from tasks.document.build import assemble
from tasks.document.ticks import tick_grid
from tasks.errors import BadInputError, ContractError, FacetrackError, ValidationFailed
from tasks.lake.normalize import IMPORTED_MODEL, ImportedVideo, normalize_imported
from tasks.lake.sources import published_values
from tasks.lake.store import Lake, is_uri
from tasks.pipeline import (
    RunSummary,
    VideoOutcome,
    json_location,
    new_run_id,
    prepare_step,
    publish_step,
    recorded_run,
    refresh_index,
    report_step,
    validate_step,
    write_json_step,
)
from tasks.status import VideoStatus
from tasks.video.content_id import video_id as content_id
from tasks.video.probe import VideoInfo, probe

ASPECT_TOLERANCE = 0.01  # a document of another size is of this video only if the shape is the same


def import_files(
    paths: Iterable[str | os.PathLike[str]],
    lake: Lake | str | None = None,
    *,
    video: str | None = None,
    name: str | None = None,
    fragment_seconds: float = 2.0,
    report: bool = True,
    replace: bool = False,
    run_id: str | None = None,
    on_file: Callable[[VideoOutcome], None] | None = None,
) -> RunSummary:
    """Import each Azure JSON file as one video, under one ``runs`` row; a file that fails is recorded and
    the run goes on with the next. ``video`` (the analysed video file) or ``name`` apply to one file only.
    A video whose published rows facetrack detected is not replaced by imported ones unless ``replace``."""
    files = [os.fspath(path) for path in paths]
    if (video or name) and len(files) != 1:
        raise FacetrackError("--video and --name describe one file: import the others separately")
    store = Lake.of(lake)
    prepare_step(store)
    with recorded_run(store, run_id or new_run_id(), len(files)) as run:
        for path in files:
            outcome = import_file(
                path, store, video=video, name=name, fragment_seconds=fragment_seconds,
                replace=replace, run_id=run.run_id,
            )  # fmt: skip
            outcome = _with_report(store, outcome, video) if report else outcome
            run.videos.append(outcome)
            if on_file:
                on_file(outcome)
    if report:
        refresh_index(store, run)
    return run


def import_file(
    path: str,
    lake: Lake,
    *,
    video: str | None = None,
    name: str | None = None,
    fragment_seconds: float = 2.0,
    replace: bool = False,
    run_id: str = "",
) -> VideoOutcome:
    """One Azure JSON file into the lake, or a failed outcome that says why (nothing written)."""
    outcome = VideoOutcome(video=os.path.abspath(path), lake=lake.root, imported=True)
    started = time.perf_counter()
    try:
        _import(path, lake, outcome, video, name, fragment_seconds, replace, run_id, started)
    except FacetrackError as exc:
        outcome.fail(exc)
    finally:
        outcome.seconds = time.perf_counter() - started
    return outcome


def _import(
    path: str,
    lake: Lake,
    outcome: VideoOutcome,
    video: str | None,
    name: str | None,
    fragment_seconds: float,
    replace: bool,
    run_id: str,
    started: float,
) -> None:
    faces = read_azure_file(path)
    info = probe(video) if video else None
    outcome.video_id = content_id(video or path)
    imported = imported_video(faces, path, info, name, fragment_seconds)
    grid = tick_grid(imported.frame_rate, fragment_seconds)
    document = assemble(
        frame_index=imported.frame_index,
        face_ids=imported.face_ids.tolist(),
        boxes=imported.boxes.tolist(),
        grid_frames=imported.grid_frames,
        grid=grid,
        frame_rate=float(imported.frame_rate),
        width=imported.width,
        height=imported.height,
    )
    published = published_values(lake, outcome.video_id, ("json_path", "imported_from", "file_name"))
    if published and published["imported_from"] is None and not replace:
        raise BadInputError(
            f"{faces.name}: {published['file_name']} ({outcome.video_id[:12]}) is published with the faces "
            "facetrack detected; importing would replace them (--replace to do so)"
        )
    json_path = published["json_path"] if published else None
    location = json_location(imported.name, lake, None, outcome.video_id, json_path)
    imported = dataclasses.replace(imported, elapsed_seconds=time.perf_counter() - started)
    batch = normalize_imported(
        imported, document, video_id=outcome.video_id, json_path=location, run_id=run_id
    )
    outcome.fps = float(imported.frame_rate)
    outcome.faces, outcome.events = int(document["facesDetected"]), batch.tables["face_events"].height
    outcome.notes = "; ".join(imported.details["notes"])
    verdict = validate_step(lake, batch)
    outcome.validation = verdict.reason
    if not verdict.success:
        raise ValidationFailed(f"{outcome.name}: validation {verdict.reason}; not imported")
    existed = not is_uri(location) and os.path.exists(location)
    outcome.json_path = write_json_step(document, location, lake)
    try:
        publish_step(lake, batch)
    except FacetrackError:
        if not existed and not is_uri(location):
            os.unlink(location)  # all or nothing: no JSON in the store that no row points at
        raise
    outcome.status = VideoStatus.PUBLISHED


def imported_video(
    faces: AzureFaces,
    path: str,
    info: VideoInfo | None,
    name: str | None,
    fragment_seconds: float,
) -> ImportedVideo:
    """The document's events on facetrack's frame grid: the video's (``info``) when it is given, else the
    document's own rate; what the user should hear about the mapping is in its ``details["notes"]``.
    Refuses (one line) a document that cannot be of ``info``: another frame shape, or faces after the
    video's end."""
    notes = list(faces.notes)
    if info is not None:
        _require_same_shape(faces, info)
        rate, width, height = info.frame_rate, info.width, info.height
        grid_frames = info.frame_count or round(info.duration * float(rate))
    else:
        rate, width, height = faces.frame_rate, faces.width, faces.height
        grid_frames = round(faces.seconds * rate)
    frame_index, face_ids, boxes, merged = faces.frame_grid(Fraction(rate))
    if merged:
        notes.append(f"{merged} events on a frame that already had the face merged")
    last = int(frame_index[-1]) + 1 if len(frame_index) else 0
    if info is not None and last > grid_frames:
        raise ContractError(
            f"{faces.name}: faces until {last / float(rate):.3f} s, but {os.path.basename(info.path)} "
            f"ends at {grid_frames / float(rate):.3f} s: not this video's JSON"
        )
    grid_frames = max(grid_frames, last, 1)
    if info is not None and abs(faces.seconds - info.duration) > 1.0:
        notes.append(f"the JSON covers {faces.seconds:.1f} s of a {info.duration:.1f} s video")
    absolute = os.path.abspath(path)
    details: dict[str, Any] = {
        "imported": IMPORTED_MODEL,
        "source_json": absolute,
        "source_timescale": faces.timescale,
        "source_framerate": faces.framerate,
        "source_width": faces.width,
        "source_height": faces.height,
        "source_faces_detected": faces.faces_detected,
        "clipped_boxes": faces.clipped,
        "dropped_boxes": faces.dropped,
        "merged_events": merged,
        "notes": notes,
    }
    source = info.path if info is not None else absolute
    label = name or (os.path.basename(info.path) if info is not None else os.path.splitext(faces.name)[0])
    return ImportedVideo(
        name=label,
        source_uri=os.path.abspath(source),
        size_bytes=info.size_bytes if info is not None else os.path.getsize(path),
        imported_from=absolute,
        width=width,
        height=height,
        frame_rate=Fraction(rate),
        grid_frames=grid_frames,
        frame_index=frame_index,
        face_ids=face_ids,
        boxes=boxes,
        fragment_seconds=fragment_seconds,
        video=info,
        details=details,
    )


def _require_same_shape(faces: AzureFaces, info: VideoInfo) -> None:
    """Normalized boxes mean the same on a scaled copy, not on a frame of another shape."""
    ours, theirs = info.width / info.height, faces.width / faces.height
    if abs(ours - theirs) > ASPECT_TOLERANCE * ours:
        raise ContractError(
            f"{faces.name}: a {faces.width}x{faces.height} frame, but {os.path.basename(info.path)} is "
            f"{info.width}x{info.height}: not this video's JSON"
        )


def _with_report(lake: Lake, outcome: VideoOutcome, video: str | None) -> VideoOutcome:
    """The HTML report beside the JSON, as ``facetrack run`` writes it; one that cannot be written is
    noted, and the video stays imported."""
    from tasks.report.sources import default_report_path

    if outcome.status != VideoStatus.PUBLISHED:
        return outcome
    try:
        location = default_report_path(outcome.json_path)
        outcome.report_path = report_step(lake, outcome.video_id, video, location, None, index=False)
    except FacetrackError as exc:
        outcome.notes = "; ".join(filter(None, [outcome.notes, f"no report ({exc})"]))
    return outcome
