"""detect_track: one video in, every face event with a stable id out.

    decode + shot cuts (background thread) → detect (every frame, or every Nth: a coarse pass, plus fine
    tiles and regions where small faces are, ``models.detector.schedule``) → track (+ face embeddings)
    → frame grid → stored frame

The fine passes look where the tracker expects faces, so each batch is planned from the tracker's state
after the previous one; they and the face embedder share one full-resolution picture of a frame.

The result is columnar (``models.Detections``) and stays in memory for the JSON and the lake; frames
do not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import numpy as np

from models import (
    CenterFaceDetector,
    Detections,
    DetectorSchedule,
    FaceDetector,
    FaceEmbedder,
    FaceTracker,
    ModelFileError,
    ScheduleConfig,
    ScheduledFrame,
    TrackerConfig,
)
from tasks.detect.frame_grid import to_grid, to_stored_frame
from tasks.detect.result import VideoResult
from tasks.errors import BadInputError, ModelUnavailableError
from tasks.settings import DetectorSettings
from tasks.video.decode import DecodedFrame, FrameReader, TimestampRepair, display_turns
from tasks.video.probe import VideoInfo, probe
from tasks.video.shots import shots_between

# progress(frames_done, frames_expected, faces_so_far)
Progress = Callable[[int, int, int], None]

BATCH_SIZE = 2  # frames per inference call; larger batches measured no faster on CPU
LOW_THRESHOLD_RATIO = 0.4  # second-stage (track-extending) detections go down to this share of --threshold


@lru_cache(maxsize=4)
def cached_detector(input_size: int) -> CenterFaceDetector:
    """One onnxruntime session per process and input size: loading costs ~0.3 s, every video reuses it."""
    try:
        return CenterFaceDetector(input_size=input_size)
    except ModelFileError as exc:
        raise ModelUnavailableError(str(exc)) from None


@lru_cache(maxsize=1)
def cached_embedder() -> FaceEmbedder:
    """One SFace session per process, like the detector's."""
    try:
        return FaceEmbedder()
    except ModelFileError as exc:
        raise ModelUnavailableError(str(exc)) from None


def tracker_config(settings: DetectorSettings) -> TrackerConfig:
    high = settings.threshold
    return TrackerConfig(
        high_threshold=high,
        low_threshold=max(0.05, high * LOW_THRESHOLD_RATIO),
        new_track_threshold=min(0.95, high + 0.1),
        min_face=float(settings.min_face),
    )


def schedule_config(settings: DetectorSettings) -> ScheduleConfig:
    return ScheduleConfig(fine_size=settings.fine_size, scan_seconds=settings.scan_seconds)


def detect_track(
    path: str | os.PathLike[str],
    settings: DetectorSettings | None = None,
    progress: Progress | None = None,
    info: VideoInfo | None = None,
    detector: FaceDetector | None = None,
    embedder: FaceEmbedder | None = None,
    tracker: FaceTracker | None = None,
) -> VideoResult:
    """Detect and track every face in a video. Raises ``BadInputError`` for files that are not videos.

    ``tracker`` replaces the one made from ``settings`` (benchmarks pass their own, then finish it again
    with other identity thresholds through ``result_of``).
    """
    settings = settings or DetectorSettings()
    _check_settings(settings)
    info = info or probe(path)
    detector = detector or cached_detector(settings.input_size)
    settings = _with_model(settings, detector)
    turns = display_turns(info.rotation)
    display_size = (info.height, info.width) if turns % 2 else (info.width, info.height)
    config = tracker_config(settings)
    if tracker is None:
        tracker = FaceTracker(
            float(info.frame_rate), config, settings.detect_every, embedder or cached_embedder()
        )

    started = time.perf_counter()
    slots: list[int] = []
    batch: list[DecodedFrame] = []
    reader = FrameReader(info, detector.input_shape(*display_size), settings.detect_every)
    schedule = DetectorSchedule(detector, display_size, float(info.frame_rate), settings.detect_every,
                                schedule_config(settings))  # fmt: skip
    fine_size = None if schedule.fine_shape == display_size else schedule.fine_shape

    def flush() -> None:
        detected = [f for f in batch if f.image is not None]
        scheduled = [
            ScheduledFrame(f.image, partial(f.picture, fine_size), *tracker.expected_boxes(f.index))
            for f in detected
            if f.image is not None
        ]
        results = schedule.detect(scheduled, config.low_threshold, config.new_track_threshold)
        by_index: dict[int, Detections] = {f.index: d for f, d in zip(detected, results, strict=True)}
        for frame in batch:
            # Faces are embedded from the full-resolution frame (boxes are in its pixels: scale 1).
            full = frame.full_image if frame.source is not None else None
            tracker.update(frame.index, by_index.get(frame.index), full, 1.0, frame.new_shot)
        batch.clear()

    with reader:
        for frame in reader:
            slots.append(frame.slot)
            batch.append(frame)
            if sum(f.image is not None for f in batch) >= BATCH_SIZE:
                flush()
                if progress:
                    progress(len(slots), info.frame_count, tracker.confirmed_count)
        flush()
    if not slots:
        raise BadInputError(f"{os.path.basename(info.path)}: no frame could be decoded")
    _check_complete(info, len(slots))
    stats = {"provider": getattr(detector, "provider", ""), "fine_windows": schedule.windows_run,
             "input_capped": schedule.capped}  # fmt: skip
    result = result_of(tracker, info, settings, slots, stats, reader.clock.repairs)
    result.elapsed_seconds = time.perf_counter() - started
    if progress:
        progress(len(slots), len(slots), result.faces_detected)
    return result


def result_of(
    tracker: FaceTracker,
    info: VideoInfo,
    settings: DetectorSettings,
    slots: list[int],
    stats: dict[str, Any],
    repairs: list[TimestampRepair] | None = None,
) -> VideoResult:
    """Finish ``tracker`` (fed every decoded frame, whose grid slots are ``slots``) into the video's result.

    ``repairs`` are the decoder's timestamp repairs (``FrameClock.repairs``), reported with the result.
    Repeatable: finishing again (say with other identity thresholds in ``tracker.config``) gives a new
    result and leaves the tracker as it was.
    """
    grid_slots = np.asarray(slots, np.int64)
    on_grid, grid_frames = to_grid(tracker.finish(len(slots)), grid_slots)
    tracks = to_stored_frame(on_grid, info, display_turns(info.rotation))
    shots = shots_between(tracker.cuts, grid_slots, grid_frames, float(info.frame_rate))
    stats = {
        **stats,
        "identity_seconds": round(tracker.identity_seconds, 3),
        "embedded_faces": tracker.embedded_faces,
    }
    return VideoResult(
        info, settings, tracks, grid_frames, len(slots), 0.0, stats, shots, list(repairs or [])
    )


def _check_settings(settings: DetectorSettings) -> None:
    if not 0.0 < settings.threshold < 1.0:
        raise BadInputError(f"--threshold must be between 0 and 1, got {settings.threshold}")
    if settings.detect_every < 1:
        raise BadInputError(f"--detect-every must be at least 1, got {settings.detect_every}")
    if settings.input_size != 0 and not 64 <= settings.input_size <= 8192:
        raise BadInputError(f"--input-size must be 0 (full size) or 64..8192, got {settings.input_size}")
    if settings.fine_size != 0 and not 64 <= settings.fine_size <= 8192:
        raise BadInputError(f"--fine-size must be 0 (no fine passes) or 64..8192, got {settings.fine_size}")
    if not 0.1 <= settings.scan_seconds <= 3600:
        raise BadInputError(f"--scan-seconds must be between 0.1 and 3600, got {settings.scan_seconds}")
    if settings.min_face < 0:
        raise BadInputError(f"--min-face must be >= 0, got {settings.min_face}")
    if not settings.fragment_seconds > 0:
        raise BadInputError(f"--fragment-seconds must be positive, got {settings.fragment_seconds}")


def _with_model(settings: DetectorSettings, detector: FaceDetector) -> DetectorSettings:
    from dataclasses import replace

    return replace(settings, model_name=detector.name, model_sha256=detector.sha256)


def _check_complete(info: VideoInfo, decoded: int) -> None:
    """A file whose stream stops well short of what its header promises was cut off: refuse it whole."""
    if info.frame_count > 10 and decoded < info.frame_count * 0.9:
        raise BadInputError(
            f"{os.path.basename(info.path)}: truncated: only {decoded} of {info.frame_count} frames decode"
        )
