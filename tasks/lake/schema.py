"""schema: the explicit Arrow schemas of every lake table, the single source of truth.

Normalize builds its frames against these, publish writes them, the Great Expectations suites are
derived from them, and the tables are created with them. Nothing is inferred from data: an inferred
schema drifts (an all-null column becomes ``null`` type, an int column becomes float after a NaN) and a
drifted schema makes the next append fail or, worse, silently widens a column for every reader.

Conventions:
- ``video_id`` is the SHA-256 of the video file's bytes, 64 lowercase hex characters.
- Coordinates (``x``, ``y``, ``width``, ``height``, landmarks) are normalized to the stored frame, exactly
  the numbers the per-video JSON holds, so rows rebuild that JSON exactly (``tasks.document.rebuild``).
- Times are kept both as integer ticks (exact, the JSON's unit) and as float seconds (for humans and SQL).
- Timestamps are UTC microseconds, the precision every Delta reader (Spark included) agrees on.

Changing a column here is a schema migration of a lake people already hold: add nullable columns only, at
the end of a table (``tasks.lake.commit`` adds them to existing tables before the first write that has
them). A new table needs nothing more: every publish first creates the tables a lake lacks
(``Lake.ensure_tables``), so an older lake gains it, empty, at its next publish.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pyarrow as pa

if TYPE_CHECKING:
    import polars as pl

UTC_MICROS = pa.timestamp("us", tz="UTC")

# The five landmarks in the detector's order (CenterFace / RetinaFace convention, image left/right).
LANDMARK_NAMES: Final = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
LANDMARK_COLUMNS: Final = tuple(f"{name}_{axis}" for name in LANDMARK_NAMES for axis in ("x", "y"))

# face_events is partitioned by the first hex digit of video_id: 16 evenly filled partitions whatever
# the lake size (SHA-256 digits are uniform). Why not video_id itself: one directory per video means
# thousands of tiny files that OPTIMIZE cannot merge (it never crosses partitions), a Delta log that
# lists them all, and slow planning. Why not unpartitioned: replacing one video's rows would then read
# the stats of every file in the table, and every concurrent writer would conflict with every other.
# With 16 buckets a re-publish touches 1/16th of the table, writers of different buckets never
# conflict, and a query on one video prunes by file statistics (each publish writes its own file(s),
# and OPTIMIZE z-orders by video_id, face_id so compacted files keep tight video_id ranges).
FACE_EVENTS_PARTITION: Final = "video_bucket"
VIDEO_BUCKET_DIGITS: Final = 1

VIDEOS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),  # absolute path or URI as given to `run`
        pa.field("file_name", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("container", pa.string(), nullable=False),
        pa.field("codec", pa.string(), nullable=False),
        pa.field("pix_fmt", pa.string()),
        pa.field("width", pa.int32(), nullable=False),  # stored (coded) frame
        pa.field("height", pa.int32(), nullable=False),
        pa.field("rotation", pa.int32(), nullable=False),  # degrees counter-clockwise for display
        pa.field("frame_rate_num", pa.int64(), nullable=False),  # frame rate as a rational ...
        pa.field("frame_rate_den", pa.int64(), nullable=False),
        pa.field("frame_rate", pa.float64(), nullable=False),  # ... and as the float the JSON holds
        pa.field("timescale", pa.int64(), nullable=False),  # ticks per second
        pa.field("interval", pa.int64(), nullable=False),  # ticks per frame
        pa.field("frames_per_fragment", pa.int32(), nullable=False),
        pa.field("frame_count", pa.int64(), nullable=False),  # as the container declares it
        pa.field("grid_frame_count", pa.int64(), nullable=False),  # frame slots = events in the JSON
        pa.field("duration_seconds", pa.float64(), nullable=False),
        pa.field("processed_at", UTC_MICROS, nullable=False),
        pa.field("model_name", pa.string(), nullable=False),
        pa.field("model_sha256", pa.string(), nullable=False),
        pa.field("detector_threshold", pa.float64(), nullable=False),
        pa.field("detector_input_size", pa.int32(), nullable=False),
        pa.field("detect_every", pa.int32(), nullable=False),
        pa.field("min_face_px", pa.int32(), nullable=False),
        pa.field("fragment_seconds", pa.float64(), nullable=False),
        pa.field("detector_settings", pa.string(), nullable=False),  # all settings as JSON, for new keys
        pa.field("faces_detected", pa.int32(), nullable=False),  # the JSON's facesDetected
        pa.field("event_count", pa.int64(), nullable=False),  # rows of face_events for this video
        pa.field("frames_decoded", pa.int64(), nullable=False),
        pa.field("elapsed_seconds", pa.float64(), nullable=False),
        pa.field("frames_per_second", pa.float64(), nullable=False),  # processing speed
        pa.field("json_path", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # "published"
        pa.field("facetrack_version", pa.string(), nullable=False),
    ]
)

FACE_EVENTS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("face_id", pa.int32(), nullable=False),
        pa.field("frame_index", pa.int64(), nullable=False),  # slot on the nominal frame grid
        pa.field("pts", pa.int64(), nullable=False),  # ticks (videos.timescale per second)
        pa.field("time_seconds", pa.float64(), nullable=False),
        pa.field("x", pa.float64(), nullable=False),  # normalized, exactly as in the JSON
        pa.field("y", pa.float64(), nullable=False),
        pa.field("width", pa.float64(), nullable=False),
        pa.field("height", pa.float64(), nullable=False),
        pa.field("confidence", pa.float32(), nullable=False),
        *(pa.field(name, pa.float32(), nullable=False) for name in LANDMARK_COLUMNS),  # normalized
        pa.field("fragment_index", pa.int32(), nullable=False),
        pa.field(FACE_EVENTS_PARTITION, pa.string(), nullable=False),  # video_id[:1], the partition
        # True where the detector saw the face, False where the tracker interpolated or predicted it.
        # Nullable only because it came later: rows published before it have none (the gate requires it).
        pa.field("detected", pa.bool_()),
    ]
)

FACES = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("face_id", pa.int32(), nullable=False),
        pa.field("first_frame", pa.int64(), nullable=False),
        pa.field("last_frame", pa.int64(), nullable=False),
        pa.field("first_seconds", pa.float64(), nullable=False),
        pa.field("last_seconds", pa.float64(), nullable=False),
        pa.field("frames_seen", pa.int64(), nullable=False),
        pa.field("screen_seconds", pa.float64(), nullable=False),  # frames_seen / frame_rate
        pa.field("mean_width", pa.float64(), nullable=False),  # normalized box sizes
        pa.field("mean_height", pa.float64(), nullable=False),
        pa.field("max_width", pa.float64(), nullable=False),
        pa.field("max_height", pa.float64(), nullable=False),
        pa.field("mean_area", pa.float64(), nullable=False),  # fraction of the frame
        pa.field("max_area", pa.float64(), nullable=False),
        pa.field("mean_confidence", pa.float64(), nullable=False),
        pa.field("max_confidence", pa.float64(), nullable=False),
        # Best frame: the largest, most confident sighting (max area x confidence, earliest on ties);
        # its box is kept so a thumbnail needs no second query.
        pa.field("best_frame_index", pa.int64(), nullable=False),
        pa.field("best_seconds", pa.float64(), nullable=False),
        pa.field("best_x", pa.float64(), nullable=False),
        pa.field("best_y", pa.float64(), nullable=False),
        pa.field("best_width", pa.float64(), nullable=False),
        pa.field("best_height", pa.float64(), nullable=False),
        pa.field("best_confidence", pa.float64(), nullable=False),
    ]
)

FRAGMENTS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("fragment_index", pa.int32(), nullable=False),
        pa.field("start", pa.int64(), nullable=False),  # ticks, as in the JSON
        pa.field("duration", pa.int64(), nullable=False),  # ticks
        pa.field("interval", pa.int64(), nullable=False),  # ticks per frame (the JSON omits it when empty)
        pa.field("start_seconds", pa.float64(), nullable=False),
        pa.field("duration_seconds", pa.float64(), nullable=False),
        pa.field("frame_count", pa.int32(), nullable=False),
        pa.field("event_count", pa.int64(), nullable=False),  # face events (rows) in the fragment
        pa.field("face_count", pa.int32(), nullable=False),  # distinct faces in the fragment
        pa.field("face_ids", pa.list_(pa.int32()), nullable=False),
    ]
)

# One row per shot: the frames between two hard cuts, found on the decoder's thumbnails
# (``tasks.video.shots``). Shots tile the video's frame grid, the one face_events.frame_index is on:
# shot 0 starts at frame 0, each next one the frame after the previous one's last, the last one ends at
# videos.grid_frame_count - 1; a video without a cut is one shot.
SHOTS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("shot_index", pa.int32(), nullable=False),  # 0, 1, ... in time order
        pa.field("first_frame", pa.int64(), nullable=False),  # slots on the nominal frame grid, inclusive
        pa.field("last_frame", pa.int64(), nullable=False),
        pa.field("start_seconds", pa.float64(), nullable=False),  # first_frame / frame_rate
        pa.field("end_seconds", pa.float64(), nullable=False),  # (last_frame + 1) / frame_rate, exclusive
    ]
)

RUNS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),  # the Prefect flow-run id when there is one
        pa.field("started_at", UTC_MICROS, nullable=False),
        pa.field("finished_at", UTC_MICROS),  # null while running (or if the process died)
        pa.field("status", pa.string(), nullable=False),  # running | succeeded | partial | failed
        pa.field("videos_total", pa.int32(), nullable=False),
        pa.field("videos_published", pa.int32(), nullable=False),
        pa.field("videos_failed", pa.int32(), nullable=False),  # bad input, engine or lake errors
        pa.field("videos_quarantined", pa.int32(), nullable=False),  # refused by the validation gate
        pa.field("frames_decoded", pa.int64(), nullable=False),
        pa.field("elapsed_seconds", pa.float64()),
        pa.field("frames_per_second", pa.float64()),
        pa.field("error", pa.string()),  # one line per failed video: "name: message"
        pa.field("hostname", pa.string(), nullable=False),
        pa.field("facetrack_version", pa.string(), nullable=False),
    ]
)

# Publish order is part of the crash-safety contract (see tasks.lake.publish): children first, videos last.
PUBLISH_ORDER: Final = ("face_events", "fragments", "faces", "shots", "videos")

SCHEMAS: Final[dict[str, pa.Schema]] = {
    "videos": VIDEOS,
    "face_events": FACE_EVENTS,
    "faces": FACES,
    "fragments": FRAGMENTS,
    "shots": SHOTS,
    "runs": RUNS,
}

PARTITIONS: Final[dict[str, list[str]]] = {
    "videos": [],
    "face_events": [FACE_EVENTS_PARTITION],
    "faces": [],
    "fragments": [],
    "shots": [],
    "runs": [],
}

# Primary keys: what makes a row unique. Tests and the GX suites check them.
KEYS: Final[dict[str, tuple[str, ...]]] = {
    "videos": ("video_id",),
    "face_events": ("video_id", "frame_index", "face_id"),
    "faces": ("video_id", "face_id"),
    "fragments": ("video_id", "fragment_index"),
    "shots": ("video_id", "shot_index"),
    "runs": ("run_id",),
}

VIDEO_TABLES: Final = PUBLISH_ORDER  # tables whose rows belong to one video_id


def video_bucket(video_id: str) -> str:
    """The face_events partition value of a video."""
    return video_id[:VIDEO_BUCKET_DIGITS]


def polars_schema(table: str) -> pl.Schema:
    """The Polars dtypes of a table, for building frames that match the Arrow schema exactly."""
    import polars as pl

    empty = pl.from_arrow(SCHEMAS[table].empty_table())
    assert isinstance(empty, pl.DataFrame)
    return empty.schema


def declared_columns(frame: pl.DataFrame | None, table: str) -> pl.DataFrame:
    """``frame``'s columns of ``table`` in the declared order; a nullable column the rows predate (they
    were written by an older facetrack) comes back as nulls, and no frame at all as an empty one."""
    import polars as pl

    schema = polars_schema(table)
    if frame is None:
        return pl.DataFrame(schema=schema)
    return frame.select(
        pl.col(name) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    )
