"""normalize: one processed video (its result and its JSON) into rows for every lake table; or one
imported video (``ImportedVideo``: another tool's face events, no detector run behind them).

The JSON is the exchange format and the lake must agree with it to the last digit, so the box numbers in
``face_events`` are the JSON's own (``json_boxes``), checked against the document itself, and
``tasks.document.rebuild`` rebuilds the JSON from the rows exactly. Every frame is built against the
explicit schema in ``tasks.lake.schema``; nothing is inferred.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from tasks.document.build import json_boxes
from tasks.document.contract import require_contract
from tasks.document.rebuild import events_of
from tasks.document.ticks import TickGrid, tick_grid
from tasks.errors import ContractError
from tasks.lake import schema as lake_schema
from tasks.lake.batch import VideoBatch
from tasks.lake.runs import facetrack_version
from tasks.status import VideoStatus
from tasks.video.content_id import require_video_id
from tasks.video.shots import Shot

if TYPE_CHECKING:
    import polars as pl

    from tasks.detect.result import VideoResult
    from tasks.video.probe import VideoInfo


def normalize(
    result: VideoResult,
    document: dict[str, Any],
    *,
    video_id: str,
    source_uri: str | None = None,
    json_path: str | None = None,
    run_id: str = "",
    processed_at: datetime | None = None,
) -> VideoBatch:
    """Rows for videos, face_events, faces, fragments and shots of one video, as a ``VideoBatch``.

    Refuses (``ContractError``, one line) a document that breaks the JSON contract or disagrees with the
    result it claims to describe, so a bad document never reaches the gate, let alone the lake.
    """
    import polars as pl

    require_video_id(video_id)
    info, tracks = result.info, result.tracks
    name = os.path.basename(json_path or source_uri or info.path) or "document"
    require_contract(document, name)
    grid = tick_grid(info.frame_rate, result.settings.fragment_seconds)
    _require_agreement(document, result, grid, name)

    boxes = json_boxes(tracks, info.width, info.height)
    frame_index = tracks.frame_index.astype(np.int64)
    _require_events(document, frame_index, tracks.track_id, boxes, name, "the tracks they were built from")

    landmarks_px = np.asarray(tracks.landmarks, np.float64).reshape(len(tracks), 5, 2)
    scale = np.array([info.width, info.height], np.float64)
    landmarks = (landmarks_px / scale).astype(np.float32).reshape(len(tracks), 10)
    fps = float(info.frame_rate)
    events = _events_frame(
        video_id,
        frame_index,
        tracks.track_id,
        boxes,
        grid,
        measured={
            "confidence": tracks.confidence.astype(np.float32),
            **{col: landmarks[:, i] for i, col in enumerate(lake_schema.LANDMARK_COLUMNS)},
        },
        detected=tracks.observed,
        imported=False,
    )
    fragments = _fragments_frame(document, events, video_id, grid.interval, grid.timescale)
    faces = _faces_frame(events, fps)
    shots = _shots_frame(list(result.shots), result.grid_frames, video_id, fps)
    settings = result.settings
    video = {
        "video_id": video_id,
        "source_uri": source_uri or info.path,
        "file_name": os.path.basename(source_uri or info.path),
        "size_bytes": info.size_bytes,
        "container": lake_schema.container_name(info.container, source_uri or info.path),
        "codec": info.codec,
        "pix_fmt": info.pix_fmt,
        "width": info.width,
        "height": info.height,
        "rotation": info.rotation,
        "frame_rate_num": Fraction(info.frame_rate).numerator,
        "frame_rate_den": Fraction(info.frame_rate).denominator,
        "frame_rate": fps,
        "timescale": grid.timescale,
        "interval_ticks": grid.interval,
        "frames_per_fragment": grid.frames_per_fragment,
        "frame_count": info.frame_count,
        "grid_frame_count": result.grid_frames,
        "duration_seconds": float(info.duration),
        "processed_at": processed_at or datetime.now(UTC),
        "model_name": settings.model_name,
        "model_sha256": settings.model_sha256,
        "detector_threshold": float(settings.threshold),
        "detector_input_size": settings.input_size,
        "detect_every": settings.detect_every,
        "min_face_px": settings.min_face,
        "fragment_seconds": float(settings.fragment_seconds),
        "detector_settings": json.dumps(settings.to_dict(), sort_keys=True),
        "faces_detected": int(document["facesDetected"]),
        "event_count": len(tracks),
        "frames_decoded": int(result.frames_decoded),
        "elapsed_seconds": float(result.elapsed_seconds),
        "processing_fps": float(result.frames_per_second),
        "json_path": json_path,
        "run_id": run_id,
        "status": str(VideoStatus.PUBLISHED),
        "facetrack_version": facetrack_version(),
        "imported_from": None,
    }
    videos = pl.DataFrame([video], schema=lake_schema.polars_schema("videos"))
    return VideoBatch(
        video_id=video_id,
        tables={
            "videos": videos,
            "face_events": events,
            "faces": faces,
            "fragments": fragments,
            "shots": shots,
        },
        document=document,
        json_path=json_path,
        run_id=run_id,
    )


@dataclass(frozen=True)
class ImportedVideo:
    """A video's face events read from another tool's JSON (``facetrack import``), already on facetrack's
    frame grid: what ``normalize_imported`` turns into rows. There is no detector run behind it, so no
    confidence, landmarks, settings or shots; with the video file at hand (``video``) its stream facts
    and its content hash are the real ones."""

    name: str  # videos.file_name: the video's file name, or the name the user gave
    source_uri: str  # the video file, else the imported JSON (whose bytes then make the video_id)
    size_bytes: int  # of the source
    imported_from: str  # the imported JSON (absolute path or URI)
    width: int
    height: int
    frame_rate: Fraction
    grid_frames: int
    frame_index: np.ndarray  # (N,) int64, sorted by frame then id
    face_ids: np.ndarray  # (N,) the other tool's ids, as they are
    boxes: np.ndarray  # (N, 4) normalized x, y, width, height, exactly as in the document
    fragment_seconds: float
    video: VideoInfo | None = None  # the probed video, when the user gave it
    details: Mapping[str, Any] = field(default_factory=dict)  # what the import did: videos.detector_settings
    elapsed_seconds: float = 0.0


IMPORTED_MODEL = "azure-media-face-detector"  # videos.model_name of imported rows: what detected them


def normalize_imported(
    imported: ImportedVideo,
    document: dict[str, Any],
    *,
    video_id: str,
    json_path: str | None = None,
    run_id: str = "",
    processed_at: datetime | None = None,
) -> VideoBatch:
    """Rows for every table of one imported video, confidence and landmarks null, ``imported`` true.

    The same checks as ``normalize``: the document (facetrack's own, built from the imported events)
    must keep the contract and hold exactly these events, so the gate sees what the JSON says.
    """
    import polars as pl

    require_video_id(video_id)
    name = os.path.basename(json_path or imported.imported_from) or "document"
    info = imported.video
    frames = imported.grid_frames
    require_contract(document, name)
    grid = tick_grid(imported.frame_rate, imported.fragment_seconds)
    events_in = (imported.frame_index, imported.face_ids, imported.boxes)
    _require_events(document, *events_in, name, "the imported ones")
    _require_coverage(document, frames, grid, name)
    fps = float(imported.frame_rate)
    events = _events_frame(
        video_id,
        imported.frame_index.astype(np.int64),
        imported.face_ids,
        imported.boxes.reshape(-1, 4),
        grid,
        measured=None,
        detected=True,  # every imported box is one the other tool reported
        imported=True,
    )
    rate = Fraction(imported.frame_rate)
    video = {
        "video_id": video_id,
        "source_uri": imported.source_uri,
        "file_name": imported.name,
        "size_bytes": imported.size_bytes,
        "container": lake_schema.container_name(info.container, info.path) if info else None,
        "codec": info.codec if info else None,
        "pix_fmt": info.pix_fmt if info else None,
        "width": imported.width,
        "height": imported.height,
        "rotation": info.rotation if info else 0,
        "frame_rate_num": rate.numerator,
        "frame_rate_den": rate.denominator,
        "frame_rate": fps,
        "timescale": grid.timescale,
        "interval_ticks": grid.interval,
        "frames_per_fragment": grid.frames_per_fragment,
        "frame_count": info.frame_count if info else frames,
        "grid_frame_count": frames,
        "duration_seconds": float(info.duration) if info else frames / fps,
        "processed_at": processed_at or datetime.now(UTC),
        "model_name": IMPORTED_MODEL,
        "model_sha256": None,
        "detector_threshold": None,
        "detector_input_size": None,
        "detect_every": None,
        "min_face_px": None,
        "fragment_seconds": float(imported.fragment_seconds),
        "detector_settings": json.dumps(dict(imported.details), sort_keys=True),
        "faces_detected": int(document["facesDetected"]),
        "event_count": events.height,
        "frames_decoded": 0,
        "elapsed_seconds": float(imported.elapsed_seconds),
        "processing_fps": None,
        "json_path": json_path,
        "run_id": run_id,
        "status": str(VideoStatus.PUBLISHED),
        "facetrack_version": facetrack_version(),
        "imported_from": imported.imported_from,
    }
    return VideoBatch(
        video_id=video_id,
        tables={
            "videos": pl.DataFrame([video], schema=lake_schema.polars_schema("videos")),
            "face_events": events,
            "faces": _faces_frame(events, fps),
            "fragments": _fragments_frame(document, events, video_id, grid.interval, grid.timescale),
            "shots": _shots_frame([], frames, video_id, fps),
        },
        document=document,
        json_path=json_path,
        run_id=run_id,
    )


def _events_frame(
    video_id: str,
    frame_index: np.ndarray,
    face_ids: np.ndarray,
    boxes: np.ndarray,
    grid: TickGrid,
    *,
    measured: Mapping[str, np.ndarray] | None,
    detected: np.ndarray | bool,
    imported: bool,
) -> pl.DataFrame:
    """The face_events rows of one video; ``measured`` (confidence and landmarks) None leaves them null."""
    import polars as pl

    rows = len(frame_index)
    columns = ("confidence", *lake_schema.LANDMARK_COLUMNS)
    nothing = pl.Series([None] * rows, dtype=pl.Float32)
    values: Mapping[str, np.ndarray | pl.Series] = (
        measured if measured is not None else {column: nothing for column in columns}
    )
    return pl.DataFrame(
        {
            "video_id": [video_id] * rows,
            "face_id": np.asarray(face_ids).astype(np.int32),
            "frame_index": frame_index,
            "pts": frame_index * grid.interval,
            "time_seconds": frame_index * grid.interval / grid.timescale,
            "x": boxes[:, 0],
            "y": boxes[:, 1],
            "width": boxes[:, 2],
            "height": boxes[:, 3],
            **{column: values[column] for column in columns},
            "fragment_index": (frame_index // grid.frames_per_fragment).astype(np.int32),
            lake_schema.FACE_EVENTS_PARTITION: [lake_schema.video_bucket(video_id)] * rows,
            "detected": np.broadcast_to(np.asarray(detected, bool), (rows,)),
            "imported": [imported] * rows,
        },
        schema=lake_schema.polars_schema("face_events"),
    )


def _require_agreement(document: dict[str, Any], result: VideoResult, grid: TickGrid, name: str) -> None:
    """The document must describe this result: same geometry, tick grid, frame count and face count."""
    info = result.info
    expected = {
        "width": info.width,
        "height": info.height,
        "timescale": grid.timescale,
        "framerate": float(info.frame_rate),
        "facesDetected": result.faces_detected,
    }
    for key, value in expected.items():
        if document[key] != value:
            raise ContractError(f"{name}: '{key}' is {document[key]!r} but the video's result says {value!r}")
    _require_coverage(document, result.grid_frames, grid, name)


def _require_events(
    document: Mapping[str, Any],
    frame_index: np.ndarray,
    face_ids: np.ndarray,
    boxes: np.ndarray,
    name: str,
    origin: str,
) -> None:
    """The document's face events must be exactly these, the ones it was built from (``origin``)."""
    events = events_of(document)
    if not (
        np.array_equal(events["frame_index"], frame_index)
        and np.array_equal(events["face_id"], face_ids)
        and np.array_equal(events["box"], boxes.reshape(-1, 4))
    ):
        raise ContractError(f"{name}: the document's face events differ from {origin}")


def _require_coverage(document: Mapping[str, Any], grid_frames: int, grid: TickGrid, name: str) -> None:
    """The fragments must cover exactly the grid's frames."""
    covered = sum(int(f["duration"]) for f in document["fragments"])
    if covered != grid_frames * grid.interval:
        raise ContractError(
            f"{name}: fragments cover {covered} ticks but {grid_frames} frames"
            f" of {grid.interval} ticks need {grid_frames * grid.interval}"
        )


def _fragments_frame(
    document: Mapping[str, Any], events: pl.DataFrame, video_id: str, interval: int, timescale: int
) -> pl.DataFrame:
    import polars as pl

    per_fragment = events.group_by("fragment_index").agg(
        pl.len().cast(pl.Int64).alias("event_count"),
        pl.col("face_id").unique().sort().alias("face_ids"),
    )
    starts = [int(f["start"]) for f in document["fragments"]]
    durations = [int(f["duration"]) for f in document["fragments"]]
    base = pl.DataFrame(
        {
            "video_id": [video_id] * len(starts),
            "fragment_index": list(range(len(starts))),
            "start_ticks": starts,
            "duration_ticks": durations,
            "interval_ticks": [interval] * len(starts),
        },
        schema={
            "video_id": pl.String,
            "fragment_index": pl.Int32,
            "start_ticks": pl.Int64,
            "duration_ticks": pl.Int64,
            "interval_ticks": pl.Int64,
        },
    )
    frame = (
        base.join(per_fragment, on="fragment_index", how="left")
        .with_columns(
            (pl.col("start_ticks") / timescale).alias("start_seconds"),
            (pl.col("duration_ticks") / timescale).alias("duration_seconds"),
            (pl.col("duration_ticks") // pl.col("interval_ticks")).cast(pl.Int32).alias("frame_count"),
            pl.col("event_count").fill_null(0),
            pl.col("face_ids").fill_null(pl.lit([], dtype=pl.List(pl.Int32))),
        )
        .with_columns(pl.col("face_ids").list.len().cast(pl.Int32).alias("face_count"))
    )
    schema = lake_schema.polars_schema("fragments")
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


def _faces_frame(events: pl.DataFrame, fps: float) -> pl.DataFrame:
    """One row per track. Best frame = max area x confidence, earliest frame on ties (deterministic)."""
    import polars as pl

    area = pl.col("width") * pl.col("height")
    confidence = pl.col("confidence").fill_null(1.0)  # imported rows have none: the largest box is best
    scored = events.with_columns(area.alias("_area"), (area * confidence).alias("_score"))
    best = (
        scored.sort(["face_id", "_score", "frame_index"], descending=[False, True, False])
        .group_by("face_id", maintain_order=True)
        .first()
        .select(
            "face_id",
            pl.col("frame_index").alias("best_frame_index"),
            pl.col("time_seconds").alias("best_seconds"),
            pl.col("x").alias("best_x"),
            pl.col("y").alias("best_y"),
            pl.col("width").alias("best_width"),
            pl.col("height").alias("best_height"),
            pl.col("confidence").cast(pl.Float64).alias("best_confidence"),
        )
    )
    summary = scored.group_by("face_id").agg(
        pl.col("video_id").first(),
        pl.col("frame_index").min().alias("first_frame"),
        pl.col("frame_index").max().alias("last_frame"),
        pl.col("time_seconds").min().alias("first_seconds"),
        pl.col("time_seconds").max().alias("last_seconds"),
        pl.len().cast(pl.Int64).alias("frames_seen"),
        (pl.len() / fps).alias("screen_seconds"),
        pl.col("width").mean().alias("mean_width"),
        pl.col("height").mean().alias("mean_height"),
        pl.col("width").max().alias("max_width"),
        pl.col("height").max().alias("max_height"),
        pl.col("_area").mean().alias("mean_area"),
        pl.col("_area").max().alias("max_area"),
        pl.col("confidence").cast(pl.Float64).mean().alias("mean_confidence"),
        pl.col("confidence").cast(pl.Float64).max().alias("max_confidence"),
    )
    schema = lake_schema.polars_schema("faces")
    return (
        summary.join(best, on="face_id")
        .sort("face_id")
        .select([pl.col(c).cast(t) for c, t in schema.items()])
    )


def _shots_frame(shots: list[Shot], grid_frames: int, video_id: str, fps: float) -> pl.DataFrame:
    """One row per shot, as the engine found them; the gate checks that they tile the grid.

    A result without shots (made before shot detection, by hand, or imported) gets one shot over the
    whole grid: a video without a known cut is one shot, so every published video has at least one.
    """
    import polars as pl

    if not shots and grid_frames > 0:
        shots = [Shot(0, 0, grid_frames - 1, 0.0, grid_frames / fps)]
    return pl.DataFrame(
        {
            "video_id": [video_id] * len(shots),
            "shot_index": [shot.index for shot in shots],
            "first_frame": [shot.first_frame for shot in shots],
            "last_frame": [shot.last_frame for shot in shots],
            "start_seconds": [float(shot.start_seconds) for shot in shots],
            "end_seconds": [float(shot.end_seconds) for shot in shots],
        },
        schema=lake_schema.polars_schema("shots"),
    )
