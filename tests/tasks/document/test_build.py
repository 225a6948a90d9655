"""The per-video JSON: exact tick arithmetic, fragments, empty fragments, clipping, key order, contract."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from tasks.document.build import build_document
from tasks.document.contract import violations
from tasks.document.ticks import tick_grid, timescale_for
from tasks.document.write import write_json_atomic
from tests.support.results import result_with
from tests.support.shared import shared_check_output

RATES = {
    "23.976": (Fraction(24000, 1001), 24000, 1001, 48),
    "24": (Fraction(24), 24000, 1000, 48),
    "25": (Fraction(25), 25000, 1000, 50),
    "29.97": (Fraction(30000, 1001), 30000, 1001, 60),
    "30": (Fraction(30), 30000, 1000, 60),
    "50": (Fraction(50), 50000, 1000, 100),
    "59.94": (Fraction(60000, 1001), 60000, 1001, 120),
}


@pytest.mark.parametrize("name", RATES)
def test_ticks_are_exact_per_frame_for_common_rates(name: str) -> None:
    rate, timescale, interval, per_fragment = RATES[name]
    assert timescale_for(rate) == (timescale, interval)
    assert Fraction(interval, timescale) == 1 / rate  # one frame is a whole number of ticks, exactly
    assert tick_grid(rate, 2.0).frames_per_fragment == per_fragment


@pytest.mark.parametrize("name", RATES)
def test_fragments_tile_the_video_with_one_event_per_frame(name: str) -> None:
    rate, timescale, interval, per_fragment = RATES[name]
    frames = per_fragment * 3 + 7  # a partial last fragment
    events = [
        (f, 0, (100.0, 100.0, 200.0, 220.0))
        for f in range(frames)
        if f < per_fragment or f >= 2 * per_fragment
    ]
    doc = build_document(result_with(events, frames, rate))
    assert (doc["timescale"], doc["offset"]) == (timescale, 0)
    assert doc["framerate"] == pytest.approx(float(rate))
    fragments = doc["fragments"]
    assert len(fragments) == 4
    assert [f["start"] for f in fragments] == [i * per_fragment * interval for i in range(4)]
    assert sum(f["duration"] for f in fragments) == frames * interval
    assert fragments[1] == {"start": per_fragment * interval, "duration": per_fragment * interval}  # no faces
    for fragment in (fragments[0], fragments[2], fragments[3]):
        assert fragment["interval"] == interval
        assert len(fragment["events"]) * interval == fragment["duration"]
    assert len(fragments[3]["events"]) == 7
    assert violations(doc, frames=frames, fps=float(rate)) == []


def test_key_order_matches_the_azure_layout() -> None:
    doc = build_document(result_with([(0, 0, (10, 10, 50, 50))], 3))
    assert list(doc) == ["version", "timescale", "offset", "framerate", "width", "height", "fragments",
                         "facesDetected"]  # fmt: skip
    assert list(doc["fragments"][0]) == ["start", "duration", "interval", "events"]
    assert list(doc["fragments"][0]["events"][0][0]) == ["id", "x", "y", "width", "height"]


def test_video_without_faces_has_only_start_and_duration_fragments() -> None:
    doc = build_document(result_with([], 130))
    assert doc["facesDetected"] == 0
    assert doc["fragments"] == [
        {"start": 0, "duration": 50000},
        {"start": 50000, "duration": 50000},
        {"start": 100000, "duration": 30000},
    ]


def test_boxes_are_normalized_clipped_and_rounded_to_six_decimals() -> None:
    width, height = 1280, 720
    events = [
        (0, 0, (-40.0, -10.0, 100.0, 90.0)),  # leaves the frame top-left
        (0, 1, (1200.0, 650.0, 1330.0, 800.0)),  # leaves bottom-right
        (0, 2, (333.3333, 111.1111, 444.4444, 222.2222)),
    ]
    doc = build_document(result_with(events, 1, width=width, height=height))
    faces = doc["fragments"][0]["events"][0]
    assert faces[0] == {"id": 0, "x": 0.0, "y": 0.0, "width": 0.078125, "height": 0.125}
    assert faces[1]["x"] == 0.9375 and faces[1]["x"] + faces[1]["width"] <= 1.0
    assert faces[1]["y"] + faces[1]["height"] <= 1.0 + 1e-9
    for face in faces:
        for key in ("x", "y", "width", "height"):
            assert round(face[key], 6) == face[key]
    assert faces[2]["x"] == pytest.approx(333.3333 / width, abs=1e-6)


def test_faces_detected_counts_distinct_ids() -> None:
    events = [(f, i, (10.0 + 100 * i, 10.0, 60.0 + 100 * i, 60.0)) for f in range(10) for i in range(3)]
    doc = build_document(result_with(events, 10))
    assert doc["facesDetected"] == 3


def test_custom_fragment_length() -> None:
    doc = build_document(result_with([(0, 0, (1, 1, 9, 9))], 100, fragment_seconds=0.5))
    assert [f["duration"] for f in doc["fragments"]][:2] == [12000, 12000]  # round(0.5 s * 25) = 12 frames


def test_json_is_written_atomically(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out" / "clip.json"
    doc = build_document(result_with([(0, 0, (1, 1, 9, 9))], 5))
    write_json_atomic(doc, target)
    assert json.loads(target.read_text()) == doc
    assert [p.name for p in target.parent.iterdir()] == ["clip.json"]  # no temp file left behind


def test_write_failure_leaves_no_partial_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "clip.json"
    with pytest.raises(TypeError):
        write_json_atomic({"bad": object()}, target)
    assert list(tmp_path.iterdir()) == []


def test_documents_pass_the_shared_contract_checker() -> None:
    check_output = shared_check_output()
    for rate, *_ in RATES.values():
        frames = 150
        events = [(f, f // 50, (100.0 + f, 100.0, 180.0 + f, 190.0)) for f in range(0, frames, 2)]
        doc = build_document(result_with(events, frames, rate))
        assert check_output.check(doc, frames, float(rate)) == []
