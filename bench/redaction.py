"""Does redaction hide every face? Measured on every ground-truthed dev clip, with the corpus' boxes.

    uv run python bench/redaction.py [--clips a,b] [--step 3] [--blurs high,black] [--no-speed] [--no-deface]

For each clip (default settings: detect, then redact from the JSON): the ground-truth face boxes left
uncovered by every mask (a box less than half inside any mask, on any frame; target 0); then, for each
blur kind, CenterFace at full resolution on the redacted video, every ``--step``-th frame, and the
ground-truth faces it still finds (IoU >= 0.3 with a detection scoring >= 0.5; target <= 1 % for
``high``, 0 for ``black``), with the worst frame. Then redaction frames/s beside detection frames/s on
the 720p and 1080p clips of ``bench/speed.py``. Beside each clip, deface as shipped (its default blur,
threshold 0.2, full resolution, every frame) on the same video: the ground-truth faces the same detector
still finds in its output, and its frames/s (whole process).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import OUT, SHARED_DATA, TRACKING, require_shared, tracking_clips


def ground_truth(name: str) -> dict[int, np.ndarray]:
    """Visible ground-truth boxes per frame slot (0-based), xyxy pixels."""
    sys.path.insert(0, SHARED_DATA)
    from score_tracking import read_mot

    rows = read_mot(os.path.join(TRACKING, f"{name}.gt.txt"))
    boxes: dict[int, np.ndarray] = {}
    for frame, found in rows.items():
        visible = [r[1:5] for r in found if r[5] != 0]
        if visible:
            xywh = np.array(visible, np.float64)
            boxes[frame - 1] = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    return boxes


def inside_share(truth: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """For each truth box, the largest share of it that lies inside one mask box."""
    if len(masks) == 0:
        return np.zeros(len(truth))
    tl = np.maximum(truth[:, None, :2], masks[None, :, :2])
    br = np.minimum(truth[:, None, 2:], masks[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    area = np.prod(truth[:, 2:] - truth[:, :2], axis=1)
    share: np.ndarray = (inter / np.maximum(area[:, None], 1e-9)).max(axis=1)
    return share


def still_found(path: str, truth: dict[int, np.ndarray], step: int) -> tuple[int, int, int, int]:
    """(ground-truth boxes looked at, of them found, worst frame's count, worst frame)."""
    import av

    from models import CenterFaceDetector
    from models.tracker.matching import iou_matrix

    detector = CenterFaceDetector(input_size=0)
    looked = found = worst = 0
    worst_frame = -1
    with av.open(path) as container:
        for slot, frame in enumerate(container.decode(video=0)):
            if slot % step or slot not in truth:
                continue
            dets = detector.detect(frame.to_ndarray(format="bgr24"), 0.5)
            boxes = truth[slot]
            looked += len(boxes)
            hits = int((iou_matrix(boxes, dets.xyxy.astype(np.float64)).max(axis=1, initial=0) >= 0.3).sum())
            found += hits
            if hits > worst:
                worst, worst_frame = hits, slot
    return looked, found, worst, worst_frame


def deface_cells(video: str, name: str, truth: dict[int, np.ndarray], step: int) -> str:
    """deface as shipped on ``video``: what the detector still finds in its output, and its speed."""
    import subprocess

    from tasks.video.probe import probe

    out = os.path.join(OUT, f"{name}.deface.mp4")
    deface = os.path.join(os.path.dirname(sys.executable), "deface")
    started = time.perf_counter()
    subprocess.run([deface, video, "-o", out], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    looked, found, worst, at = still_found(out, truth, step)
    where = f", worst frame {at} ({worst})" if found else ""
    fps = probe(video).frame_count / seconds
    return (
        f"deface: {found} of {looked} still found ({found / max(looked, 1):.2%}{where}), {fps:.1f} frames/s"
    )


def run_clip(name: str, blurs: list[str], step: int, with_deface: bool = True) -> None:
    from tasks.detect.detect_track import detect_track
    from tasks.document.build import build_document
    from tasks.redact import RedactOptions, masks_from_document, redact_video
    from tasks.redact.faces import document_frames

    video = os.path.join(TRACKING, f"{name}.mp4")
    result = detect_track(video)
    document = build_document(result)
    masks = masks_from_document(document, grid_frames=document_frames(document))
    truth = ground_truth(name)
    boxes = sum(len(b) for b in truth.values())
    uncovered = [(slot, int((inside_share(b, masks.on(slot)) < 0.5).sum())) for slot, b in truth.items()]
    missed = sum(n for _, n in uncovered)
    frames_missed = sum(1 for _, n in uncovered if n)
    cells = [f"uncovered {missed} of {boxes} GT boxes on {frames_missed} frames"]
    for blur in blurs:
        out = os.path.join(OUT, f"{name}.redacted.{blur}.mp4")
        redact_video(result.info, masks, out, RedactOptions(blur=blur))
        looked, found, worst, at = still_found(out, truth, step)
        where = f", worst frame {at} ({worst})" if found else ""
        cells.append(f"{blur}: {found} of {looked} still found ({found / max(looked, 1):.2%}{where})")
    cells.append(f"facetrack {result.frames_per_second:.1f} frames/s detecting (in-process)")
    if with_deface:
        cells.append(deface_cells(video, name, truth, step))
    print(f"{name:22s} " + "; ".join(cells), flush=True)


def speed(height: int) -> None:
    from speed import make_clip

    from tasks.detect.detect_track import detect_track
    from tasks.document.build import build_document
    from tasks.redact import masks_from_document, redact_video
    from tasks.redact.faces import document_frames

    clip = make_clip(height)
    result = detect_track(clip)
    document = build_document(result)
    masks = masks_from_document(document, grid_frames=document_frames(document))
    started = time.perf_counter()
    written = redact_video(result.info, masks, os.path.join(OUT, f"speed_{height}p.redacted.mp4"))
    seconds = time.perf_counter() - started
    print(f"{height}p ({written.frames} frames, {written.masked_frames} with faces): redaction "
          f"{written.frames / seconds:.1f} frames/s, detection {result.frames_per_second:.1f} frames/s "
          f"(engine, in-process)", flush=True)  # fmt: skip


def main() -> None:
    require_shared()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", default="")
    parser.add_argument("--step", type=int, default=3, help="look at every Nth frame of a redacted video")
    parser.add_argument("--blurs", default="high,black")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-deface", action="store_true", help="skip deface's side-by-side run")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    for name in args.clips.split(",") if args.clips else tracking_clips():
        run_clip(name, args.blurs.split(","), args.step, not args.no_deface)
    if not args.no_speed:
        for height in (720, 1080):
            speed(height)


if __name__ == "__main__":
    main()
