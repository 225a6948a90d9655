"""Synthetic inputs for the benchmarks: processed videos without pixels, and small real clips.

The lake and the gate never look at pixels, so a hand-built ``VideoResult`` (a few faces drifting across
every frame) measures normalize, validation and publish exactly as the engine's output would, in
milliseconds instead of a decode. Where a real clip is needed, it is the built-in demo, scaled.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np

from models import Detections
from tasks.detect.result import VideoResult
from tasks.settings import DetectorSettings
from tasks.video.probe import VideoInfo


def synthetic_video_id(seed: int) -> str:
    """A stable, realistic video_id (SHA-256 hex) for a synthetic video."""
    return hashlib.sha256(f"bench-video-{seed}".encode()).hexdigest()


def synthetic_result(seed: int = 0, frames: int = 1500, faces: int = 3) -> VideoResult:
    """``faces`` faces on every one of ``frames`` frames (25 fps, 640x360), drifting, one in three boxes
    filled in by the tracker."""
    rng = np.random.default_rng(seed)
    n = frames * faces
    x1 = rng.uniform(0, 500, n).astype(np.float32)
    y1 = rng.uniform(0, 250, n).astype(np.float32)
    xyxy = np.stack([x1, y1, x1 + 100, y1 + 100], axis=1)
    tracks = Detections(
        xyxy,
        rng.uniform(0.5, 1, n),
        np.repeat(xyxy[:, None, :2] + 50, 5, axis=1),
        frame_index=np.repeat(np.arange(frames), faces),
        track_id=np.tile(np.arange(faces), frames),
        observed=np.arange(n) % 3 != 0,
    )
    info = VideoInfo(
        path=f"/bench/synthetic-{seed}.mp4",
        size_bytes=1_000_000 + seed,
        container="mov,mp4,m4a,3gp,3g2,mj2",
        codec="h264",
        width=640,
        height=360,
        rotation=0,
        frame_rate=Fraction(25),
        frame_count=frames,
        duration=frames / 25,
        time_base=Fraction(1, 12800),
        start_pts=0,
        pix_fmt="yuv420p",
    )
    settings = DetectorSettings(model_sha256="0" * 64)
    return VideoResult(info, settings, tracks, grid_frames=frames, frames_decoded=frames, elapsed_seconds=1.0)


def demo_clip(path: str, frames: int, width: int, height: int) -> str:
    """The built-in demo video at another size and length: real faces, a different file per length."""
    from flows.cli.demo_video import write_demo_video

    return write_demo_video(path, size=(width, height), frames=frames)
