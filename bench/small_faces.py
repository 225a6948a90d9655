"""Small faces in a 1080p frame: which sizes each detector schedule finds, how soon, and at what speed.

    uv run python bench/small_faces.py [--scans 0,1,2,4,8] [--seconds 10]

Makes (once, under bench/out/) a 1920x1080 clip in which twelve faces from the built-in demo's images,
16 to 160 px high, appear one after another (one every 0.6 s) and drift slowly, so the clip's ground truth
is known exactly and needs no ``../shared``. For the coarse pass alone (``--fine-size 0``) and for each
tile scan period, prints per face size the share of its frames covered by a box (recall) and how long
after appearing it was first found, and the engine's frames/s. ``--scans`` lists scan periods in seconds;
0 means no fine passes at all. The dev corpus' ``syn_dev_wall_1080p`` (``bench/accuracy.py``) measures
the same on real faces.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import OUT

SIZE = (1920, 1080)
FPS = 25
FACE_HEIGHTS = (16, 20, 24, 28, 32, 40, 48, 64, 80, 96, 128, 160)  # the face's own box, px
APPEAR_EVERY = 0.6  # seconds between two faces' first frames


def face_boxes() -> list[tuple[np.ndarray, np.ndarray]]:
    """Each demo sprite with its face box inside it (xyxy, fraction of the sprite), found at full size."""
    from flows.cli.demo_video import demo_sprites
    from models import CenterFaceDetector

    detector = CenterFaceDetector(input_size=0)
    out = []
    for sprite in demo_sprites():
        canvas = np.full((sprite.shape[0] * 2, sprite.shape[1] * 2, 3), 128, np.uint8)
        top, left = sprite.shape[0] // 2, sprite.shape[1] // 2
        canvas[top : top + sprite.shape[0], left : left + sprite.shape[1]] = sprite
        found = detector.detect(canvas, 0.5)
        box = found.xyxy[int(np.argmax(found.confidence))] - np.array([left, top, left, top])
        out.append((sprite, box / np.array([sprite.shape[1], sprite.shape[0]] * 2)))
    return out


def layout(seconds: float) -> list[dict]:
    """Where each face is: sprite, scale, start position and first frame."""
    faces = []
    for k, height in enumerate(FACE_HEIGHTS):
        column, row = k % 4, k // 4
        # Appearances wrap around within the clip's first half, so every face has time to be found.
        first = round(k * APPEAR_EVERY * FPS) % max(1, round(seconds * FPS) // 2)
        faces.append({"height": height, "sprite": k % 4, "x": 140 + 450 * column, "y": 120 + 330 * row,
                      "first": first})  # fmt: skip
    return faces


def position(face: dict, frame: int) -> tuple[int, int]:
    t = (frame - face["first"]) / FPS
    return int(face["x"] + 12 * t + 8 * math.sin(t)), int(face["y"] + 6 * math.cos(0.7 * t))


def make_clip(seconds: float) -> tuple[str, list[dict]]:
    import cv2

    from tasks.video.encode import write_video

    sprites = face_boxes()
    faces = layout(seconds)
    for face in faces:
        sprite, box = sprites[face["sprite"]]
        scale = face["height"] / ((box[3] - box[1]) * sprite.shape[0])
        size = (max(1, round(sprite.shape[1] * scale)), max(1, round(sprite.shape[0] * scale)))
        face["image"] = cv2.resize(sprite, size, interpolation=cv2.INTER_AREA)
        face["box"] = box * np.array([size[0], size[1]] * 2)
    frames = round(seconds * FPS)
    path = os.path.join(OUT, f"small_faces_1080p_{frames}.mp4")

    def pictures() -> Iterator[np.ndarray]:
        rng = np.random.default_rng(0)
        texture = rng.integers(0, 24, (SIZE[1], SIZE[0], 1), np.uint8)
        base = np.empty((SIZE[1], SIZE[0], 3), np.uint8)
        base[:] = np.linspace(60, 160, SIZE[0], dtype=np.uint8)[None, :, None]
        base[:, :, 1] = np.linspace(70, 130, SIZE[1], dtype=np.uint8)[:, None]
        base += texture
        for index in range(frames):
            frame = base.copy()
            for face in faces:
                if index >= face["first"]:
                    x, y = position(face, index)
                    h, w = face["image"].shape[:2]
                    frame[y : y + h, x : x + w] = face["image"]
            yield frame

    if not os.path.exists(path):
        write_video(path, pictures(), FPS)
    return path, faces


def score(result_tracks, faces: list[dict], frames: int) -> list[tuple[int, float, float]]:
    """(face height, recall, seconds until first found) per face."""
    from models.tracker.matching import iou_matrix

    rows = []
    for face in faces:
        hits, first = 0, None
        for index in range(face["first"], frames):
            x, y = position(face, index)
            truth = (face["box"] + np.array([x, y, x, y]))[None, :]
            boxes = result_tracks.xyxy[result_tracks.frame_index == index]
            if len(boxes) and iou_matrix(truth, boxes.astype(np.float64)).max() >= 0.3:
                hits += 1
                first = index if first is None else first
        present = frames - face["first"]
        latency = (first - face["first"]) / FPS if first is not None else math.inf
        rows.append((face["height"], hits / present, latency))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scans", default="0,1,2,4,8", help="tile scan periods, s; 0 = coarse pass only")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from tasks.detect.detect_track import detect_track
    from tasks.settings import DetectorSettings

    path, faces = make_clip(args.seconds)
    frames = round(args.seconds * FPS)
    print(f"{os.path.basename(path)}: {len(faces)} faces, {FACE_HEIGHTS[0]}-{FACE_HEIGHTS[-1]} px high")
    print("face px   " + "  ".join(f"{h:>11d}" for h in FACE_HEIGHTS) + "   fps")
    defaults = DetectorSettings()
    for scan in (float(v) for v in args.scans.split(",")):
        settings = replace(defaults, fine_size=0) if scan == 0 else replace(defaults, scan_seconds=scan)
        result = detect_track(path, settings)
        rows = score(result.tracks, faces, frames)
        label = "coarse only" if scan == 0 else f"scan {scan:g} s"
        cells = "  ".join(
            f"{r:4.2f} {lat:4.1f}s" if math.isfinite(lat) else f"{r:4.2f}   -- " for _, r, lat in rows
        )
        print(f"{label:10s}{cells}   {result.frames_per_second:.1f}", flush=True)
    print("cells: recall (share of the face's frames with a box on it), seconds until first found")


if __name__ == "__main__":
    main()
