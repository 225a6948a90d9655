"""Synthetic processed videos for the lake tests and the lake benchmark.

The lake never looks at pixels, so a hand-built ``VideoResult`` (faces drifting across the frame, ids
appearing and leaving, empty stretches) exercises normalize and publish exactly as the engine's output
would, in milliseconds instead of a decode.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np

from models import Detections
from tasks.detect.result import VideoResult
from tasks.document.build import build_document
from tasks.lake.batch import VideoBatch
from tasks.settings import DetectorSettings
from tasks.video.probe import VideoInfo
from tests.support.results import shots_at


def synthetic_video_id(seed: int) -> str:
    """A stable, realistic video_id (SHA-256 hex) for a synthetic video."""
    return hashlib.sha256(f"synthetic-video-{seed}".encode()).hexdigest()


def synthetic_result(
    seed: int = 0,
    frames: int = 120,
    faces: int = 3,
    frame_rate: Fraction = Fraction(25),
    width: int = 640,
    height: int = 360,
    settings: DetectorSettings | None = None,
) -> VideoResult:
    """A video of ``frames`` frames where ``faces`` tracks each cover a random stretch (some overlap), cut
    into one to three shots."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, int, float, float, float, float, float]] = []
    for face_id in range(faces):
        start = int(rng.integers(0, max(1, frames // 2)))
        stop = int(min(frames, start + rng.integers(max(2, frames // 4), max(3, frames))))
        size = float(rng.uniform(0.08, 0.35)) * height
        x0, y0 = rng.uniform(0, width - size), rng.uniform(0, height - size)
        vx = float(rng.uniform(-2, 2))
        for frame in range(start, stop):
            if rng.random() < 0.05:  # occasionally missed, so frames_seen < span
                continue
            x = float(np.clip(x0 + vx * (frame - start), 0, width - size))
            conf = float(rng.uniform(0.5, 0.99))
            rows.append((frame, face_id, x, float(y0), x + size, float(y0) + size, conf))
    rows.sort(key=lambda r: (r[0], r[1]))
    n = len(rows)
    # Face ids must be 0..K-1 in order of first appearance, as the tracker numbers them.
    order: dict[int, int] = {}
    for r in rows:
        order.setdefault(r[1], len(order))
    arr = np.asarray(rows, np.float64).reshape(n, 7)
    xyxy = arr[:, 2:6].astype(np.float32)
    centers = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2], axis=1)
    offsets = np.array([[-0.2, -0.1], [0.2, -0.1], [0, 0.05], [-0.15, 0.2], [0.15, 0.2]], np.float32)
    box_w = (xyxy[:, 2] - xyxy[:, 0])[:, None, None]
    landmarks = (centers[:, None, :] + offsets[None, :, :] * box_w).astype(np.float32)
    tracks = Detections(
        xyxy,
        arr[:, 6],
        landmarks.reshape(n, 5, 2),
        frame_index=arr[:, 0],
        track_id=[order[int(f)] for f in arr[:, 1]],
        observed=rng.random(n) > 0.3,  # some boxes filled in by the tracker
    ).sorted()
    cuts = sorted({int(c) for c in rng.integers(1, frames, size=seed % 3)}) if frames > 1 else []
    info = VideoInfo(
        path=f"/videos/synthetic-{seed}.mp4",
        size_bytes=1_000_000 + seed,
        container="mov,mp4,m4a,3gp,3g2,mj2",
        codec="h264",
        width=width,
        height=height,
        rotation=0,
        frame_rate=frame_rate,
        frame_count=frames,
        duration=frames / float(frame_rate),
        time_base=Fraction(1, 12800),
        start_pts=0,
        pix_fmt="yuv420p",
    )
    return VideoResult(
        info=info,
        settings=settings or DetectorSettings(model_sha256="0" * 64),
        tracks=tracks,
        grid_frames=frames,
        frames_decoded=frames,
        elapsed_seconds=frames / 50.0,
        stats={},
        shots=shots_at(cuts, frames, frame_rate),
    )


def synthetic_batch(seed: int = 0, run_id: str = "test-run", **kwargs: object) -> VideoBatch:
    """normalize(synthetic_result(seed)) with a stable video_id: the unit publish takes."""
    from tasks.lake.normalize import normalize

    result = synthetic_result(seed, **kwargs)  # type: ignore[arg-type]
    document = build_document(result)
    return normalize(result, document, video_id=synthetic_video_id(seed), run_id=run_id)
