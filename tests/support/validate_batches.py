"""A correct VideoBatch built directly with the lake schema, no video: the tests break one thing each.

The batch is small but has every shape the suites care about: two tracks, a face-free fragment, a
shorter last fragment, boxes touching the frame's edges, and three shots of different lengths.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import polars as pl

from tasks.lake import schema as lake_schema
from tasks.lake.batch import VideoBatch

FPS = 25
TIMESCALE = 25_000
INTERVAL = 1_000
FRAMES_PER_FRAGMENT = 10
GRID_FRAMES = 45  # fragments of 10, 10, 10, 10 and 5 frames
SHOTS = ((0, 11), (12, 29), (30, 44))  # (first, last) frames: cut at frames 12 and 30


def video_id_for(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _events(video_id: str) -> list[dict[str, Any]]:
    """Face 0 in frames 0-19 drifting right, face 1 in frames 5-14 and 30-44 at the bottom-right corner."""
    rows = []
    for frame in range(GRID_FRAMES):
        faces = []
        if frame < 20:
            faces.append((0, round(0.1 + 0.01 * frame, 6), 0.2, 0.25, 0.4, 0.9))
        if 5 <= frame < 15 or frame >= 30:
            faces.append((1, 0.75, 0.5, 0.25, 0.5, 0.6))  # x + width == 1 exactly, y + height == 1
        for face_id, x, y, w, h, confidence in faces:
            landmarks = {col: 0.5 for col in lake_schema.LANDMARK_COLUMNS}
            rows.append(
                {
                    "video_id": video_id,
                    "face_id": face_id,
                    "frame_index": frame,
                    "pts": frame * INTERVAL,
                    "time_seconds": frame * INTERVAL / TIMESCALE,
                    "x": x,
                    "y": y,
                    "width": w,
                    "height": h,
                    "confidence": confidence,
                    **landmarks,
                    "fragment_index": frame // FRAMES_PER_FRAGMENT,
                    lake_schema.FACE_EVENTS_PARTITION: lake_schema.video_bucket(video_id),
                    "detected": frame % 2 == 0,  # detecting every 2nd frame: the tracker fills the rest
                    "imported": False,
                }
            )
    return rows


def _document(events: pl.DataFrame) -> dict[str, Any]:
    fragments = []
    for first in range(0, GRID_FRAMES, FRAMES_PER_FRAGMENT):
        last = min(first + FRAMES_PER_FRAGMENT, GRID_FRAMES)
        fragment: dict[str, Any] = {"start": first * INTERVAL, "duration": (last - first) * INTERVAL}
        inside = events.filter(pl.col("frame_index").is_between(first, last - 1))
        if inside.height:
            fragment["interval"] = INTERVAL
            fragment["events"] = [
                [
                    {"id": r["face_id"], "x": r["x"], "y": r["y"], "width": r["width"], "height": r["height"]}
                    for r in inside.filter(pl.col("frame_index") == f).sort("face_id").iter_rows(named=True)
                ]
                for f in range(first, last)
            ]
        fragments.append(fragment)
    return {
        "version": 1,
        "timescale": TIMESCALE,
        "offset": 0,
        "framerate": float(FPS),
        "width": 640,
        "height": 360,
        "fragments": fragments,
        "facesDetected": events["face_id"].n_unique(),
    }


def good_batch(seed: str = "good", run_id: str = "run-1") -> VideoBatch:
    """A batch that passes every suite; ``seed`` gives each test its own video_id."""
    video_id = video_id_for(seed)
    events = pl.DataFrame(_events(video_id), schema=lake_schema.polars_schema("face_events"))
    per_fragment = events.group_by("fragment_index").agg(
        pl.len().alias("event_count"), pl.col("face_id").unique().sort().alias("face_ids")
    )
    fragments = (
        pl.DataFrame({"fragment_index": range(-(-GRID_FRAMES // FRAMES_PER_FRAGMENT))})
        .with_columns(
            pl.lit(video_id).alias("video_id"),
            (pl.col("fragment_index") * FRAMES_PER_FRAGMENT * INTERVAL).alias("start_ticks"),
            (
                pl.min_horizontal(
                    FRAMES_PER_FRAGMENT, GRID_FRAMES - pl.col("fragment_index") * FRAMES_PER_FRAGMENT
                )
                * INTERVAL
            ).alias("duration_ticks"),
            pl.lit(INTERVAL).alias("interval_ticks"),
        )
        .join(per_fragment.cast({"fragment_index": pl.Int64}), on="fragment_index", how="left")
        .with_columns(
            (pl.col("start_ticks") / TIMESCALE).alias("start_seconds"),
            (pl.col("duration_ticks") / TIMESCALE).alias("duration_seconds"),
            (pl.col("duration_ticks") // INTERVAL).alias("frame_count"),
            pl.col("event_count").fill_null(0),
            pl.col("face_ids").fill_null(pl.lit([], dtype=pl.List(pl.Int32))),
        )
        .with_columns(pl.col("face_ids").list.len().alias("face_count"))
    )
    fragments_schema = lake_schema.polars_schema("fragments")
    fragments = fragments.select([pl.col(c).cast(t) for c, t in fragments_schema.items()])
    area = pl.col("width") * pl.col("height")
    faces = (
        events.group_by("video_id", "face_id")
        .agg(
            pl.col("frame_index").min().alias("first_frame"),
            pl.col("frame_index").max().alias("last_frame"),
            pl.col("time_seconds").min().alias("first_seconds"),
            pl.col("time_seconds").max().alias("last_seconds"),
            pl.len().alias("frames_seen"),
            (pl.len() / FPS).alias("screen_seconds"),
            pl.col("width").mean().alias("mean_width"),
            pl.col("height").mean().alias("mean_height"),
            pl.col("width").max().alias("max_width"),
            pl.col("height").max().alias("max_height"),
            area.mean().alias("mean_area"),
            area.max().alias("max_area"),
            pl.col("confidence").mean().alias("mean_confidence"),
            pl.col("confidence").max().alias("max_confidence"),
            pl.col("frame_index").first().alias("best_frame_index"),
            pl.col("time_seconds").first().alias("best_seconds"),
            pl.col("x").first().alias("best_x"),
            pl.col("y").first().alias("best_y"),
            pl.col("width").first().alias("best_width"),
            pl.col("height").first().alias("best_height"),
            pl.col("confidence").first().alias("best_confidence"),
        )
        .sort("face_id")
    )
    faces = faces.select([pl.col(c).cast(t) for c, t in lake_schema.polars_schema("faces").items()])
    document = _document(events)
    video = {
        "video_id": video_id,
        "source_uri": f"/videos/{seed}.mp4",
        "file_name": f"{seed}.mp4",
        "size_bytes": 123_456,
        "container": "mp4",
        "codec": "h264",
        "pix_fmt": "yuv420p",
        "width": 640,
        "height": 360,
        "rotation": 0,
        "frame_rate_num": FPS,
        "frame_rate_den": 1,
        "frame_rate": float(FPS),
        "timescale": TIMESCALE,
        "interval_ticks": INTERVAL,
        "frames_per_fragment": FRAMES_PER_FRAGMENT,
        "frame_count": GRID_FRAMES,
        "grid_frame_count": GRID_FRAMES,
        "duration_seconds": GRID_FRAMES / FPS,
        "processed_at": datetime(2025, 1, 1, tzinfo=UTC),
        "model_name": "centerface",
        "model_sha256": "0" * 64,
        "detector_threshold": 0.5,
        "detector_input_size": 640,
        "detect_every": 1,
        "min_face_px": 0,
        "fragment_seconds": FRAMES_PER_FRAGMENT / FPS,
        "detector_settings": "{}",
        "faces_detected": document["facesDetected"],
        "event_count": events.height,
        "frames_decoded": GRID_FRAMES,
        "elapsed_seconds": 1.0,
        "processing_fps": float(GRID_FRAMES),
        "json_path": f"/lake/json/{video_id}.json",
        "run_id": run_id,
        "status": "published",
        "facetrack_version": "0.1.0",
        "imported_from": None,
    }
    videos = pl.DataFrame([video], schema=lake_schema.polars_schema("videos"))
    shots = pl.DataFrame(
        [
            {
                "video_id": video_id,
                "shot_index": index,
                "first_frame": first,
                "last_frame": last,
                "start_seconds": first / FPS,
                "end_seconds": (last + 1) / FPS,
            }
            for index, (first, last) in enumerate(SHOTS)
        ],
        schema=lake_schema.polars_schema("shots"),
    )
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
        json_path=video["json_path"],
        run_id=run_id,
    )
