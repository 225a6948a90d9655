"""Accuracy of `facetrack detect` on the ground-truthed dev clips and FDDB, with the corpus' own scorers.

    uv run python bench/accuracy.py [--threshold T] [--input-size S] [--detect-every N] [--fine-size F]
                                    [--scan-seconds S] [--clips a,b] [--fddb] [--sweep]

Prints one row per tracking clip (recall, precision, IDF1, id switches, ids per identity, facesDetected
error) and, with --fddb, FDDB dev TPR at 100/500/1000 false positives and AP for the default input size
and for full resolution side by side. With --sweep, then the identity sweep of ``bench/identity.py``
(similarities of one person and of two, the stitching thresholds' table, shot cuts, identity cost).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import FDDB, OUT, SHARED_DATA, TRACKING, require_shared, tracking_clips


def run_tracking(args: argparse.Namespace) -> list[dict]:
    from score_tracking import score

    from tasks.detect.detect_track import detect_track
    from tasks.document.build import build_document
    from tasks.document.write import write_json_atomic
    from tasks.settings import DetectorSettings

    settings = DetectorSettings(threshold=args.threshold, input_size=args.input_size,
                                detect_every=args.detect_every, fine_size=args.fine_size,
                                scan_seconds=args.scan_seconds)  # fmt: skip
    rows = []
    clips = args.clips.split(",") if args.clips else tracking_clips()
    for name in clips:
        video = os.path.join(TRACKING, f"{name}.mp4")
        result = detect_track(video, settings)
        out = os.path.join(OUT, f"{name}.json")
        write_json_atomic(build_document(result), out)
        metrics, _ = score(
            out, os.path.join(TRACKING, f"{name}.gt.txt"), os.path.join(TRACKING, f"{name}.meta.json")
        )
        metrics["fps"] = round(result.frames_per_second, 1)
        rows.append(metrics)
        m = metrics
        print(
            f"{name:22s} recall {m['recall']:.3f}  precision {m['precision']:.3f}  IDF1 {m['IDF1']:.3f}  "
            f"MOTA {m['MOTA']:.3f}  switches {m['id_switches']:3d}  ids/identity {m['ids_per_identity']}  "
            f"ids for 2+ people {m.get('pred_ids_spanning_identities', '?')}  "
            f"faces {m['facesDetected']} (true {m['gt_identities']}, err {m['faces_detected_error']:+d})  "
            f"{m['fps']} fps",
            flush=True,
        )
    multi = [r for r in rows if r["item"].startswith("syn_dlib")]
    real = [r for r in rows if single_target(r["item"])]  # the real single-face clips
    if multi:

        def mean(key: str) -> float:
            return sum(r[key] for r in multi) / len(multi)

        print(
            f"multi-face mean: IDF1 {mean('IDF1'):.3f}  ids/identity {mean('ids_per_identity'):.2f}  "
            f"precision {mean('precision'):.3f}  recall {mean('recall'):.3f}  "
            f"facesDetected rel. error "
            f"{max(abs(r['faces_detected_error']) / r['gt_identities'] for r in multi):.0%} (worst)"
        )
    if real:
        print(f"real single-face clips: min recall {min(r['recall'] for r in real):.3f}  "
              f"max ids/identity {max(r['ids_per_identity'] for r in real):.2f}")  # fmt: skip
    return rows


def single_target(name: str) -> bool:
    with open(os.path.join(TRACKING, f"{name}.meta.json")) as handle:
        return bool(json.load(handle).get("single_target"))


def run_fddb(input_sizes: list[int], threshold: float) -> None:
    import cv2

    from models.detector import CenterFaceDetector

    with open(os.path.join(FDDB, "gt.jsonl")) as handle:
        images = [json.loads(line)["image"] for line in handle]
    for size in input_sizes:
        detector = CenterFaceDetector(input_size=size)
        out = os.path.join(OUT, f"fddb_{size}.jsonl")
        started = time.perf_counter()
        with open(out, "w") as handle:
            for image in images:
                frame = cv2.imread(os.path.join(FDDB, "..", image))
                dets = detector.detect(frame, threshold)
                boxes = [[*map(float, b), float(s)] for b, s in zip(dets.xyxy, dets.confidence, strict=True)]
                handle.write(json.dumps({"image": image, "boxes": boxes}) + "\n")
        seconds = time.perf_counter() - started
        scorer = os.path.join(SHARED_DATA, "score_fddb.py")
        command = [sys.executable, scorer, "--detections", out, "--split", "dev"]
        scored = subprocess.run(command, capture_output=True, text=True, check=True)
        m = json.loads(scored.stdout)
        label = "full resolution" if size == 0 else f"input size {size}"
        print(f"FDDB dev, {label:16s}: TPR@100FP {m['TPR@100FP']:.3f}  TPR@500FP {m['TPR@500FP']:.3f}  "
              f"TPR@1000FP {m['TPR@1000FP']:.3f}  AP@0.5 {m['AP@0.5_derived_boxes']:.3f}  "
              f"AP@0.3 {m['AP@0.3_derived_boxes']:.3f}  ({len(images) / seconds:.0f} images/s)",
              flush=True)  # fmt: skip


def main() -> None:
    require_shared()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    from tasks.settings import DetectorSettings

    defaults = DetectorSettings()
    parser.add_argument("--threshold", type=float, default=defaults.threshold)
    parser.add_argument("--input-size", type=int, default=defaults.input_size)
    parser.add_argument("--detect-every", type=int, default=defaults.detect_every)
    parser.add_argument("--fine-size", type=int, default=defaults.fine_size, help="0 = coarse pass only")
    parser.add_argument("--scan-seconds", type=float, default=defaults.scan_seconds)
    parser.add_argument("--clips", default="")
    parser.add_argument("--fddb", action="store_true", help="also score FDDB dev")
    parser.add_argument("--fddb-only", action="store_true")
    parser.add_argument("--fddb-sizes", default="", help="input sizes to score on FDDB, e.g. 320,480,640,0")
    parser.add_argument("--json", help="write the per-clip metrics here")
    parser.add_argument("--sweep", action="store_true", help="then bench/identity.py's threshold sweep")
    args = parser.parse_args()
    if not args.fddb_only:
        rows = run_tracking(args)
        if args.json:
            with open(args.json, "w") as handle:
                json.dump(rows, handle, indent=1)
    if args.fddb or args.fddb_only:
        sizes = [int(v) for v in args.fddb_sizes.split(",")] if args.fddb_sizes else [args.input_size, 0]
        run_fddb(sizes, threshold=0.05)
    if args.sweep:
        import identity

        print()
        identity.main([*(["--clips", args.clips] if args.clips else [])])


if __name__ == "__main__":
    main()
