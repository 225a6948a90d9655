"""The JSON contract check: each rule refuses the document that breaks it, with one line naming the rule,
and the in-project checker agrees with ``../shared/format/check_output.py`` wherever that exists."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import random
from collections.abc import Callable
from typing import Any

import pytest

from tasks.document import contract
from tasks.errors import BadInputError, ContractError
from tests.support.shared import SHARED_FORMAT

Doc = dict[str, Any]


def good_document() -> Doc:
    """25 fps, 3 fragments of 2 frames: faces in the first and last, a face-free one in between."""
    return {
        "version": 1,
        "timescale": 25000,
        "offset": 0,
        "framerate": 25.0,
        "width": 640,
        "height": 360,
        "fragments": [
            {
                "start": 0,
                "duration": 2000,
                "interval": 1000,
                "events": [
                    [{"id": 0, "x": 0.1, "y": 0.2, "width": 0.3, "height": 0.4}],
                    [
                        {"id": 0, "x": 0.11, "y": 0.2, "width": 0.3, "height": 0.4},
                        {"id": 1, "x": 0.7, "y": 0.5, "width": 0.3, "height": 0.5},
                    ],
                ],
            },
            {"start": 2000, "duration": 2000},
            {
                "start": 4000,
                "duration": 2000,
                "interval": 1000,
                "events": [[], [{"id": 1, "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}]],
            },
        ],
        "facesDetected": 2,
    }


def _face(doc: Doc) -> dict[str, Any]:
    return doc["fragments"][0]["events"][1][1]


# One broken document per rule: (rule it must be refused under, how to break a good document).
BREAKS: dict[str, tuple[str, Callable[[Doc], object]]] = {
    "not an object": (contract.ROOT_OBJECT, lambda d: d["fragments"]),
    "missing key": (contract.ROOT_KEYS_RULE, lambda d: d.pop("facesDetected")),
    "unknown key": (contract.ROOT_KEYS_RULE, lambda d: d.update(extra=1)),
    "zero timescale": (contract.ROOT_VALUES, lambda d: d.update(timescale=0)),
    "boolean width": (contract.ROOT_VALUES, lambda d: d.update(width=True)),
    "infinite framerate": (contract.ROOT_VALUES, lambda d: d.update(framerate=float("inf"))),
    "gap between fragments": (contract.FRAGMENTS_CONTIGUOUS, lambda d: d["fragments"][1].update(start=2001)),
    "first fragment late": (contract.FRAGMENTS_CONTIGUOUS, lambda d: d.update(offset=5)),
    "events without interval": (contract.EVENTS_WITH_INTERVAL, lambda d: d["fragments"][0].pop("interval")),
    "too few events": (contract.EVENTS_FILL_FRAGMENT, lambda d: d["fragments"][0]["events"].pop()),
    "unknown fragment key": (contract.FRAGMENT_SHAPE, lambda d: d["fragments"][1].update(faces=[])),
    "negative duration": (contract.FRAGMENT_SHAPE, lambda d: d["fragments"][1].update(duration=-1)),
    "face missing height": (contract.FACE_SHAPE, lambda d: _face(d).pop("height")),
    "negative id": (contract.FACE_ID, lambda d: _face(d).update(id=-1)),
    "id twice in one event": (contract.ID_ONCE_PER_EVENT, lambda d: _face(d).update(id=0)),
    "coordinate of 1.3": (contract.COORDINATES_IN_RANGE, lambda d: _face(d).update(x=1.3)),
    "negative width": (contract.COORDINATES_IN_RANGE, lambda d: _face(d).update(width=-0.1)),
    "coordinate as string": (contract.COORDINATES_IN_RANGE, lambda d: _face(d).update(y="0.5")),
    "box leaves frame": (contract.BOX_INSIDE_FRAME, lambda d: _face(d).update(x=0.8)),
    "facesDetected wrong": (contract.FACES_DETECTED, lambda d: d.update(facesDetected=3)),
}


def broken(name: str) -> object:
    doc = good_document()
    result = BREAKS[name][1](doc)
    return result if name == "not an object" else doc


def test_good_document_holds() -> None:
    assert contract.violations(good_document()) == []
    assert contract.violations(good_document(), frames=6, fps=25.0) == []
    contract.require_contract(good_document())


@pytest.mark.parametrize("name", list(BREAKS))
def test_each_rule_refuses_its_break_in_one_line(name: str) -> None:
    rule = BREAKS[name][0]
    with pytest.raises(ContractError) as info:
        contract.require_contract(broken(name), "video.json")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"video.json: breaks the JSON contract, rule {rule}: ")


def test_fragments_must_cover_the_probed_video() -> None:
    found = contract.violations(good_document(), frames=60, fps=25.0)
    assert [v.rule for v in found] == [contract.COVERS_VIDEO]


def test_all_violations_are_reported_not_only_the_first() -> None:
    doc = good_document()
    _face(doc).update(x=1.3)
    doc["fragments"][1]["start"] = 1
    rules = [v.rule for v in contract.violations(doc)]
    contiguous = contract.FRAGMENTS_CONTIGUOUS
    assert rules == [contract.COORDINATES_IN_RANGE, contiguous, contiguous]
    with pytest.raises(ContractError, match=r"\(and 2 more violations\)$"):
        contract.require_contract(doc)


def test_load_checked_document_refuses_bad_files_in_one_line(tmp_path: Any) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(good_document()))
    assert contract.load_checked_document(good) == good_document()
    not_json = tmp_path / "broken.json"
    not_json.write_text('{"version": 1,')
    with pytest.raises(ContractError, match=r"^broken.json: not valid JSON"):
        contract.load_checked_document(not_json)
    with pytest.raises(BadInputError, match="no such file"):
        contract.load_checked_document(tmp_path / "missing.json")


# --- Cross-check against the shared reference checker -------------------------------------------------


def _shared_checker() -> Any:
    path = os.path.join(SHARED_FORMAT, "check_output.py")
    if not os.path.exists(path):
        pytest.skip("../shared/format/check_output.py is absent (fresh clone)")
    spec = importlib.util.spec_from_file_location("shared_check_output", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mutations(seed: int, count: int) -> list[object]:
    """Random single and double breaks of the good document: values a buggy writer might produce."""
    rng = random.Random(seed)
    odd_values: list[object] = [-1, 0, 1, 1.3, 0.5, 2000, None, "1", True, [], {}, float("nan"), 1e-9]
    docs: list[object] = []
    for _ in range(count):
        doc = good_document()
        for _ in range(rng.choice((1, 2))):
            target: Any = doc
            path: list[Any] = []
            while isinstance(target, dict | list) and target and (not path or rng.random() < 0.75):
                key = rng.choice(list(target)) if isinstance(target, dict) else rng.randrange(len(target))
                path.append(key)
                parent, target = target, target[key]
            if not path:
                continue
            action = rng.random()
            if action < 0.2 and isinstance(parent, dict | list):
                parent.pop(path[-1])
            elif action < 0.25 and isinstance(parent, dict):
                parent["bogus"] = 1
            else:
                parent[path[-1]] = rng.choice(odd_values)
        docs.append(doc)
    return docs


@pytest.mark.shared
def test_agrees_with_shared_checker_on_every_break_and_random_mutations() -> None:
    shared = _shared_checker()
    cases: list[object] = [good_document(), *(broken(name) for name in BREAKS)]
    cases += _mutations(seed=4, count=400)
    refused = 0
    for doc in cases:
        ours = [v.message for v in contract.violations(copy.deepcopy(doc))]
        assert ours == shared.check(copy.deepcopy(doc)), doc
        refused += bool(ours)
    # The mutations must actually exercise the rules, not just produce valid documents.
    assert refused > len(cases) * 0.6
    for frames in (5, 6, 7, 60):
        assert [v.message for v in contract.violations(good_document(), frames, 25.0)] == shared.check(
            good_document(), frames, 25.0
        )
