"""DetectorSchedule: full-resolution eyes only where small faces are, within a fixed budget per frame.

A detector that sees the whole frame at 480 px misses a 30 px face in a 1080p frame, or sees it too
faintly to start a track; one that sees every frame at full resolution costs 16 times as much. On each
frame the detector runs on, the schedule spends a fixed budget of windows at the fine scale (full
resolution, or ``fine_size`` px on the long side for huge frames):

- the **coarse pass**: the whole frame at the detector's input size, for large and fast faces;
- **tiles**: overlapping windows at the fine scale, a few per frame in rotation, so every part of the
  frame is looked at closely within ``scan_seconds``: that is how a face too small for the coarse pass is
  found at all;
- **regions**: a window around each small face the tracker follows, and around each small face the
  coarse pass saw too faintly to trust, so a small face is followed (and confirmed) rather than found
  again by the next tile.

Everything is merged by NMS in frame pixels before the tracker sees it (``windows.merge``). Frames already
small for the coarse pass (say 320x240) get no fine passes: the coarse pass sees them whole.

A coarse pass the detector had to cap for memory (``--input-size 0`` on a 4K or 8K frame: a whole-frame pass
is at most ~2 Mpx) raises the fine scale to the resolution asked for (up to 16 Mpx of fine picture: full
resolution up to 5K, 4000 px for 8000x8000), so tiles look at every part of the frame at that resolution
instead; ``capped`` says so in one line (also logged as a warning).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from models.detections import Detections, iou_matrix
from models.detector.base import FaceDetector
from models.detector.centerface import LARGE_FRAME
from models.detector.windows import Window, crop, merge, region_window, tile_grid, to_frame

# A frame's fine-scale picture, or a function that makes it (called only when a window needs it).
FinePicture = np.ndarray | Callable[[], np.ndarray]
MIB_PER_MEGAPIXEL = 320  # onnxruntime's peak for CenterFace, per million input pixels (measured)

log = logging.getLogger("facetrack.detector")


@dataclass(frozen=True)
class ScheduleConfig:
    """How the fine passes spend their budget. Chosen by bench/accuracy.py and bench/speed.py."""

    fine_size: int = 1920  # long side, px, of the fine scale (at most the frame's own); 0 = no fine passes
    scan_seconds: float = 4.0  # every part of the frame is looked at by a tile within this time
    tile: int = 576  # tile side, input px, about (tiles are stretched to cover the frame evenly)
    overlap: int = 64  # input px tiles share: a face up to this size lies whole in one tile
    small_face: float = 32.0  # coarse input px: faces smaller than this get a region pass
    region: int = 128  # region side, input px
    region_face: float = 40.0  # a region shows its face this high, input px (about 3 faces wide) ...
    region_max_scale: float = 2.5  # ... enlarging a small face at most this much
    max_windows: int = 12  # windows (tiles + regions) per frame the detector runs on: the budget
    min_gain: float = 1.5  # fine passes only where the fine scale is this much finer than the coarse one
    min_face: float = 12.0  # px, frame: smaller faces found by fine passes are dropped (and not followed)


@dataclass(frozen=True)
class ScheduledFrame:
    """One frame for the schedule: its coarse picture (the detector's input shape), its fine picture, and
    where the tracker expects faces on it (boxes in frame px, most in need of a look first; whether each
    is a confirmed face: those go after faint new ones)."""

    coarse: np.ndarray
    fine: FinePicture
    expected: np.ndarray
    confirmed: np.ndarray


class DetectorSchedule:
    """Runs the coarse pass and the fine windows of a batch of frames; see the module docstring."""

    def __init__(
        self,
        detector: FaceDetector,
        frame_size: tuple[int, int],
        frame_rate: float,
        detect_every: int = 1,
        config: ScheduleConfig | None = None,
    ) -> None:
        self.detector = detector
        self.config = config or ScheduleConfig()
        self.frame_size = frame_size
        width, height = frame_size
        coarse = detector.input_shape(width, height)
        requested = getattr(detector, "requested_shape", detector.input_shape)(width, height)
        self.coarse_scale = coarse[0] / width
        cfg = self.config
        # A capped coarse pass: the fine passes see the frame at the resolution asked for, up to LARGE_FRAME
        # pixels (a fine picture is RGB, 3 bytes a pixel, one per frame of a batch).
        fine_size = cfg.fine_size
        if requested != coarse and fine_size > 0:
            most = math.floor(max(width, height) * min(1.0, math.sqrt(LARGE_FRAME / (width * height))))
            fine_size = max(fine_size, min(max(requested), most))
        self.fine_scale = min(1.0, fine_size / max(width, height)) if fine_size > 0 else 0.0
        self.active = self.fine_scale >= cfg.min_gain * self.coarse_scale
        fine = (max(1, round(width * self.fine_scale)), max(1, round(height * self.fine_scale)))
        self.fine_shape = fine if self.active else frame_size  # (width, height) of the fine picture
        self.tiles = tile_grid(width, height, self.fine_scale, cfg.tile, cfg.overlap) if self.active else []
        runs_per_scan = max(1.0, cfg.scan_seconds * frame_rate / max(1, detect_every))
        self.tile_shape = self.tiles[0].input_size if self.tiles else (0, 0)
        # Tiles per detector run, a fraction when a scan spans more runs than there are tiles.
        self.tile_rate = min(float(cfg.max_windows), len(self.tiles) / runs_per_scan)
        self._tile_credit = 0.0
        self._next_tile = 0
        self._small = cfg.small_face / self.coarse_scale  # frame px: faces smaller get regions
        self.windows_run = 0  # fine windows so far (for the run's statistics)
        self.capped = capped_message(frame_size, requested, coarse, self.fine_shape if self.active else None)
        if self.capped:
            log.warning(self.capped)

    def detect(
        self, frames: Sequence[ScheduledFrame], threshold: float, confident: float
    ) -> list[Detections]:
        """Every face on each frame, in frame px: coarse and fine passes merged.

        ``threshold`` is the lowest score kept; ``confident`` is the score a face needs to be trusted
        without a closer look (and to start a track). Three inference calls at most, whatever the batch:
        the coarse pass, the tiles, then the regions, which follow what the tiles found: a face a tile
        saw faintly is looked at again, enlarged, on the same frame, and a face a tile found on one
        frame of the batch is followed on the next ones (the tracker has not seen it yet).
        """
        if not frames:
            return []
        coarse = self.detector.detect_batch([f.coarse for f in frames], self.frame_size, threshold)
        if not self.active:
            return coarse
        pictures = _Pictures(frames)
        tiles = [self._next_tiles() for _ in frames]
        tiled = self._run([(k, pictures[k], w) for k, due in enumerate(tiles) for w in due], self.tile_shape,
                          threshold)  # fmt: skip
        found_by_tiles = [[d for i, d in tiled if i == k] for k in range(len(frames))]
        region_jobs: list[tuple[int, np.ndarray, Window]] = []
        seen_before: list[np.ndarray] = []  # small faces tiles found on earlier frames of this batch
        for k, frame in enumerate(frames):
            faint_here = [
                box
                for found in found_by_tiles[k]
                for box, score in zip(found.xyxy, found.confidence, strict=True)
                if score < confident and _size(box) < self._small
            ]
            leads = [box.astype(np.float64) for box in faint_here + seen_before]
            regions = self._regions(
                frame, coarse[k], confident, leads, room=self.config.max_windows - len(tiles[k])
            )
            region_jobs += [(k, pictures[k], w) for w in regions]
            seen_before = [
                box for found in found_by_tiles[k] for box in found.xyxy if _size(box) < self._small
            ]
        regioned = self._run(region_jobs, (self.config.region, self.config.region), threshold)
        out: list[Detections] = []
        for k, found in enumerate(coarse):
            mine = [d for i, d in tiled + regioned if i == k]
            out.append(merge([found, *mine]) if mine else found)
        return out

    def _next_tiles(self) -> list[Window]:
        """The tiles due on this run: the rotation advances by ``tile_rate`` a run."""
        self._tile_credit += self.tile_rate
        due = int(self._tile_credit)
        self._tile_credit -= due
        tiles = [self.tiles[(self._next_tile + i) % len(self.tiles)] for i in range(due)]
        self._next_tile = (self._next_tile + due) % len(self.tiles)
        return tiles

    def _regions(
        self, frame: ScheduledFrame, coarse: Detections, confident: float, leads: list[np.ndarray], room: int
    ) -> list[Window]:
        """Windows around the small faces worth a closer look on this frame, most in need first, at most
        ``room``: faces the tracker has not confirmed yet, faces the tiles just found, faint faces the
        coarse pass barely saw, then confirmed faces the coarse pass did not see surely (round robin:
        the tracker orders them by how long ago each was last seen confidently)."""
        cfg, small = self.config, self._small
        width, height = self.frame_size
        expected = np.asarray(frame.expected, np.float64).reshape(-1, 4)
        confirmed = np.asarray(frame.confirmed, bool).reshape(-1)
        tentative: list[np.ndarray] = []
        followed: list[np.ndarray] = []
        for box, known in zip(expected, confirmed, strict=True):
            if _size(box) < small and _support(box, coarse) < confident:
                (followed if known else tentative).append(box)
        faint = [
            box.astype(np.float64)
            for box, score in zip(coarse.xyxy, coarse.confidence, strict=True)
            if score < confident and _size(box) < small and not _near(box, expected)
        ]
        regions: list[Window] = []
        for box in tentative + leads + faint + followed:
            if len(regions) >= room:
                break
            if not any(_holds(w, box) for w in regions):
                # Enlarging is from the fine picture: a huge frame's faces are enlarged less.
                regions.append(region_window(box, width, height, cfg.region, cfg.region_face,
                                             cfg.region_max_scale * self.fine_scale))  # fmt: skip
        return regions

    def _run(
        self, jobs: list[tuple[int, np.ndarray, Window]], size: tuple[int, int], threshold: float
    ) -> list[tuple[int, Detections]]:
        """Detect on every window in one batch: (frame's position in the batch, detections in frame px)."""
        if not jobs:
            return []
        images = [crop(picture, self.fine_scale, window, size) for _, picture, window in jobs]
        found = self.detector.detect_batch(images, size, threshold)
        self.windows_run += len(jobs)
        width, height = self.frame_size
        out = []
        for (k, _, window), dets in zip(jobs, found, strict=True):
            moved = to_frame(dets, window, width, height)
            # Enlarged regions can make a detector "see" faces of a few pixels: below min_face, no one
            # can tell who it is (nor whether it is a face), so the fine passes do not report them.
            out.append((k, moved[np.maximum(moved.widths, moved.heights) >= self.config.min_face]))
        return out


def capped_message(
    frame: tuple[int, int], requested: tuple[int, int], coarse: tuple[int, int], fine: tuple[int, int] | None
) -> str:
    """One line when the coarse pass is smaller than the input size asked for (else ""): what was asked,
    what it would have cost, and what covers the frame's detail instead."""
    if requested == coarse:
        return ""
    cost = requested[0] * requested[1] / 1e6 * MIB_PER_MEGAPIXEL / 1024
    cover = f"fine tiles at {max(fine)} px cover the frame" if fine else "no fine passes (fine size 0)"
    return (
        f"input size capped at {max(coarse)} px for {frame[0]}x{frame[1]} (the {max(requested)} px pass "
        f"asked for would need ~{cost:.1f} GiB of memory); {cover}"
    )


class _Pictures:
    """The batch's fine pictures, each made on first use (a frame with no window needs none)."""

    def __init__(self, frames: Sequence[ScheduledFrame]) -> None:
        self._frames = frames
        self._made: dict[int, np.ndarray] = {}

    def __getitem__(self, k: int) -> np.ndarray:
        if k not in self._made:
            fine = self._frames[k].fine
            self._made[k] = fine() if callable(fine) else fine
        return self._made[k]


def _size(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


def _support(box: np.ndarray, coarse: Detections) -> float:
    """The coarse pass's best score for the face expected at ``box`` (0 when it did not see it)."""
    if len(coarse) == 0:
        return 0.0
    iou = iou_matrix(box[None, :], coarse.xyxy.astype(np.float64))[0]
    seen = iou >= 0.3
    return float(coarse.confidence[seen].max()) if seen.any() else 0.0


def _near(box: np.ndarray, expected: np.ndarray) -> bool:
    return bool((iou_matrix(box[None, :], expected) >= 0.3).any())


def _holds(window: Window, box: np.ndarray) -> bool:
    """Whether ``window`` already shows ``box`` with room around it."""
    margin = (box[2] - box[0]) / 2
    return bool(
        box[0] - margin >= window.x0
        and box[1] - margin >= window.y0
        and box[2] + margin <= window.x1
        and box[3] + margin <= window.y1
    )
