"""azure: Azure Media Face Detector / Redactor output read leniently, so archives can leave Azure.

facetrack's own documents are checked strictly (``tasks.document.contract``); Azure's are not ours, and
the published samples break that contract in small ways a user cannot fix: boxes reach outside the
frame (the Redactor sample has ``"y": -0.18987``), faces and fragments carry ``index``, ids are sparse,
``facesDetected`` is missing, a fragment may hold fewer events than its duration allows, and
PerFaceEmotion output adds ``scores``. Those are accepted (clipped, ignored, counted again) and reported
in ``notes``. What cannot be imported faithfully is refused with one line naming the file and the place,
the way the contract does: malformed values, events that do not fit their fragment, a face without an
id or box, and the other Azure processors that share the envelope (aggregate emotion, motion).

The reader stops at the document's own time axis (ticks, ``timescale``, ``offset``); mapping onto
facetrack's frame grid and publishing is the caller's, ``AzureFaces.frame_grid`` does the arithmetic.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeGuard

import numpy as np

from tasks.document.build import DECIMALS
from tasks.errors import BadInputError, ContractError
from tasks.video.probe import MAX_DIMENSION, MAX_FRAME_RATE

BOX_KEYS = ("x", "y", "width", "height")
FACE_KEYS = frozenset({"id", *BOX_KEYS, "index"})
FRAGMENT_KEYS = frozenset({"start", "duration", "interval", "events", "index"})
ROOT_KEYS = frozenset({"version", "timescale", "offset", "framerate", "width", "height", "fragments"})
ROOT_KEYS_ALL = ROOT_KEYS | {"facesDetected"}
REQUIRED_ROOT = ("timescale", "width", "height", "framerate", "fragments")
EMOTION_KEYS = frozenset({"windowFaceDistribution", "windowMeanScores"})
MOTION_KEYS = frozenset({"typeName", "locations"})
EPS = 1e-6  # a box this little past an edge is float noise, not a box that left the frame
RATE_TOLERANCE = 1e-3  # timescale / interval within 0.1 % of framerate: the interval is the frame period
MAX_DENOMINATOR = 1001  # NTSC rates (30000/1001) are the largest denominators a framerate needs
# A document covering more than this is refused as absurd rather than laid out frame by frame (a week at
# 30 fps is 18 M frames): a corrupt or hand-edited tick count would otherwise exhaust memory.
MAX_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class AzureFaces:
    """An Azure Face Detector / Redactor document read leniently: its faces on its own time axis."""

    name: str
    """File name, for messages."""
    width: int
    height: int
    frame_rate: Fraction
    """Exact when the events' interval agrees with ``framerate`` (30000/1001), else ``framerate``'s."""
    framerate: float
    """The document's own value."""
    timescale: int
    seconds: float
    """Time the fragments cover: (end of the last fragment - offset) / timescale."""
    times: np.ndarray
    """(N,) float64: seconds from the start of each face event, (tick - offset) / timescale."""
    face_ids: np.ndarray
    """(N,) int64: Azure's ids as they are (sparse and large ids are fine)."""
    boxes: np.ndarray
    """(N, 4) float64 normalized x, y, width, height, clipped to the frame, 6 decimals."""
    clipped: int
    """Boxes that reached outside the frame and were clipped to it (and kept)."""
    dropped: int
    """Boxes with nothing left inside the frame after clipping (not in the arrays)."""
    faces_detected: int | None
    """The document's ``facesDetected``, None when it has none (or not a count); never trusted as is."""
    notes: tuple[str, ...]
    """What a user should hear: what was clipped, dropped, ignored or counted again."""

    @property
    def distinct_ids(self) -> int:
        """The number of distinct ids imported: what ``facesDetected`` is counted again as."""
        return len(np.unique(self.face_ids))

    def frame_grid(self, frame_rate: Fraction) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(frame_index int64, face_ids int64, boxes (N,4)) on the grid of ``frame_rate``
        (frame = round(time * frame_rate)), sorted by frame then id, plus how many events were merged
        because the same id fell on the same frame twice (the first kept).

        The frame is computed from the integer ticks, exactly, rounding halves up: float rounding of
        ``time * frame_rate`` would put an event that lies on a frame boundary on either side by chance.
        Two events of one id land on one frame when the document's rate is finer than ``frame_rate``
        (or fragments overlap); facetrack keeps one box per id and frame, the earliest in the document.
        """
        rate = Fraction(frame_rate)
        if rate <= 0:
            raise ValueError(f"frame_rate must be > 0, got {frame_rate}")
        ticks = np.rint(self.times * self.timescale).astype(np.int64)  # exact: times came from ticks
        numerator = 2 * rate.numerator
        denominator = 2 * self.timescale * rate.denominator
        frames = (ticks * numerator + denominator // 2) // denominator
        order = np.lexsort((self.face_ids, frames))  # stable: equal (frame, id) keep document order
        frames, ids, boxes = frames[order], self.face_ids[order], self.boxes[order]
        first = np.ones(len(frames), bool)
        first[1:] = (frames[1:] != frames[:-1]) | (ids[1:] != ids[:-1])
        merged = int(len(frames) - first.sum())
        return frames[first].astype(np.int64), ids[first].astype(np.int64), boxes[first], merged


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


class _Reader:
    """One pass over a document; the first problem that cannot be imported stops it with one line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ticks: list[int] = []
        self.ids: list[int] = []
        self.raw: list[tuple[float, float, float, float]] = []
        self.extra_face_keys: set[str] = set()
        self.extra_fragment_keys: set[str] = set()
        self.intervals: set[int] = set()

    def refuse(self, where: str, problem: str) -> ContractError:
        return ContractError(f"{self.name}: {where}: {problem}")

    def fragment(self, fragment: object, where: str, offset: int) -> int:
        """Collect one fragment's face events; return where it ends, in ticks."""
        if not isinstance(fragment, dict):
            raise self.refuse(where, "not an object")
        self.extra_fragment_keys |= set(fragment) - FRAGMENT_KEYS
        start, duration = fragment.get("start"), fragment.get("duration")
        if not _is_int(start) or start < 0 or not _is_int(duration) or duration < 1:
            raise self.refuse(
                where, f"'start' and 'duration' must be integers (>=0, >=1), got {start!r}, {duration!r}"
            )
        if start < offset:
            raise self.refuse(where, f"starts at {start}, before the offset {offset}")
        end: int = start + duration
        has_events, has_interval = "events" in fragment, "interval" in fragment
        if has_events != has_interval:
            raise self.refuse(
                where, "'events' without 'interval'" if has_events else "'interval' without 'events'"
            )
        if not has_events:
            return end
        interval, events = fragment["interval"], fragment["events"]
        if not _is_int(interval) or interval < 1:
            raise self.refuse(where, f"'interval' must be an integer >= 1, got {interval!r}")
        if not isinstance(events, list):
            raise self.refuse(where, "'events' must be an array")
        # A short fragment is fine (the rest are frames without faces); one event past its end is not.
        if events and (len(events) - 1) * interval >= duration:
            raise self.refuse(
                where, f"{len(events)} events x interval {interval} do not fit in duration {duration}"
            )
        self.intervals.add(interval)
        for k, event in enumerate(events):
            self.event(event, f"{where}.events[{k}]", start + k * interval)
        return end

    def event(self, event: object, where: str, tick: int) -> None:
        if not isinstance(event, list):
            raise self.refuse(where, "not an array")
        seen: set[int] = set()
        for k, face in enumerate(event):
            at = f"{where}[{k}]"
            if not isinstance(face, dict):
                raise self.refuse(at, "not an object")
            if EMOTION_KEYS & set(face):
                raise self.refuse(at, "aggregate-emotion output, no face boxes to import")
            if MOTION_KEYS & set(face):
                raise self.refuse(at, "Motion Detector output, no face boxes to import")
            missing = [key for key in ("id", *BOX_KEYS) if key not in face]
            if missing:
                raise self.refuse(at, f"missing {', '.join(repr(key) for key in missing)}")
            face_id = face["id"]
            if not _is_int(face_id) or face_id < 0:
                raise self.refuse(at, f"'id' must be an integer >= 0, got {face_id!r}")
            for key in BOX_KEYS:
                if not _is_num(face[key]):
                    raise self.refuse(at, f"'{key}' must be a finite number, got {face[key]!r}")
            x, y, w, h = (float(face[key]) for key in BOX_KEYS)
            if w <= 0 or h <= 0:
                raise self.refuse(
                    at, f"'width' and 'height' must be > 0, got {face['width']}, {face['height']}"
                )
            if face_id in seen:
                raise self.refuse(at, f"id {face_id} appears twice in one event")
            seen.add(face_id)
            self.extra_face_keys |= set(face) - FACE_KEYS
            self.ticks.append(tick)
            self.ids.append(face_id)
            self.raw.append((x, y, w, h))


def _clip(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes clipped to the frame as ``json_boxes`` writes them, which are kept, which were clipped.

    The edges are clipped and rounded first and the sizes derived from them, so x + width <= 1 holds
    after rounding too; a box with no width or height left is dropped.
    """
    x, y, w, h = raw.T
    x0, y0 = np.clip(x, 0.0, 1.0).round(DECIMALS), np.clip(y, 0.0, 1.0).round(DECIMALS)
    x1, y1 = np.clip(x + w, 0.0, 1.0).round(DECIMALS), np.clip(y + h, 0.0, 1.0).round(DECIMALS)
    width, height = (x1 - x0).round(DECIMALS), (y1 - y0).round(DECIMALS)
    boxes = np.stack([x0, y0, width, height], axis=1)
    keep = (width > 0) & (height > 0)
    outside = (x < -EPS) | (y < -EPS) | (x + w > 1 + EPS) | (y + h > 1 + EPS)
    return boxes, keep, outside


def _frame_rate(framerate: float, timescale: int, intervals: set[int]) -> tuple[Fraction, str | None]:
    """The exact rate when every interval is one frame period of ``framerate``, else ``framerate``'s.

    Azure writes ``framerate`` rounded (29.97, 23.976) but ticks exactly (interval 1001 at 30000), so the
    ticks are the better witness; when they disagree with ``framerate`` (or each other), the declared
    rate wins and the user hears it.
    """
    if len(intervals) == 1:
        (interval,) = intervals
        exact = Fraction(timescale, interval)
        if abs(float(exact) - framerate) <= RATE_TOLERANCE * framerate:
            return exact, None
    declared = Fraction(framerate).limit_denominator(MAX_DENOMINATOR)
    if not intervals:
        return declared, None
    shown = ", ".join(str(i) for i in sorted(intervals))
    return declared, (
        f"event interval {shown} at timescale {timescale} does not match framerate {framerate}: "
        f"framerate used"
    )


def azure_faces(document: object, name: str) -> AzureFaces:
    """Read a parsed Azure Face Detector / Redactor document; refuse what cannot be imported (one line)."""
    reader = _Reader(name)
    if not isinstance(document, dict):
        raise reader.refuse("root", f"not a JSON object (got {type(document).__name__})")
    if "regions" in document:
        raise reader.refuse("root", "'regions' found: Motion Detector output, no face boxes to import")
    for key in REQUIRED_ROOT:
        if key not in document:
            raise reader.refuse("root", f"missing '{key}'")
    doc: dict[str, Any] = document
    for key in ("timescale", "width", "height"):
        if not _is_int(doc[key]) or doc[key] < 1:
            raise reader.refuse("root", f"'{key}' must be an integer >= 1, got {doc[key]!r}")
    if doc["width"] > MAX_DIMENSION or doc["height"] > MAX_DIMENSION:
        raise reader.refuse(
            "root", f"frame size {doc['width']}x{doc['height']} is outside 1..{MAX_DIMENSION} pixels"
        )
    if "version" in doc and (not _is_int(doc["version"]) or doc["version"] < 1):
        raise reader.refuse("root", f"'version' must be an integer >= 1, got {doc['version']!r}")
    offset = doc.get("offset", 0)
    if not _is_int(offset) or offset < 0:
        raise reader.refuse("root", f"'offset' must be an integer >= 0, got {offset!r}")
    framerate = doc["framerate"]
    if not _is_num(framerate) or framerate <= 0 or framerate > MAX_FRAME_RATE:
        raise reader.refuse(
            "root", f"'framerate' must be a number in (0, {MAX_FRAME_RATE}], got {framerate!r}"
        )
    fragments = doc["fragments"]
    if not isinstance(fragments, list):
        raise reader.refuse("root", "'fragments' must be an array")
    if not fragments:
        raise reader.refuse("root", "no fragments, nothing to import")
    timescale: int = doc["timescale"]

    end = max(reader.fragment(fragment, f"fragments[{i}]", offset) for i, fragment in enumerate(fragments))
    if (end - offset) / timescale > MAX_SECONDS:
        raise reader.refuse("root", f"fragments cover {(end - offset) / timescale:.0f} s, more than a week")

    raw = np.array(reader.raw, np.float64).reshape(-1, 4)
    boxes, keep, outside = _clip(raw)
    ticks = np.array(reader.ticks, np.int64)[keep]
    face_ids = np.array(reader.ids, np.int64)[keep]
    clipped = int((outside & keep).sum())
    dropped = int((~keep).sum())
    frame_rate, rate_note = _frame_rate(float(framerate), timescale, reader.intervals)

    notes: list[str] = []
    if "offset" not in doc:
        notes.append("no offset: 0 assumed")
    if rate_note:
        notes.append(rate_note)
    if clipped:
        notes.append(f"{_plural(clipped, 'box', 'boxes')} clipped to the frame")
    if dropped:
        notes.append(f"{_plural(dropped, 'box', 'boxes')} outside the frame dropped")
    distinct = len(set(face_ids.tolist()))
    declared = doc.get("facesDetected")
    faces_detected: int | None = None
    if "facesDetected" not in doc:
        notes.append(f"no facesDetected: counted, {_plural(distinct, 'id', 'ids')}")
    elif not _is_int(declared) or declared < 0:
        notes.append(
            f"facesDetected {declared!r} is not a count: counted again, {_plural(distinct, 'id', 'ids')}"
        )
    else:
        faces_detected = declared
        if declared != distinct:
            notes.append(f"facesDetected {declared} but {distinct} ids appear: counted again")
    extra_face = set(reader.extra_face_keys)
    if "scores" in extra_face:
        extra_face.discard("scores")
        notes.append("emotion scores ignored")
    for what, keys in (
        ("face", extra_face),
        ("fragment", reader.extra_fragment_keys),
        ("root", set(doc) - ROOT_KEYS_ALL),
    ):
        if keys:
            notes.append(f"{what} keys ignored: {', '.join(sorted(keys))}")

    return AzureFaces(
        name=name,
        width=doc["width"],
        height=doc["height"],
        frame_rate=frame_rate,
        framerate=float(framerate),
        timescale=timescale,
        seconds=(end - offset) / timescale,
        times=(ticks - offset) / timescale,
        face_ids=face_ids,
        boxes=boxes[keep],
        clipped=clipped,
        dropped=dropped,
        faces_detected=faces_detected,
        notes=tuple(notes),
    )


def read_azure_file(path: str | os.PathLike[str]) -> AzureFaces:
    """Read and parse a file; every failure is one line (BadInputError for unreadable/no such file/empty,
    ContractError for not-JSON or a document that cannot be imported)."""
    path = os.fspath(path)
    name = os.path.basename(path) or path
    try:
        with open(path, encoding="utf-8-sig") as handle:  # -sig: files saved by Windows tools carry a BOM
            text = handle.read()
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{name}: cannot read ({exc})") from None
    if not text.strip():
        raise BadInputError(f"{name}: empty file")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ContractError(f"{name}: not valid JSON ({exc})") from None
    return azure_faces(document, name)
