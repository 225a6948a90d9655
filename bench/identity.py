"""Identity on the dev clips: how alike tracklets of one person and of two people are, and the sweep of
the stitching thresholds that chose the defaults.

    uv run python bench/identity.py [--clips a,b] [--merge 0.45,0.55,...] [--margin 0,0.1,...]
                                    [--gates [--gates-exclude a,b]]

For every clip of ../shared/data/corpus/dev/tracking (new clips are picked up by themselves), the engine
runs once at default settings; its tracklets (before offline stitching) are labelled with the true person
they overlap most, and the similarity of every pair never on screen together is printed
as two distributions: same person, different people (template similarity: the cosine of the tracklets'
normalized mean embeddings, as the stitcher compares them). With --gates, a second pass also embeds the
faces the quality gate refuses and prints, per candidate gate, the share of faces kept and how alike
faces of one person and of two people are. Then the same tracker is finished again for every
(merge similarity, margin) pair and scored with the corpus' scorer: IDF1, ids per person and ids given to
two or more people (merges), per clip and summed. Also printed: shot cuts against each clip's
``cuts_at_frames`` (precision and recall), and the identity work's share of the engine's time (embedding +
stitching; shot cuts run in the decode thread, beside the detector).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import OUT, TRACKING, require_shared, tracking_clips


def true_identity(rows: list, box: np.ndarray) -> int:
    """The annotated person (MOT rows of one frame) a box overlaps with IoU >= 0.5, -1 for none."""
    from evalkit_common import iou_matrix_xywh

    if not rows:
        return -1
    truth = np.array([r[1:5] for r in rows], np.float64)
    iou = iou_matrix_xywh(np.array([[box[0], box[1], box[2] - box[0], box[3] - box[1]]]), truth)[0]
    return int(rows[int(iou.argmax())][0]) if iou.max() >= 0.5 else -1


def label_tracklets(tracklets: list, gt_path: str) -> list[int]:
    """The true identity each tracklet overlaps most (IoU >= 0.5), -1 for none (a face nobody annotated)."""
    from evalkit_common import read_mot

    gt = read_mot(gt_path)
    labels = []
    for track in tracklets:
        votes: dict[int, int] = {}
        for frame, box in zip(track.frames, track.boxes, strict=True):
            ident = true_identity(gt.get(frame + 1, []), box)
            if ident >= 0:
                votes[ident] = votes.get(ident, 0) + 1
        labels.append(max(votes, key=lambda k: votes[k]) if votes else -1)
    return labels


def pair_similarities(tracklets: list, labels: list[int]) -> tuple[list[float], list[float]]:
    """Template similarity (``stitching.template``, what the stitcher compares) of labelled tracklet
    pairs never on screen together: (same, different)."""
    from models.tracker.stitching import template

    same, different = [], []
    usable = [(t, lab) for t, lab in zip(tracklets, labels, strict=True) if t.embeddings and lab >= 0]
    for a in range(len(usable)):
        for b in range(a + 1, len(usable)):
            (ta, la), (tb, lb) = usable[a], usable[b]
            if ta.frames[0] <= tb.frames[-1] and tb.frames[0] <= ta.frames[-1]:
                continue
            sim = float(template(ta.embeddings) @ template(tb.embeddings))
            (same if la == lb else different).append(sim)
    return same, different


class RecordingEmbedder:
    """The tracker's embedder, also embedding the faces the gate refuses, each kept with its true person.

    Its tracker is made with no size limit, so faces of every size are tried; what the tracker gets back
    is what the default gate lets through, as in a normal run. The record is for the gate table.
    """

    def __init__(self, inner, gt_path: str) -> None:
        from evalkit_common import read_mot

        from models.identity import QualityGate

        self.inner, self.gt, self.tracker, self.gate = inner, read_mot(gt_path), None, QualityGate()
        self.faces: list[tuple[int, float, float, float, np.ndarray]] = []  # label, size, sharp, bright, v

    def embed(self, image, boxes, landmarks, gate=None):
        from models.identity.embedder import FaceEmbeddings

        everything = self.inner.embed(image, boxes, landmarks, None)
        rows = self.gt.get(self.tracker.frame + 1, [])
        for k, box in enumerate(boxes):
            measures = everything.face_size[k], everything.sharpness[k], everything.brightness[k]
            self.faces.append((true_identity(rows, box), *map(float, measures), everything.vectors[k]))
        trusted = self.gate.passes(everything.face_size, everything.sharpness, everything.brightness)
        vectors = np.where(trusted[:, None], everything.vectors, 0.0).astype(np.float32)
        return FaceEmbeddings(vectors, trusted, everything.norms, everything.face_size, everything.sharpness,
                              everything.brightness)  # fmt: skip


def gate_table(faces_by_clip: dict[str, list]) -> None:
    """For candidate gates: faces kept, and how alike one person's faces and two people's faces are."""
    from models.identity import QualityGate

    default = QualityGate()
    gates = [("no gate", QualityGate(0, 0, 0, 255))]
    sizes, sharpness = (0.0, 25.0, 40.0, 60.0), (0.0, default.min_sharpness, 20.0)
    gates += [(f"size >= {size:.0f}, sharpness >= {sharp:.0f}", QualityGate(size, sharp))
              for size in sizes for sharp in sharpness]  # fmt: skip
    print("\nper-face similarity by quality gate (pairs of faces in one clip; default gate: "
          f"size >= {default.min_face:.0f}, sharpness >= {default.min_sharpness:.0f}, "
          f"brightness {default.min_brightness:.0f}-{default.max_brightness:.0f})")  # fmt: skip
    for name, gate in gates:
        same: list[np.ndarray] = []
        diff: list[np.ndarray] = []
        kept = total = 0
        for faces in faces_by_clip.values():
            faces = [f for f in faces if f[0] >= 0]
            total += len(faces)
            sizes, sharp, bright = (np.array([f[i] for f in faces]) for i in (1, 2, 3))
            keep = gate.passes(sizes, sharp, bright) if faces else np.zeros(0, bool)
            chosen = [f for f, k in zip(faces, keep, strict=True) if k]
            kept += len(chosen)
            if len(chosen) < 2:
                continue
            vectors = np.array([f[4] for f in chosen])
            labels = np.array([f[0] for f in chosen])
            similarity = vectors @ vectors.T
            upper = np.triu(np.ones_like(similarity, bool), 1)
            same.append(similarity[upper & (labels[:, None] == labels[None, :])])
            diff.append(similarity[upper & (labels[:, None] != labels[None, :])])
        s, d = np.concatenate(same), np.concatenate(diff)
        print(f"  {name:32s} kept {kept / max(total, 1):5.1%}  one person: p1 {np.percentile(s, 1):.2f} "
              f"median {np.median(s):.2f}  two people: p99.9 {np.percentile(d, 99.9):.2f} "
              f"max {d.max():.2f}")  # fmt: skip


def describe(values: list[float]) -> str:
    if not values:
        return "none"
    v = np.asarray(values)
    return (f"n={len(v):4d}  min {v.min():.2f}  p5 {np.percentile(v, 5):.2f}  median {np.median(v):.2f}  "
            f"p95 {np.percentile(v, 95):.2f}  max {v.max():.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    require_shared()
    from score_tracking import score

    from models import FaceTracker
    from tasks.detect.detect_track import cached_embedder, detect_track, result_of, tracker_config
    from tasks.document.build import build_document
    from tasks.document.write import write_json_atomic
    from tasks.settings import DetectorSettings
    from tasks.video.probe import probe

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", default="")
    parser.add_argument("--merge", default="0.45,0.55,0.65")
    parser.add_argument("--margin", default="0,0.1,0.2")
    parser.add_argument("--gates", action="store_true", help="also print the quality gate table (2nd pass)")
    parser.add_argument("--gates-exclude", default="",
                        help="clips left out of the gate table (truth giving a person 2 ids)")  # fmt: skip
    args = parser.parse_args(argv)
    merges = [float(v) for v in args.merge.split(",")]
    margins = [float(v) for v in args.margin.split(",")]
    settings = DetectorSettings()
    base = tracker_config(settings)
    clips = args.clips.split(",") if args.clips else tracking_clips()
    all_same: list[float] = []
    all_diff: list[float] = []
    sweep: dict[tuple[float, float], list[dict]] = {}
    faces_by_clip: dict[str, list] = {}
    identity_seconds = engine_seconds = 0.0
    cuts_found = cuts_true = cuts_right = 0
    for name in clips:
        video, gt, meta = (
            os.path.join(TRACKING, f"{name}{ext}") for ext in (".mp4", ".gt.txt", ".meta.json")
        )
        info = probe(video)
        tracker = FaceTracker(float(info.frame_rate), base, settings.detect_every, cached_embedder())
        result = detect_track(video, settings, info=info, tracker=tracker)
        if args.gates and name not in args.gates_exclude.split(","):
            # A second pass whose embedder also embeds the refused faces (so it costs more: timed apart).
            recorder = RecordingEmbedder(cached_embedder(), gt)
            every_size = replace(base, quality=replace(base.quality, min_face=0.0))
            recorder.tracker = FaceTracker(
                float(info.frame_rate), every_size, settings.detect_every, recorder
            )
            detect_track(video, settings, info=info, tracker=recorder.tracker)
            faces_by_clip[name] = recorder.faces
        share = result.stats["identity_seconds"] / result.elapsed_seconds
        identity_seconds += result.stats["identity_seconds"]
        engine_seconds += result.elapsed_seconds
        with open(meta) as handle:
            truth = [frame - 1 for frame in json.load(handle).get("cuts_at_frames", [])]  # 1-based there
        right = sum(any(abs(c - t) <= 1 for c in tracker.cuts) for t in truth)
        cuts_found, cuts_true, cuts_right = (
            cuts_found + len(tracker.cuts),
            cuts_true + len(truth),
            cuts_right + right,
        )
        same, diff = pair_similarities(tracker.tracklets, label_tracklets(tracker.tracklets, gt))
        all_same += same
        all_diff += diff
        embedded = result.stats["embedded_faces"]
        print(f"{name:22s} {len(tracker.tracklets):3d} tracklets, {embedded:4d} faces embedded, "
              f"identity {share:.1%} of the engine's time, "
              f"cuts at {tracker.cuts} (true {truth})")  # fmt: skip
        print(f"  same person      {describe(same)}")
        print(f"  different people {describe(diff)}")
        slots = list(range(result.frames_decoded))
        for merge in merges:
            for margin in margins:
                tracker.config = replace(base, merge_similarity=merge, merge_margin=margin)
                finished = result_of(tracker, info, result.settings, slots, {})
                out = os.path.join(OUT, f"{name}.identity.json")
                write_json_atomic(build_document(finished), out)
                metrics, _ = score(out, gt, meta)
                sweep.setdefault((merge, margin), []).append(metrics)
    print(f"\nidentity work (embedding + stitching): {identity_seconds:.1f} s of {engine_seconds:.1f} s "
          f"engine time ({identity_seconds / engine_seconds:.1%}) over {len(clips)} clips")  # fmt: skip
    precision = cuts_right / cuts_found if cuts_found else 1.0
    recall = cuts_right / cuts_true if cuts_true else 1.0
    print(f"shot cuts: {cuts_found} found, {cuts_true} true, "
          f"precision {precision:.3f}, recall {recall:.3f} (±1 frame)")  # fmt: skip
    if args.gates:
        gate_table(faces_by_clip)
    print(f"all clips: same person      {describe(all_same)}")
    print(f"all clips: different people {describe(all_diff)}")
    print(f"\nsweep (defaults: merge {base.merge_similarity}, margin {base.merge_margin}; split "
          f"{base.split_similarity}): summed over {len(clips)} clips")  # fmt: skip
    print(f"{'merge':>6s} {'margin':>6s}  {'mean IDF1':>9s}  {'ids/person (mean)':>17s}  "
          f"{'merges (sum)':>12s}  worst clip IDF1")  # fmt: skip
    for (merge, margin), rows in sorted(sweep.items()):
        idf1 = np.mean([r["IDF1"] for r in rows])
        ids = np.mean([r["ids_per_identity"] for r in rows])
        merged = sum(r.get("pred_ids_spanning_identities", 0) for r in rows)
        worst = min(rows, key=lambda r: r["IDF1"])
        print(f"{merge:6.2f} {margin:6.2f}  {idf1:9.3f}  {ids:17.2f}  {merged:12d}  "
              f"{worst['IDF1']:.3f} ({worst['item']})")  # fmt: skip


if __name__ == "__main__":
    main()
