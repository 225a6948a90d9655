"""The lenient Azure reader: Microsoft's own samples import (clipped, counted again, noted), every
refusal is one line naming the file and the place, and the other processors' output is named.

The fixtures take the verbatim values of the published samples (``../shared/format/azure-samples.md``,
sections 1c, 2b, 3c and 5, all truncated by Microsoft) and complete them the way a real file ends. They are
written out here because a fresh clone has no ``../shared``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tasks.document.azure import AzureFaces, azure_faces, read_azure_file
from tasks.errors import BadInputError, ContractError
from tests.support.azure_samples import (
    EMOTION_SCORES,
    Doc,
    aggregate_emotion_sample,
    face_detector_sample,
    motion_sample,
    redactor_sample,
)


def test_face_detector_sample() -> None:
    faces = azure_faces(face_detector_sample(), "fd.json")
    assert faces.frame_rate == Fraction(30000, 1001)
    assert (faces.width, faces.height, faces.timescale, faces.framerate) == (1280, 720, 30000, 29.97)
    assert faces.seconds == pytest.approx(120120 / 30000)
    assert faces.times.dtype == np.float64 and faces.face_ids.dtype == np.int64
    np.testing.assert_allclose(faces.times, [60060 / 30000, 61061 / 30000, 62062 / 30000])
    assert faces.times[0] == pytest.approx(2.002)
    assert faces.face_ids.tolist() == [0, 0, 0]
    np.testing.assert_array_equal(faces.boxes[0], [0.519531, 0.180556, 0.086719, 0.154167])
    assert (faces.clipped, faces.dropped, faces.faces_detected, faces.distinct_ids) == (0, 0, 1, 1)
    assert faces.notes == ()
    frames, ids, boxes, merged = faces.frame_grid(faces.frame_rate)
    assert frames.tolist() == [60, 61, 62] and ids.tolist() == [0, 0, 0] and merged == 0
    assert frames.dtype == np.int64 and boxes.shape == (3, 4)


def test_redactor_sample() -> None:
    faces = azure_faces(redactor_sample(), "foo_annotations.json")
    assert faces.frame_rate == Fraction(24000, 1001)
    np.testing.assert_allclose(faces.times, [13 * 1001 / 24000] * 2)
    assert faces.face_ids.tolist() == [1138, 2028]  # sparse ids kept as they are
    frames, ids, _, merged = faces.frame_grid(faces.frame_rate)
    assert frames.tolist() == [13, 13] and ids.tolist() == [1138, 2028] and merged == 0
    # id 1138 reaches above the frame (y = -0.18987): clipped to y 0, its bottom edge unchanged.
    x, y, w, h = faces.boxes[0].tolist()
    assert (x, y, w, h) == (0.29537, 0.0, 0.36239, round(0.61348, 6))
    assert faces.boxes[1].tolist() == [0.60427, 0.16098, 0.26958, 0.57943]
    assert (faces.clipped, faces.dropped) == (1, 0)
    assert faces.faces_detected is None and faces.distinct_ids == 2
    assert faces.notes == ("1 box clipped to the frame", "no facesDetected: counted, 2 ids")
    assert faces.seconds == pytest.approx(48048 / 24000)  # the short fragment still covers its duration


def test_boxes_stay_inside_the_frame_after_rounding() -> None:
    doc = redactor_sample()
    event = doc["fragments"][0]["events"][13]
    event.append({"id": 7, "x": 0.9, "y": 0.95, "width": 0.3333333, "height": 0.1})
    faces = azure_faces(doc, "r.json")
    boxes = faces.boxes
    assert np.all(boxes[:, 0] + boxes[:, 2] <= 1.0) and np.all(boxes[:, 1] + boxes[:, 3] <= 1.0)
    assert np.all(boxes >= 0) and np.array_equal(boxes, boxes.round(6))
    assert faces.boxes[2].tolist() == [0.9, 0.95, 0.1, 0.05]
    assert faces.clipped == 2


def test_box_with_nothing_left_in_the_frame_is_dropped() -> None:
    doc = face_detector_sample()
    events = doc["fragments"][1]["events"]
    events[3] = [
        {"id": 5, "x": 1.2, "y": 0.1, "width": 0.1, "height": 0.1},
        {"id": 6, "x": 0.1, "y": -0.5, "width": 0.1, "height": 0.4},
        {"id": 7, "x": -0.05, "y": 0.1, "width": 0.1, "height": 0.1},
    ]
    faces = azure_faces(doc, "fd.json")
    assert faces.face_ids.tolist() == [0, 0, 0, 7]
    assert faces.boxes[3].tolist() == [0.0, 0.1, 0.05, 0.1]
    assert (faces.clipped, faces.dropped) == (1, 2)
    assert faces.notes == (
        "1 box clipped to the frame",
        "2 boxes outside the frame dropped",
        "facesDetected 1 but 2 ids appear: counted again",
    )


def test_faces_detected_counted_again() -> None:
    doc = redactor_sample()
    doc["facesDetected"] = 5
    faces = azure_faces(doc, "r.json")
    assert faces.faces_detected == 5 and faces.distinct_ids == 2
    assert "facesDetected 5 but 2 ids appear: counted again" in faces.notes
    doc["facesDetected"] = 2
    faces = azure_faces(doc, "r.json")
    assert faces.faces_detected == 2 and faces.notes == ("1 box clipped to the frame",)
    doc["facesDetected"] = "two"
    faces = azure_faces(doc, "r.json")
    assert faces.faces_detected is None
    assert "facesDetected 'two' is not a count: counted again, 2 ids" in faces.notes


def test_quirks_accepted_with_notes() -> None:
    doc = face_detector_sample()
    del doc["offset"]
    doc["version"] = 3
    doc["extra"] = True
    doc["fragments"][0]["index"] = 0
    doc["fragments"][1]["index"] = 60
    doc["fragments"][1]["note"] = "x"
    for k, event in enumerate(doc["fragments"][1]["events"][:3]):
        event[0]["scores"] = dict(EMOTION_SCORES)  # PerFaceEmotion mode
        event[0]["index"] = 60 + k
        event[0]["confidence"] = 0.9
    faces = azure_faces(doc, "fd.json")
    assert faces.face_ids.tolist() == [0, 0, 0]
    assert faces.notes == (
        "no offset: 0 assumed",
        "emotion scores ignored",
        "face keys ignored: confidence",
        "fragment keys ignored: note",
        "root keys ignored: extra",
    )


def test_offset_and_odd_timescale() -> None:
    """The tick example of the docs: timescale 2997, framerate 29.97, an event at 6300 is frame 63.

    (The docs round: 6300 / 2997 is 2.1021 s, not 2.1; times 29.97 it is 63 all the same.)
    """
    doc = face_detector_sample()
    doc.update(timescale=2997, offset=100)
    doc["fragments"] = [
        {"start": 100, "duration": 6200},
        {
            "start": 6300,
            "duration": 200,
            "interval": 100,
            "events": [[{**doc["fragments"][1]["events"][0][0]}]],
        },
    ]
    faces = azure_faces(doc, "fd.json")
    assert faces.frame_rate == Fraction(2997, 100)
    np.testing.assert_allclose(faces.times, [6200 / 2997])
    assert faces.seconds == pytest.approx(6400 / 2997)
    doc["offset"] = 0
    faces = azure_faces(doc, "fd.json")
    assert faces.times[0] == pytest.approx(6300 / 2997)
    assert faces.frame_grid(faces.frame_rate)[0].tolist() == [63]


def test_frame_rate_falls_back_to_framerate() -> None:
    doc = face_detector_sample()
    doc["framerate"] = 25
    faces = azure_faces(doc, "fd.json")
    assert faces.frame_rate == Fraction(25)
    assert faces.notes == (
        "event interval 1001 at timescale 30000 does not match framerate 25.0: framerate used",
    )
    doc = face_detector_sample()
    doc["fragments"][0].update(interval=2002, events=[[]])
    assert azure_faces(doc, "fd.json").frame_rate == Fraction(2997, 100)  # two intervals: framerate
    doc = face_detector_sample()
    doc["fragments"] = [{"start": 0, "duration": 60060}]
    doc["framerate"] = 23.976
    faces = azure_faces(doc, "fd.json")
    # No events: framerate's own fraction, which for a rounded 23.976 is 2997/125, not 24000/1001.
    assert faces.frame_rate == Fraction(2997, 125) and len(faces.times) == 0
    assert faces.boxes.shape == (0, 4) and faces.notes == ("facesDetected 1 but 0 ids appear: counted again",)
    assert all(len(a) == 0 for a in faces.frame_grid(faces.frame_rate)[:3])


def test_frame_grid_merges_same_id_on_one_frame() -> None:
    """At 30000/1001 ticks onto a 15 fps grid: two events of one id share a frame, the first is kept."""
    faces = azure_faces(face_detector_sample(), "fd.json")
    frames, ids, boxes, merged = faces.frame_grid(Fraction(15000, 1001))
    assert frames.tolist() == [30, 31] and ids.tolist() == [0, 0] and merged == 1
    # Events 60, 61, 62 fall on 30, 30.5 and 31: halves round up, so frame 31 keeps event 61, the first.
    np.testing.assert_array_equal(boxes, faces.boxes[[0, 1]])
    # Sorted by frame then id, whatever the document's order.
    doc = redactor_sample()
    doc["fragments"][0]["events"][13].reverse()
    frames, ids, _, merged = azure_faces(doc, "r.json").frame_grid(Fraction(24000, 1001))
    assert ids.tolist() == [1138, 2028] and merged == 0


# --- refusals ----------------------------------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _delete(path: tuple[Any, ...]) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


FACE = ("fragments", 1, "events", 2, 0)
RATE_RULE = "'framerate' must be a number in (0, 1000]"
REFUSALS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("missing timescale", _delete(("timescale",)), "root: missing 'timescale'"),
    ("missing width", _delete(("width",)), "root: missing 'width'"),
    ("missing height", _delete(("height",)), "root: missing 'height'"),
    ("missing framerate", _delete(("framerate",)), "root: missing 'framerate'"),
    ("missing fragments", _delete(("fragments",)), "root: missing 'fragments'"),
    (
        "float timescale",
        _set(("timescale",), 30000.0),
        "root: 'timescale' must be an integer >= 1, got 30000.0",
    ),
    ("zero timescale", _set(("timescale",), 0), "root: 'timescale' must be an integer >= 1, got 0"),
    ("zero width", _set(("width",), 0), "root: 'width' must be an integer >= 1, got 0"),
    ("string height", _set(("height",), "720"), "root: 'height' must be an integer >= 1, got '720'"),
    ("bool width", _set(("width",), True), "root: 'width' must be an integer >= 1, got True"),
    ("version 0", _set(("version",), 0), "root: 'version' must be an integer >= 1, got 0"),
    ("version string", _set(("version",), "1.0"), "root: 'version' must be an integer >= 1, got '1.0'"),
    ("negative offset", _set(("offset",), -1), "root: 'offset' must be an integer >= 0, got -1"),
    ("zero framerate", _set(("framerate",), 0), "root: 'framerate' must be a number in (0, 1000], got 0"),
    (
        "nan framerate",
        _set(("framerate",), math.nan),
        "root: 'framerate' must be a number in (0, 1000], got nan",
    ),
    (
        "absurd framerate",
        _set(("framerate",), 5000),
        "root: 'framerate' must be a number in (0, 1000], got 5000",
    ),
    ("absurd width", _set(("width",), 100_000), "root: frame size 100000x720 is outside 1..16384 pixels"),
    (
        "absurd length",
        _set(("fragments", 1, "start"), 10**15),
        "root: fragments cover 33333333335 s, more than a week",
    ),
    ("fragments object", _set(("fragments",), {}), "root: 'fragments' must be an array"),
    ("no fragments", _set(("fragments",), []), "root: no fragments, nothing to import"),
    ("fragment not object", _set(("fragments", 0), []), "fragments[0]: not an object"),
    (
        "negative start",
        _set(("fragments", 1, "start"), -1),
        "fragments[1]: 'start' and 'duration' must be integers (>=0, >=1), got -1, 60060",
    ),
    (
        "missing duration",
        _delete(("fragments", 0, "duration")),
        "fragments[0]: 'start' and 'duration' must be integers (>=0, >=1), got 0, None",
    ),
    (
        "zero duration",
        _set(("fragments", 0, "duration"), 0),
        "fragments[0]: 'start' and 'duration' must be integers (>=0, >=1), got 0, 0",
    ),
    ("start before offset", _set(("offset",), 1), "fragments[0]: starts at 0, before the offset 1"),
    (
        "events without interval",
        _delete(("fragments", 1, "interval")),
        "fragments[1]: 'events' without 'interval'",
    ),
    (
        "interval without events",
        _delete(("fragments", 1, "events")),
        "fragments[1]: 'interval' without 'events'",
    ),
    (
        "zero interval",
        _set(("fragments", 1, "interval"), 0),
        "fragments[1]: 'interval' must be an integer >= 1, got 0",
    ),
    ("events object", _set(("fragments", 1, "events"), {}), "fragments[1]: 'events' must be an array"),
    (
        "too many events",
        lambda doc: doc["fragments"][1]["events"].append([]),
        "fragments[1]: 61 events x interval 1001 do not fit in duration 60060",
    ),
    ("event not array", _set(("fragments", 1, "events", 2), {}), "fragments[1].events[2]: not an array"),
    ("face not object", _set(FACE, 0), "fragments[1].events[2][0]: not an object"),
    ("missing id", _delete((*FACE, "id")), "fragments[1].events[2][0]: missing 'id'"),
    (
        "missing box",
        _set(FACE, {"id": 0, "x": 0.5}),
        "fragments[1].events[2][0]: missing 'y', 'width', 'height'",
    ),
    (
        "negative id",
        _set((*FACE, "id"), -1),
        "fragments[1].events[2][0]: 'id' must be an integer >= 0, got -1",
    ),
    (
        "float id",
        _set((*FACE, "id"), 1.0),
        "fragments[1].events[2][0]: 'id' must be an integer >= 0, got 1.0",
    ),
    (
        "string x",
        _set((*FACE, "x"), "0.5"),
        "fragments[1].events[2][0]: 'x' must be a finite number, got '0.5'",
    ),
    (
        "infinite y",
        _set((*FACE, "y"), math.inf),
        "fragments[1].events[2][0]: 'y' must be a finite number, got inf",
    ),
    (
        "null height",
        _set((*FACE, "height"), None),
        "fragments[1].events[2][0]: 'height' must be a finite number, got None",
    ),
    (
        "zero width",
        _set((*FACE, "width"), 0),
        "fragments[1].events[2][0]: 'width' and 'height' must be > 0, got 0, 0.151389",
    ),
    (
        "negative height",
        _set((*FACE, "height"), -0.1),
        "fragments[1].events[2][0]: 'width' and 'height' must be > 0, got 0.0851562, -0.1",
    ),
    (
        "id twice in one event",
        lambda doc: doc["fragments"][1]["events"][2].append(dict(doc["fragments"][1]["events"][2][0])),
        "fragments[1].events[2][1]: id 0 appears twice in one event",
    ),
]


@pytest.mark.parametrize(("edit", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals(edit: Callable[[Doc], None], message: str) -> None:
    doc = face_detector_sample()
    edit(doc)
    with pytest.raises(ContractError) as caught:
        azure_faces(doc, "fd.json")
    assert str(caught.value) == f"fd.json: {message}"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("document", [[], "text", None, 3])
def test_root_not_an_object(document: object) -> None:
    with pytest.raises(ContractError, match=r"^x\.json: root: not a JSON object \(got \w+\)$"):
        azure_faces(document, "x.json")


def test_aggregate_emotion_refused() -> None:
    with pytest.raises(ContractError) as caught:
        azure_faces(aggregate_emotion_sample(), "emotion.json")
    assert str(caught.value) == (
        "emotion.json: fragments[0].events[0][0]: aggregate-emotion output, no face boxes to import"
    )


def test_motion_detector_refused() -> None:
    with pytest.raises(ContractError) as caught:
        azure_faces(motion_sample(), "motion.json")
    assert (
        str(caught.value)
        == "motion.json: root: 'regions' found: Motion Detector output, no face boxes to import"
    )
    doc = motion_sample()
    del doc["regions"]
    with pytest.raises(ContractError) as caught:
        azure_faces(doc, "motion.json")
    assert (
        str(caught.value)
        == "motion.json: fragments[1].events[0][0]: Motion Detector output, no face boxes to import"
    )


# --- files -------------------------------------------------------------------------------------------


def test_read_azure_file(tmp_path: Path) -> None:
    path = tmp_path / "foo_annotations.json"
    path.write_text(json.dumps(redactor_sample(), indent=2), encoding="utf-8")
    faces = read_azure_file(path)
    assert isinstance(faces, AzureFaces) and faces.name == "foo_annotations.json"
    assert faces.face_ids.tolist() == [1138, 2028]
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(face_detector_sample()).encode()
    )  # a BOM, as Windows writes
    assert read_azure_file(str(path)).frame_rate == Fraction(30000, 1001)


def test_read_azure_file_failures(tmp_path: Path) -> None:
    missing = tmp_path / "gone.json"
    with pytest.raises(BadInputError) as caught:
        read_azure_file(missing)
    assert str(caught.value) == f"{missing}: no such file" and not isinstance(caught.value, ContractError)
    empty = tmp_path / "empty.json"
    empty.write_text(" \n", encoding="utf-8")
    with pytest.raises(BadInputError) as caught:
        read_azure_file(empty)
    assert str(caught.value) == "empty.json: empty file" and not isinstance(caught.value, ContractError)
    with pytest.raises(BadInputError, match=r"^[^\n]*: cannot read \("):
        read_azure_file(tmp_path)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(BadInputError, match=r"^binary\.json: cannot read \("):
        read_azure_file(binary)
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1,', encoding="utf-8")
    with pytest.raises(ContractError, match=r"^bad\.json: not valid JSON \(.*\)$"):
        read_azure_file(bad)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(json.dumps(aggregate_emotion_sample()), encoding="utf-8")
    with pytest.raises(ContractError, match="aggregate-emotion output"):
        read_azure_file(truncated)
