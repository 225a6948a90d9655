"""detect_track: one video in, every face event with a stable id out.

    decode (background thread) → detect (every frame, or every Nth) → track → frame grid → stored frame

The result is columnar (``FaceTracks``) and stays in memory for the JSON and the lake; frames do not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from models.detections import Detections
from models.detector import CenterFaceDetector, FaceDetector
from models.tracker import FaceTracker, TrackerConfig, TrackletArrays
from tasks.decode import DecodedFrame, FrameReader, display_turns
from tasks.errors import BadInputError
from tasks.probe import VideoInfo, probe
from tasks.results import DetectorSettings, FaceTracks, VideoResult

# progress(frames_done, frames_expected, faces_so_far)
Progress = Callable[[int, int, int], None]

BATCH_SIZE = 2  # frames per inference call; larger batches measured no faster on CPU
LOW_THRESHOLD_RATIO = 0.4  # second-stage (track-extending) detections go down to this share of --threshold


@lru_cache(maxsize=4)
def cached_detector(input_size: int) -> CenterFaceDetector:
    """One onnxruntime session per process and input size: loading costs ~0.3 s, every video reuses it."""
    return CenterFaceDetector(input_size=input_size)


def tracker_config(settings: DetectorSettings) -> TrackerConfig:
    high = settings.threshold
    return TrackerConfig(
        high_threshold=high,
        low_threshold=max(0.05, high * LOW_THRESHOLD_RATIO),
        new_track_threshold=min(0.95, high + 0.1),
        min_face=float(settings.min_face),
    )


def detect_track(
    path: str | os.PathLike[str],
    settings: DetectorSettings | None = None,
    progress: Progress | None = None,
    info: VideoInfo | None = None,
    detector: FaceDetector | None = None,
) -> VideoResult:
    """Detect and track every face in a video. Raises ``BadInputError`` for files that are not videos."""
    settings = settings or DetectorSettings()
    _check_settings(settings)
    info = info or probe(path)
    detector = detector or cached_detector(settings.input_size)
    settings = _with_model(settings, detector)
    turns = display_turns(info.rotation)
    display_size = (info.height, info.width) if turns % 2 else (info.width, info.height)
    config = tracker_config(settings)
    tracker = FaceTracker(float(info.frame_rate), config, detect_every=settings.detect_every)

    started = time.perf_counter()
    slots: list[int] = []
    batch: list[DecodedFrame] = []
    reader = FrameReader(info, detector.input_shape(*display_size), settings.detect_every)

    def flush() -> None:
        detected = [f for f in batch if f.image is not None]
        images = [f.image for f in detected if f.image is not None]
        results = detector.detect_batch(images, display_size, config.low_threshold)
        by_index: dict[int, Detections] = {f.index: d for f, d in zip(detected, results, strict=True)}
        for frame in batch:
            image_scale = frame.image.shape[1] / display_size[0] if frame.image is not None else 1.0
            tracker.update(frame.index, by_index.get(frame.index), frame.image, image_scale)
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
    tracklets = tracker.finish(len(slots))
    tracks = _to_stored_frame(_to_grid(tracklets, np.asarray(slots, np.int64)), info, turns)
    elapsed = time.perf_counter() - started
    if progress:
        progress(len(slots), len(slots), tracks.faces_detected)
    return VideoResult(
        info=info,
        settings=settings,
        tracks=tracks,
        frames_decoded=len(slots),
        elapsed_seconds=elapsed,
        stats={"provider": getattr(detector, "provider", "")},
    )


def _check_settings(settings: DetectorSettings) -> None:
    if not 0.0 < settings.threshold < 1.0:
        raise BadInputError(f"--threshold must be between 0 and 1, got {settings.threshold}")
    if settings.detect_every < 1:
        raise BadInputError(f"--detect-every must be at least 1, got {settings.detect_every}")
    if settings.input_size != 0 and not 64 <= settings.input_size <= 8192:
        raise BadInputError(f"--input-size must be 0 (full size) or 64..8192, got {settings.input_size}")
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


def _to_grid(tracklets: TrackletArrays, slots: np.ndarray) -> FaceTracks:
    """Move events from decode order onto the nominal frame grid.

    Each grid slot shows the last frame at or before it (what a player displays then), so a variable-
    frame-rate gap repeats the previous frame's faces and two frames in one slot keep the later one.
    """
    slots = np.maximum.accumulate(slots)
    n_slots = int(slots[-1]) + 1
    source = np.searchsorted(slots, np.arange(n_slots), side="right") - 1  # decoded frame per slot
    bounds = np.searchsorted(tracklets.frame, np.arange(len(slots) + 1))
    starts, counts = bounds[source], bounds[source + 1] - bounds[source]
    rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    return FaceTracks(
        frame_index=np.repeat(np.arange(n_slots, dtype=np.int64), counts),
        face_id=tracklets.track[rows],
        xyxy=tracklets.xyxy[rows],
        confidence=tracklets.confidence[rows],
        landmarks=tracklets.landmarks[rows],
        n_frames=n_slots,
    )


def _to_stored_frame(tracks: FaceTracks, info: VideoInfo, turns: int) -> FaceTracks:
    """Rotate display-space boxes back to the stored frame, clip to it, renumber ids by first appearance."""
    xyxy = tracks.xyxy.astype(np.float64)
    marks = tracks.landmarks.reshape(-1, 2).astype(np.float64)
    if turns:
        corners = _unrotate(np.concatenate([xyxy[:, :2], xyxy[:, 2:]]), info, turns)
        n = len(xyxy)
        xyxy = np.concatenate([np.minimum(corners[:n], corners[n:]), np.maximum(corners[:n], corners[n:])], 1)
        marks = _unrotate(marks, info, turns)
    xyxy = np.clip(xyxy, 0, [info.width, info.height, info.width, info.height])
    keep = (xyxy[:, 2] - xyxy[:, 0] >= 1) & (xyxy[:, 3] - xyxy[:, 1] >= 1)
    ids = tracks.face_id[keep]
    _, first_rows, inverse = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first_rows))  # ids in order of first appearance
    return FaceTracks(
        frame_index=tracks.frame_index[keep],
        face_id=rank[inverse].astype(np.int64).reshape(-1),
        xyxy=xyxy[keep].astype(np.float32),
        confidence=tracks.confidence[keep],
        landmarks=marks.reshape(-1, 5, 2)[keep].astype(np.float32),
        n_frames=tracks.n_frames,
    )


def _unrotate(points: np.ndarray, info: VideoInfo, turns: int) -> np.ndarray:
    """Display-space points → stored-frame points, undoing ``np.rot90(stored, turns)``."""
    x, y = points[:, 0], points[:, 1]
    w, h = info.width, info.height
    if turns == 1:  # display (x', y') = (y, w - x)
        return np.stack([w - y, x], axis=1)
    if turns == 2:
        return np.stack([w - x, h - y], axis=1)
    return np.stack([y, h - x], axis=1)  # turns == 3: display (x', y') = (h - y, x)
