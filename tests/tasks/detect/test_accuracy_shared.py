"""Accuracy guards on the real, ground-truthed dev clips in ../shared/data, scored by the corpus' scorer.

The bench (bench/accuracy.py) reports every clip; these two short ones keep a regression in detection
or identity from landing. Skipped, with the reason, on a fresh clone without ../shared.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tasks.detect.detect_track import detect_track
from tasks.document.build import build_document
from tasks.document.write import write_json_atomic
from tests.support.shared import SHARED_DATA

TRACKING = os.path.join(SHARED_DATA, "corpus", "dev", "tracking")

pytestmark = pytest.mark.skipif(
    not os.path.isdir(TRACKING), reason="needs ../shared/data (the ground-truthed dev corpus); fresh clone"
)


def score(tmp_path: Path, name: str) -> dict:
    sys.path.insert(0, SHARED_DATA)
    from score_tracking import score as score_tracking

    result = detect_track(os.path.join(TRACKING, f"{name}.mp4"))
    out = tmp_path / f"{name}.json"
    write_json_atomic(build_document(result), out)
    metrics, _ = score_tracking(str(out), os.path.join(TRACKING, f"{name}.gt.txt"),
                                os.path.join(TRACKING, f"{name}.meta.json"))  # fmt: skip
    return metrics


def test_multi_face_zoom_clip_keeps_ids(tmp_path: Path) -> None:
    m = score(tmp_path, "syn_dlib_zoom")  # 7 faces, 40-180 px, leaving and returning
    assert m["recall"] >= 0.95 and m["precision"] >= 0.95
    assert m["IDF1"] >= 0.9
    assert m["ids_per_identity"] <= 1.3
    assert abs(m["faces_detected_error"]) <= 1


def test_real_youtube_clip(tmp_path: Path) -> None:
    m = score(tmp_path, "ytf_Aishwarya_Rai_0")
    assert m["recall"] >= 0.93 and m["IDF1"] >= 0.9 and m["ids_per_identity"] <= 1.5
