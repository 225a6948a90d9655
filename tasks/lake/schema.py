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
the end of a table, or make a required column nullable (``tasks.lake.commit`` adds the columns to existing
tables, and drops their NOT NULL, before the first write that has them; both are metadata-only commits).
A new table needs nothing more: every publish first creates the tables a lake lacks
(``Lake.ensure_tables``), so an older lake gains it, empty, at its next publish. Renaming a column is
the exception that needs a rewrite: ``tasks.lake.migrate`` (``facetrack lake migrate``) does it, and a
lake that still has an old name is refused by every write until it has run.

Column names avoid SQL reserved words (``interval``, ``start``, ``duration``, ``column``, ...), so every
engine (DataFusion, DuckDB, Spark, Trino) reads them unquoted: tick counts end in ``_ticks``.
"""

from __future__ import annotations

import os
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
        # FFmpeg's short name of the container format: the member of its format list that the file's
        # extension names ("mp4" for clip.mp4 of "mov,mp4,m4a,3gp,3g2,mj2"), else the list's first item
        # (``container_name``).
        pa.field("container", pa.string()),
        pa.field("codec", pa.string()),
        pa.field("pix_fmt", pa.string()),
        pa.field("width", pa.int32(), nullable=False),  # stored (coded) frame
        pa.field("height", pa.int32(), nullable=False),
        pa.field("rotation", pa.int32(), nullable=False),  # degrees counter-clockwise for display
        pa.field("frame_rate_num", pa.int64(), nullable=False),  # frame rate as a rational ...
        pa.field("frame_rate_den", pa.int64(), nullable=False),
        pa.field("frame_rate", pa.float64(), nullable=False),  # ... and as the float the JSON holds
        pa.field("timescale", pa.int64(), nullable=False),  # ticks per second
        pa.field("interval_ticks", pa.int64(), nullable=False),  # ticks per frame (the JSON's interval)
        pa.field("frames_per_fragment", pa.int32(), nullable=False),
        pa.field("frame_count", pa.int64(), nullable=False),  # as the container declares it
        pa.field("grid_frame_count", pa.int64(), nullable=False),  # frame slots = events in the JSON
        pa.field("duration_seconds", pa.float64(), nullable=False),
        pa.field("processed_at", UTC_MICROS, nullable=False),
        pa.field("model_name", pa.string(), nullable=False),
        pa.field("model_sha256", pa.string()),
        pa.field("detector_threshold", pa.float64()),
        pa.field("detector_input_size", pa.int32()),
        pa.field("detect_every", pa.int32()),
        pa.field("min_face_px", pa.int32()),
        pa.field("fragment_seconds", pa.float64(), nullable=False),
        pa.field("detector_settings", pa.string(), nullable=False),  # all settings as JSON, for new keys
        pa.field("faces_detected", pa.int32(), nullable=False),  # the JSON's facesDetected
        pa.field("event_count", pa.int64(), nullable=False),  # rows of face_events for this video
        pa.field("frames_decoded", pa.int64(), nullable=False),
        pa.field("elapsed_seconds", pa.float64(), nullable=False),
        pa.field("processing_fps", pa.float64()),  # processing speed: frames decoded / s
        pa.field("json_path", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # "published"
        pa.field("facetrack_version", pa.string(), nullable=False),
        # Where the rows came from when facetrack did not detect them: the Azure Face Detector / Redactor
        # JSON that ``facetrack import`` read (absolute path or URI); null for videos processed here. An
        # imported video has no detector settings, confidence or landmarks: those columns are null for it.
        pa.field("imported_from", pa.string()),
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
        pa.field("confidence", pa.float32()),
        *(pa.field(name, pa.float32()) for name in LANDMARK_COLUMNS),  # normalized
        pa.field("fragment_index", pa.int32(), nullable=False),
        pa.field(FACE_EVENTS_PARTITION, pa.string(), nullable=False),  # video_id[:1], the partition
        # True where the detector saw the face, False where the tracker interpolated or predicted it.
        # Nullable only because it came later: rows published before it have none (the gate requires it).
        pa.field("detected", pa.bool_()),
        # True for rows ``facetrack import`` read from another tool's JSON (confidence and landmarks null),
        # false for rows facetrack detected. Nullable only because it came later: rows published before it
        # have none, and they were all detected here (``imported IS NOT TRUE`` selects them too).
        pa.field("imported", pa.bool_()),
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
        pa.field("mean_confidence", pa.float64()),
        pa.field("max_confidence", pa.float64()),
        # Best frame: the largest, most confident sighting (max area x confidence, earliest on ties);
        # its box is kept so a thumbnail needs no second query.
        pa.field("best_frame_index", pa.int64(), nullable=False),
        pa.field("best_seconds", pa.float64(), nullable=False),
        pa.field("best_x", pa.float64(), nullable=False),
        pa.field("best_y", pa.float64(), nullable=False),
        pa.field("best_width", pa.float64(), nullable=False),
        pa.field("best_height", pa.float64(), nullable=False),
        pa.field("best_confidence", pa.float64()),
    ]
)

FRAGMENTS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("fragment_index", pa.int32(), nullable=False),
        pa.field("start_ticks", pa.int64(), nullable=False),  # the JSON's start
        pa.field("duration_ticks", pa.int64(), nullable=False),  # the JSON's duration
        pa.field("interval_ticks", pa.int64(), nullable=False),  # per frame (the JSON omits it if empty)
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
        # The run's heartbeat: rewritten every few minutes while it runs, so a 'running' row whose
        # updated_at is old belongs to a process that died without a word (``facetrack lake check``).
        # Nullable only because it came later.
        pa.field("updated_at", UTC_MICROS),
    ]
)

# One row per redacted video written (``facetrack run --redact``, ``serve --redact``): which faces of which
# video were hidden how, and where the result is. Keyed by (video_id, output_uri): redacting again to the
# same file replaces its row. A row is written only after the file is complete (renamed into place).
REDACTIONS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("output_uri", pa.string(), nullable=False),  # the redacted video: absolute path or URI
        pa.field("face_ids", pa.list_(pa.int32()), nullable=False),  # the ids hidden
        pa.field("all_faces", pa.bool_(), nullable=False),  # every id of the video (no --ids / --except)
        pa.field("blur", pa.string(), nullable=False),  # low | med | high | box | black | mosaic
        pa.field("shape", pa.string(), nullable=False),  # ellipse | box
        pa.field("margin", pa.float64(), nullable=False),  # of each box's size, added on every side
        pa.field("codec", pa.string(), nullable=False),  # the video's encoder (audio etc. copied)
        pa.field("crf", pa.int32(), nullable=False),
        pa.field("frames", pa.int64(), nullable=False),  # frames written
        pa.field("masked_frames", pa.int64(), nullable=False),  # of them, frames with a face hidden
        pa.field("size_bytes", pa.int64(), nullable=False),  # of the redacted file
        pa.field("seconds", pa.float64(), nullable=False),  # the redaction's wall time
        pa.field("redacted_at", UTC_MICROS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("facetrack_version", pa.string(), nullable=False),
    ]
)

# Lineage: every file a video's content was seen as (``tasks.lake.sources``). A renamed or re-uploaded copy
# is the same video (same bytes, same ``video_id``), and its ``videos`` row names only the latest source;
# this table keeps them all. Written at publish, after the child tables and before ``videos`` (a source
# row without a ``videos`` row is a leftover like any child row), and for a copy the inbox skips because
# its content is already published. Keyed by (video_id, source_uri): seeing a source again refreshes
# ``last_seen_at`` and ``run_id`` and keeps ``first_seen_at``.
VIDEO_SOURCES = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),  # absolute path or URI, as videos.source_uri
        pa.field("file_name", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("first_seen_at", UTC_MICROS, nullable=False),
        pa.field("last_seen_at", UTC_MICROS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),  # the run of the last sighting
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
    "redactions": REDACTIONS,
    "video_sources": VIDEO_SOURCES,
}

PARTITIONS: Final[dict[str, list[str]]] = {
    "videos": [],
    "face_events": [FACE_EVENTS_PARTITION],
    "faces": [],
    "fragments": [],
    "shots": [],
    "runs": [],
    "redactions": [],
    "video_sources": [],
}

# Primary keys: what makes a row unique. Tests and the GX suites check them.
KEYS: Final[dict[str, tuple[str, ...]]] = {
    "videos": ("video_id",),
    "face_events": ("video_id", "frame_index", "face_id"),
    "faces": ("video_id", "face_id"),
    "fragments": ("video_id", "fragment_index"),
    "shots": ("video_id", "shot_index"),
    "runs": ("run_id",),
    "redactions": ("video_id", "output_uri"),
    "video_sources": ("video_id", "source_uri"),
}

VIDEO_TABLES: Final = PUBLISH_ORDER  # tables whose rows belong to one video_id

# What each table holds, in one line: `facetrack lake tables`, information_schema.tables and the Delta
# table's description (set when the table is created).
TABLE_DESCRIPTIONS: Final[dict[str, str]] = {
    "videos": "one row per published video: source, stream properties, detector settings, counts",
    "face_events": "one row per face per frame slot: normalized box, landmarks, confidence",
    "faces": "one row per tracked face of a video: when it is on screen, its size, its best frame",
    "fragments": "one row per fragment of a video's timeline, as in the JSON: timing and faces in it",
    "shots": "one row per shot (frames between two hard cuts) of a video",
    "runs": "one row per facetrack run: status, counts, timing, host",
    "redactions": "one row per redacted video written: which faces were hidden how, and where",
    "video_sources": "every file a video's content was seen as (renamed or re-uploaded copies)",
    "validations": "the validation gate's record: one row per expectation checked per video",
    **{f"quarantine_{t}": f"{t} rows of batches the validation gate refused" for t in VIDEO_TABLES},
    "quarantine_documents": "per-video documents of batches the validation gate refused, with the reason",
}

_NORMALIZED = "normalized to the stored frame (0..1), as in the JSON"
_TICKS = "ticks (videos.timescale per second)"

# Meaning and unit of every column, stored as each Delta field's "comment" metadata (Spark's convention),
# so any engine's catalog shows them. Keep them short: meaning, then unit.
COLUMN_COMMENTS: Final[dict[str, dict[str, str]]] = {
    "videos": {
        "video_id": "SHA-256 of the video file's bytes, 64 lowercase hex",
        "source_uri": "absolute path or URI of the file as given to `run` (the latest source)",
        "file_name": "file name of the source",
        "size_bytes": "file size, bytes",
        "container": "FFmpeg's short container name (mp4, matroska, ...)",
        "codec": "video codec name (FFmpeg)",
        "pix_fmt": "pixel format (FFmpeg)",
        "width": "stored (coded) frame width, pixels",
        "height": "stored (coded) frame height, pixels",
        "rotation": "display rotation, degrees counter-clockwise",
        "frame_rate_num": "frame rate numerator, frames per second as a rational",
        "frame_rate_den": "frame rate denominator",
        "frame_rate": "frame rate, frames per second (the JSON's framerate)",
        "timescale": "ticks per second of every tick column",
        "interval_ticks": f"duration of one frame, {_TICKS}",
        "frames_per_fragment": "frames per fragment of the JSON timeline",
        "frame_count": "frames, as the container declares them",
        "grid_frame_count": "frame slots on the nominal grid = events in the JSON",
        "duration_seconds": "video duration, seconds",
        "processed_at": "when the video was processed, UTC",
        "model_name": "face detector model",
        "model_sha256": "SHA-256 of the detector model file",
        "detector_threshold": "minimum detection confidence, 0..1",
        "detector_input_size": "detector input size, pixels",
        "detect_every": "detector runs every N frames (the tracker fills the rest)",
        "min_face_px": "smallest face kept, pixels",
        "fragment_seconds": "fragment length asked for, seconds",
        "detector_settings": "all detector settings, JSON",
        "faces_detected": "distinct faces tracked (the JSON's facesDetected)",
        "event_count": "rows of face_events for this video",
        "frames_decoded": "frames decoded while processing",
        "elapsed_seconds": "processing wall time, seconds",
        "processing_fps": "processing speed, frames decoded per second",
        "json_path": "where the video's face JSON is (path or URI)",
        "run_id": "the run that published this row (runs.run_id)",
        "status": "publication status: published",
        "facetrack_version": "facetrack version that wrote the row",
        "imported_from": "the Azure JSON the rows came from (`facetrack import`); null if detected here",
    },
    "face_events": {
        "video_id": "the video (videos.video_id)",
        "face_id": "tracked face id within the video (faces.face_id)",
        "frame_index": "frame slot on the nominal frame grid, from 0",
        "pts": f"presentation time, {_TICKS}",
        "time_seconds": "presentation time, seconds",
        "x": f"box left edge, {_NORMALIZED}",
        "y": f"box top edge, {_NORMALIZED}",
        "width": f"box width, {_NORMALIZED}",
        "height": f"box height, {_NORMALIZED}",
        "confidence": "detector confidence, 0..1; null for imported rows",
        **{
            f"{name}_{axis}": f"{name.replace('_', ' ')} landmark {axis}, {_NORMALIZED}"
            for name in LANDMARK_NAMES
            for axis in ("x", "y")
        },
        "fragment_index": "fragment of the JSON timeline (fragments.fragment_index)",
        FACE_EVENTS_PARTITION: "partition: first hex digit of video_id",
        "detected": "true where the detector saw the face, false where the tracker filled it in",
        "imported": "true for rows imported from another tool's JSON (no confidence, no landmarks)",
    },
    "faces": {
        "video_id": "the video (videos.video_id)",
        "face_id": "tracked face id within the video",
        "first_frame": "first frame slot the face is on",
        "last_frame": "last frame slot the face is on",
        "first_seconds": "first time the face is on screen, seconds",
        "last_seconds": "last time the face is on screen, seconds",
        "frames_seen": "frame slots with the face",
        "screen_seconds": "time on screen, seconds (frames_seen / frame_rate)",
        "mean_width": f"mean box width, {_NORMALIZED}",
        "mean_height": f"mean box height, {_NORMALIZED}",
        "max_width": f"largest box width, {_NORMALIZED}",
        "max_height": f"largest box height, {_NORMALIZED}",
        "mean_area": "mean box area, fraction of the frame",
        "max_area": "largest box area, fraction of the frame",
        "mean_confidence": "mean detector confidence, 0..1; null for an imported video",
        "max_confidence": "highest detector confidence, 0..1",
        "best_frame_index": "best frame slot (largest area x confidence, earliest on ties)",
        "best_seconds": "time of the best frame, seconds",
        "best_x": f"best frame's box left edge, {_NORMALIZED}",
        "best_y": f"best frame's box top edge, {_NORMALIZED}",
        "best_width": f"best frame's box width, {_NORMALIZED}",
        "best_height": f"best frame's box height, {_NORMALIZED}",
        "best_confidence": "best frame's detector confidence, 0..1",
    },
    "fragments": {
        "video_id": "the video (videos.video_id)",
        "fragment_index": "fragment number in time order, from 0",
        "start_ticks": f"fragment start (the JSON's start), {_TICKS}",
        "duration_ticks": f"fragment length (the JSON's duration), {_TICKS}",
        "interval_ticks": f"duration of one frame, {_TICKS}",
        "start_seconds": "fragment start, seconds",
        "duration_seconds": "fragment length, seconds",
        "frame_count": "frame slots in the fragment",
        "event_count": "face events (rows of face_events) in the fragment",
        "face_count": "distinct faces in the fragment",
        "face_ids": "ids of the faces in the fragment",
    },
    "shots": {
        "video_id": "the video (videos.video_id)",
        "shot_index": "shot number in time order, from 0",
        "first_frame": "first frame slot of the shot, inclusive",
        "last_frame": "last frame slot of the shot, inclusive",
        "start_seconds": "shot start, seconds (first_frame / frame_rate)",
        "end_seconds": "shot end, seconds, exclusive ((last_frame + 1) / frame_rate)",
    },
    "runs": {
        "run_id": "run id (the Prefect flow-run id when there is one)",
        "started_at": "when the run started, UTC",
        "finished_at": "when the run ended, UTC; null while running or if the process died",
        "status": "running | succeeded | partial | failed | abandoned",
        "videos_total": "videos the run was given",
        "videos_published": "videos published",
        "videos_failed": "videos failed (bad input, engine or lake errors)",
        "videos_quarantined": "videos refused by the validation gate",
        "frames_decoded": "frames decoded, all videos",
        "elapsed_seconds": "run wall time, seconds",
        "frames_per_second": "processing speed, frames decoded per second",
        "error": "one line per failed video: 'name: message'",
        "hostname": "host the run ran on",
        "facetrack_version": "facetrack version of the run",
        "updated_at": "heartbeat: last time the running process wrote the row, UTC",
    },
    "redactions": {
        "video_id": "the video redacted (videos.video_id)",
        "output_uri": "the redacted video: absolute path or URI",
        "face_ids": "ids of the faces hidden",
        "all_faces": "true when every face of the video was hidden",
        "blur": "how faces were hidden: low | med | high | box | black | mosaic",
        "shape": "mask shape: ellipse | box",
        "margin": "margin added on every side, fraction of the box size",
        "codec": "encoder of the redacted video",
        "crf": "encoder constant rate factor",
        "frames": "frames written",
        "masked_frames": "frames written with a face hidden",
        "size_bytes": "size of the redacted file, bytes",
        "seconds": "redaction wall time, seconds",
        "redacted_at": "when the redaction finished, UTC",
        "run_id": "the run that redacted (runs.run_id)",
        "facetrack_version": "facetrack version that redacted",
    },
    "video_sources": {
        "video_id": "the video (videos.video_id)",
        "source_uri": "absolute path or URI the content was seen at",
        "file_name": "file name of the source",
        "size_bytes": "file size, bytes",
        "first_seen_at": "first time this source was seen, UTC",
        "last_seen_at": "last time this source was seen, UTC",
        "run_id": "the run of the last sighting (runs.run_id)",
    },
}

# Tables kept by the validation gate (their schemas live in ``tasks.validate``): SQL's catalog shows these
# comments; "quarantine" is for the columns every quarantine_* table adds to its table's own.
AUXILIARY_COMMENTS: Final[dict[str, dict[str, str]]] = {
    "validations": {
        "run_id": "the run that validated (runs.run_id)",
        "video_id": "the video validated (videos.video_id)",
        "suite": "the table's suite, or 'contract' for the JSON contract check",
        "expectation": "the expectation's name (the rule)",
        "expectation_type": "Great Expectations type, e.g. expect_column_values_to_be_between",
        "column_name": "the column(s) it looks at, comma-separated",
        "success": "true when the expectation held",
        "observed_value": "what was observed, JSON",
        "unexpected_count": "rows that broke the expectation",
        "element_count": "rows checked",
        "unexpected_sample": "up to 20 offending values, JSON list",
        "exception": "why the expectation could not be evaluated",
        "validated_at": "when it was validated, UTC",
        "gx_version": "Great Expectations version",
    },
    "quarantine": {
        "batch_video_id": "the refused batch's video_id",
        "quarantine_reason": "why the batch was refused, one line",
        "failed_expectations": "the expectations that failed, 'table: expectation'",
        "quarantine_run_id": "the run that refused the batch (runs.run_id)",
        "quarantined_at": "when the batch was refused, UTC",
        "quarantine_unfit": "this row's values that did not fit the schema, JSON",
        "json_path": "where the video's face JSON was to go",
        "document": "the per-video JSON, verbatim",
    },
}


def with_comments(table: str, schema: pa.Schema) -> pa.Schema:
    """``schema`` with each field's ``COLUMN_COMMENTS`` entry as its "comment" metadata."""
    comments = COLUMN_COMMENTS.get(table, {})
    return pa.schema(
        [
            field.with_metadata({**(field.metadata or {}), b"comment": comments[field.name].encode()})
            if field.name in comments
            else field
            for field in schema
        ],
        metadata=schema.metadata,
    )


# The schemas carry their comments, so a table created from them stores them in its Delta log. Writes are
# indifferent to field metadata (delta-rs appends and replaces rows of a table created without comments).
SCHEMAS.update({table: with_comments(table, schema) for table, schema in SCHEMAS.items()})


def video_bucket(video_id: str) -> str:
    """The face_events partition value of a video."""
    return video_id[:VIDEO_BUCKET_DIGITS]


def container_name(format_name: str, path: str = "") -> str:
    """The short name of a container format as FFmpeg reports it.

    FFmpeg names a demuxer by the list of formats it reads (``mov,mp4,m4a,3gp,3g2,mj2``,
    ``matroska,webm``), which no SQL filter wants to match. The short name is the member of that list
    the file's extension names (``mp4`` for ``clip.mp4``, ``m4a`` for ``talk.m4a``, ``webm`` for
    ``x.webm``), else the list's first item (``mov`` for ``clip.qt``, ``matroska`` for ``x.mkv``). A
    name that is no list (``avi``) is kept as it is.
    """
    names = [name.strip() for name in format_name.split(",") if name.strip()]
    if not names:
        return format_name
    extension = os.path.splitext(os.path.basename(path))[1].lstrip(".").lower()
    return extension if extension in names else names[0]


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
