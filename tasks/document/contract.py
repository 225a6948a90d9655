"""contract: the per-video JSON's output contract, checked before a document is normalized.

The contract lives in ``../shared/format`` (a JSON Schema plus ``check_output.py`` for the rules a schema
cannot state), but a fresh clone has no ``../shared``, so the same rules are restated here with the
stdlib only. Each violation carries the name of the rule it breaks, so a refused file gets one line a
user can act on. The messages are word for word those of ``check_output.py``; the tests compare the two
checkers on the same documents whenever ``../shared`` is present, which keeps this copy honest.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any, TypeGuard

from tasks.errors import BadInputError, ContractError

ROOT_KEYS = ("version", "timescale", "offset", "framerate", "width", "height", "fragments", "facesDetected")
FRAGMENT_KEYS = frozenset({"start", "duration", "interval", "events", "index"})
FACE_KEYS = frozenset({"id", "x", "y", "width", "height", "index"})
REQUIRED_FACE_KEYS = frozenset({"id", "x", "y", "width", "height"})
EPS = 1e-6

# Rule names, as printed. One per distinct promise of the contract.
ROOT_OBJECT = "root-is-object"
ROOT_KEYS_RULE = "root-keys"
ROOT_VALUES = "root-values"
FRAGMENT_SHAPE = "fragment-shape"
FRAGMENTS_CONTIGUOUS = "fragments-contiguous"
EVENTS_WITH_INTERVAL = "events-need-interval"
EVENTS_FILL_FRAGMENT = "events-fill-fragment"
FACE_SHAPE = "face-shape"
FACE_ID = "face-id"
ID_ONCE_PER_EVENT = "id-once-per-event"
COORDINATES_IN_RANGE = "coordinates-in-range"
BOX_INSIDE_FRAME = "box-inside-frame"
FACES_DETECTED = "faces-detected-count"
COVERS_VIDEO = "fragments-cover-video"
RULES = (
    ROOT_OBJECT,
    ROOT_KEYS_RULE,
    ROOT_VALUES,
    FRAGMENT_SHAPE,
    FRAGMENTS_CONTIGUOUS,
    EVENTS_WITH_INTERVAL,
    EVENTS_FILL_FRAGMENT,
    FACE_SHAPE,
    FACE_ID,
    ID_ONCE_PER_EVENT,
    COORDINATES_IN_RANGE,
    BOX_INSIDE_FRAME,
    FACES_DETECTED,
    COVERS_VIDEO,
)


@dataclass(frozen=True)
class Violation:
    """One broken promise: the rule's name and ``check_output.py``'s own message for it."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def violations(doc: object, frames: int | None = None, fps: float | None = None) -> list[Violation]:
    """Every violation of the contract in ``doc``, in document order (empty when it holds).

    ``frames``/``fps`` (the probed video) add the check that the fragments cover the whole video.
    """
    if not isinstance(doc, dict):
        return [Violation(ROOT_OBJECT, "root is not an object")]
    found = _root_violations(doc)
    if found:
        return found
    ids: set[int] = set()
    end = doc["offset"]
    for index, fragment in enumerate(doc["fragments"]):
        end = _fragment_violations(fragment, f"fragments[{index}]", end, ids, found)
    if doc["facesDetected"] != len(ids):
        found.append(
            Violation(
                FACES_DETECTED,
                f"root: facesDetected={doc['facesDetected']} but {len(ids)} distinct ids appear",
            )
        )
    if frames is not None and fps and doc["fragments"]:
        covered = (end - doc["offset"]) / doc["timescale"]
        video = frames / fps
        if abs(covered - video) > 1.0 / fps + EPS:
            found.append(
                Violation(COVERS_VIDEO, f"fragments cover {covered:.4f} s but the video lasts {video:.4f} s")
            )
    return found


def _root_violations(doc: dict[str, Any]) -> list[Violation]:
    found = [Violation(ROOT_KEYS_RULE, f"root: missing '{key}'") for key in ROOT_KEYS if key not in doc]
    found += [Violation(ROOT_KEYS_RULE, f"root: unknown key '{key}'") for key in doc if key not in ROOT_KEYS]
    if found:
        return found
    for key in ("version", "timescale", "width", "height"):
        if not _is_int(doc[key]) or doc[key] < 1:
            found.append(Violation(ROOT_VALUES, f"root: '{key}' must be an integer >= 1, got {doc[key]!r}"))
    if not _is_int(doc["offset"]) or doc["offset"] < 0:
        found.append(Violation(ROOT_VALUES, f"root: 'offset' must be an integer >= 0, got {doc['offset']!r}"))
    if not _is_num(doc["framerate"]) or doc["framerate"] <= 0:
        found.append(
            Violation(ROOT_VALUES, f"root: 'framerate' must be a number > 0, got {doc['framerate']!r}")
        )
    if not _is_int(doc["facesDetected"]) or doc["facesDetected"] < 0:
        found.append(
            Violation(
                ROOT_VALUES, f"root: 'facesDetected' must be an integer >= 0, got {doc['facesDetected']!r}"
            )
        )
    if not isinstance(doc["fragments"], list):
        found.append(Violation(ROOT_VALUES, "root: 'fragments' must be an array"))
    return found


def _fragment_violations(
    fragment: object, where: str, expected_start: int, ids: set[int], found: list[Violation]
) -> int:
    """Check one fragment, collect the face ids it uses; return where the next fragment must start."""
    if not isinstance(fragment, dict):
        found.append(Violation(FRAGMENT_SHAPE, f"{where}: not an object"))
        return expected_start
    unknown = set(fragment) - FRAGMENT_KEYS
    if unknown:
        found.append(Violation(FRAGMENT_SHAPE, f"{where}: unknown keys {sorted(unknown)}"))
    start, duration = fragment.get("start"), fragment.get("duration")
    if not _is_int(start) or start < 0 or not _is_int(duration) or duration < 1:
        found.append(
            Violation(
                FRAGMENT_SHAPE,
                f"{where}: 'start' and 'duration' must be integers (>=0, >=1), got {start!r}, {duration!r}",
            )
        )
        return expected_start
    if start != expected_start:
        found.append(
            Violation(
                FRAGMENTS_CONTIGUOUS,
                f"{where}: starts at {start}, expected {expected_start} (fragments must be contiguous)",
            )
        )
    next_start: int = start + duration
    if ("events" in fragment) != ("interval" in fragment):
        found.append(Violation(EVENTS_WITH_INTERVAL, f"{where}: 'events' and 'interval' go together"))
        return next_start
    if "events" not in fragment:
        return next_start
    interval, events = fragment["interval"], fragment["events"]
    if not _is_int(interval) or interval < 1:
        found.append(
            Violation(FRAGMENT_SHAPE, f"{where}: 'interval' must be an integer >= 1, got {interval!r}")
        )
        return next_start
    if not isinstance(events, list):
        found.append(Violation(FRAGMENT_SHAPE, f"{where}: 'events' must be an array"))
        return next_start
    if len(events) * interval != duration:
        found.append(
            Violation(
                EVENTS_FILL_FRAGMENT,
                f"{where}: {len(events)} events x interval {interval} != duration {duration}",
            )
        )
    for event_index, event in enumerate(events):
        _event_violations(event, f"{where}.events[{event_index}]", ids, found)
    return next_start


def _event_violations(event: object, where: str, ids: set[int], found: list[Violation]) -> None:
    if not isinstance(event, list):
        found.append(Violation(FRAGMENT_SHAPE, f"{where}: not an array"))
        return
    seen: set[int] = set()
    for k, face in enumerate(event):
        at = f"{where}[{k}]"
        if not isinstance(face, dict):
            found.append(Violation(FACE_SHAPE, f"{at}: not an object"))
            continue
        missing, unknown = REQUIRED_FACE_KEYS - set(face), set(face) - FACE_KEYS
        if missing or unknown:
            found.append(Violation(FACE_SHAPE, f"{at}: missing {sorted(missing)} unknown {sorted(unknown)}"))
            continue
        face_id = face["id"]
        if not _is_int(face_id) or face_id < 0:
            found.append(Violation(FACE_ID, f"{at}: 'id' must be an integer >= 0, got {face_id!r}"))
            continue
        if face_id in seen:
            found.append(Violation(ID_ONCE_PER_EVENT, f"{at}: id {face_id} appears twice in one event"))
        seen.add(face_id)
        ids.add(face_id)
        x, y, w, h = face["x"], face["y"], face["width"], face["height"]
        if not all(_is_num(v) for v in (x, y, w, h)):
            found.append(Violation(COORDINATES_IN_RANGE, f"{at}: coordinates must be finite numbers"))
            continue
        if not (0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1):
            found.append(
                Violation(COORDINATES_IN_RANGE, f"{at}: coordinates out of range: x={x} y={y} w={w} h={h}")
            )
        elif x + w > 1 + EPS or y + h > 1 + EPS:
            found.append(Violation(BOX_INSIDE_FRAME, f"{at}: box leaves the frame: x+w={x + w} y+h={y + h}"))


def require_contract(
    doc: object, source: str = "JSON", frames: int | None = None, fps: float | None = None
) -> None:
    """Refuse a document that breaks the contract with one line naming the first rule it breaks.

    The first violation is the one reported because later ones are often consequences of it; the count
    of the rest tells the user how broken the file is without flooding the terminal.
    """
    found = violations(doc, frames, fps)
    if not found:
        return
    first = found[0]
    more = f" (and {len(found) - 1} more violations)" if len(found) > 1 else ""
    raise ContractError(f"{source}: breaks the JSON contract, rule {first.rule}: {first.message}{more}")


def load_checked_document(
    path: str | os.PathLike[str], frames: int | None = None, fps: float | None = None
) -> dict[str, Any]:
    """Read a per-video JSON file and check it; every failure is one line, nothing else happens."""
    path = os.fspath(path)
    name = os.path.basename(path) or path
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{name}: cannot read ({exc})") from None
    except ValueError as exc:
        raise ContractError(f"{name}: not valid JSON ({exc})") from None
    require_contract(doc, name, frames, fps)
    checked: dict[str, Any] = doc
    return checked
