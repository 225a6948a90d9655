"""FaceTracker: gives every face a stable id across frames.

ByteTrack's idea, written here from the paper (facexlib's SORT is GPL-3): confident detections are
matched first; then low-score detections may only *extend* tracks that already exist, which keeps a
face through blur or partial occlusion without letting background clutter start new tracks. Matching
is Hungarian on IoU between Kalman-predicted boxes and detections.

What makes ids right rather than merely stable:
- a track is confirmed only after ``confirm_hits`` matches in a row (one-frame false positives never get
  an id), and its tentative frames are then back-filled so a face's first frames are not lost; only a
  video whose last shot is too short for that (a clip of a few frames) keeps, at its end, the tentative
  faces seen at every detector run of that shot;
- a lost track is remembered for ``lost_seconds`` so a face hidden for a moment keeps its id; it is
  matched against both its predicted box and where it was last seen (occluders rarely move faces);
- gaps are filled by interpolation once a face is found again (and between detections when detecting
  every Nth frame), so redaction does not flicker;
- ids are numbered 0, 1, 2 … in order of first appearance when the video is finished.

Who a face *is* comes from a face-recognition embedding (``models.identity``), never from position alone:
- at a shot cut (``update(new_shot=True)``) every track ends: the next shot's faces start new tracklets,
  and only their embeddings can give them an earlier id back (offline, in ``stitch``);
- a confirmed face is embedded when its track is confirmed, when it is found again after being lost or
  after a run of low-score sightings, when it starts or stops touching another face (where ids can
  swap), and otherwise after 1, 2, 4 and then every 8 seconds (a steady face needs few looks, and crowds
  stay affordable) — the faces of one frame in one batch;
- within a shot, a sighting whose embedding is clearly another person's (faces crossing, a cut the cut
  detector missed) does not extend the track: the track ends there and the sighting starts a new one;
- at the end, tracklets that are never on screen together merge when their embeddings agree, and a lone
  face lost for an instant continues (``stitch``).
Only embeddings that pass the quality gate (``QualityGate``) may split or merge anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from models.detections import Detections
from models.identity import FaceEmbedder, QualityGate
from models.tracker.kalman import BoxKalman, cxcywh_to_xyxy
from models.tracker.matching import iou_matrix, match
from models.tracker.stitching import stitch
from models.tracker.track import Track

# A frame, or a function that makes it (called at most once, when a face on it is to be embedded).
ImageSource = np.ndarray | Callable[[], np.ndarray]

NEIGHBOUR_SIZES = 6.0  # faces this many face sizes apart move together (scene motion for a new face)


@dataclass(frozen=True)
class TrackerConfig:
    high_threshold: float = 0.5  # detections this confident match first and may start tracks
    low_threshold: float = 0.1  # down to this, detections can only extend existing tracks
    new_track_threshold: float = 0.6  # a new track needs a detection at least this confident
    match_iou: float = 0.2  # first stage: confident detections vs all tracks
    low_match_iou: float = 0.5  # second stage: low-score detections vs tracked faces
    tentative_match_iou: float = 0.3  # unconfirmed tracks vs leftover confident detections
    confirm_hits: int = 3
    lost_seconds: float = 1.0
    fill_gap_seconds: float = 0.5  # misses up to this long between two sightings are interpolated
    occlusion_fill_seconds: float = 2.0  # longer misses too, if the face reappears where it vanished
    min_face: float = 0.0  # pixels, shorter side; smaller detections are ignored
    # Identity (face embeddings; cosine similarity). Chosen by bench/identity.py's sweep on the dev corpus.
    embed_seconds: float = 1.0  # first re-look at a steady face after this long, then twice as long each time
    split_similarity: float = 0.3  # a sighting this unlike all of a track's recent faces is someone else
    merge_similarity: float = 0.55  # tracklets apart in time with templates this alike are one person ...
    merge_margin: float = 0.2  # ... if neither is within this of a third, known-different person
    quality: QualityGate = field(default_factory=QualityGate)


class FaceTracker:
    """Feed ``update`` once per decoded frame, in order; call ``finish`` at the end.

    Without an ``embedder`` the tracker follows faces by position only and never re-links them.
    """

    def __init__(
        self,
        frame_rate: float,
        config: TrackerConfig | None = None,
        detect_every: int = 1,
        embedder: FaceEmbedder | None = None,
    ):
        self.config = config or TrackerConfig()
        self.detect_every = max(1, int(detect_every))
        self.embedder = embedder
        self.lost_frames = max(1, round(self.config.lost_seconds * frame_rate))
        self.fill_frames = max(self.detect_every - 1, round(self.config.fill_gap_seconds * frame_rate))
        self.embed_frames = max(1, round(self.config.embed_seconds * frame_rate))
        # A face missed by one detector run flickered; missed for longer, it was lost.
        self._flicker = 2 * self.detect_every
        self.occlusion_frames = max(self.fill_frames, round(self.config.occlusion_fill_seconds * frame_rate))
        self._active: list[Track] = []  # tentative, tracked and lost tracks
        self._finished: list[Track] = []  # confirmed tracks no longer active
        self._next_key = 0
        self._frame = -1  # last frame seen
        self._last_detected_frame = -1  # last frame the detector ran on
        self._previous_detected = -1  # the detector run before that
        self._shot_runs = 0  # detector runs since the current shot started
        self._image: ImageSource | None = None
        self._image_scale = 1.0
        self._seen_now: list[tuple[Track, int]] = []  # (track, detection index) matched this frame
        self.cuts: list[int] = []  # frames that started a new shot
        self.embedded_faces = 0
        self.identity_seconds = 0.0  # time spent embedding and stitching (the cost of identity)

    @property
    def confirmed_count(self) -> int:
        """Faces confirmed so far (for progress display)."""
        return sum(t.confirmed for t in self._active) + len(self._finished)

    def update(
        self,
        frame: int,
        detections: Detections | None,
        image: ImageSource | None = None,
        image_scale: float = 1.0,
        new_shot: bool = False,
    ) -> None:
        """Advance to ``frame``; ``None`` means no detector ran on it (the tracks only move).

        ``image`` is the frame, RGB (``image_scale`` image pixels per detection pixel), or a function
        that returns it, called only when a face is to be embedded (so a full-resolution frame is
        converted a few times a second, not on every frame); with it and an embedder, faces are embedded
        for identity. ``new_shot`` says a hard cut starts a new shot at this frame: no track continues
        across it by position.
        """
        self._frame = frame
        self._image, self._image_scale = image, image_scale
        if new_shot and frame > 0:
            self._cut(frame)
        for track in self._active:
            track.kalman.predict()
        if detections is None:
            return
        self._shot_runs += 1
        self._previous_detected, self._last_detected_frame = self._last_detected_frame, frame
        self._seen_now = []
        dets = self._filter(detections)
        self._associate(frame, dets)
        self._embed(frame, dets)
        self._retire(frame)

    @property
    def frame(self) -> int:
        """The frame of the latest ``update`` (-1 before the first)."""
        return self._frame

    def expected_boxes(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Where the faces followed now should be on a coming ``frame``, most in need of a look first.

        Returns boxes (xyxy, N x 4) and whether each face is confirmed. Boxes are the filter's prediction
        for faces seen at the latest detector run, the last seen box for faces lost since (occluders
        rarely move faces). Tentative faces come first (they need confident sightings to be confirmed),
        then confirmed ones by how long ago they were last seen confidently. A detector with a budget
        looks closer there in this order (``models.detector.schedule``), so every face gets its turn.
        """
        ahead = max(0, frame - self._frame)
        tracks = sorted(
            (t for t in self._active if frame - t.last_frame <= self.lost_frames),
            key=lambda t: (t.confirmed, t.confident_at),
        )
        boxes = [
            cxcywh_to_xyxy(t.kalman.mean[:4] + ahead * t.kalman.mean[4:8])
            if t.last_frame >= self._last_detected_frame
            else t.last_box
            for t in tracks
        ]
        confirmed = np.array([t.confirmed for t in tracks], bool)
        return np.asarray(boxes, np.float64).reshape(-1, 4), confirmed

    @property
    def tracklets(self) -> list[Track]:
        """Every confirmed tracklet so far, before offline stitching (for benchmarks and diagnostics)."""
        return [t for t in self._finished + self._active if t.confirmed]

    def finish(self, n_frames: int) -> Detections:
        """Every confirmed face on every frame it covers, gaps filled, track ids 0, 1, 2 … by first
        appearance; ``frame_index`` is the decoded frame, rows sorted by (frame_index, track_id)."""
        started = time.perf_counter()
        cfg = self.config
        tracklets = self.tracklets + self._too_short_to_confirm()
        tracks = stitch(tracklets, cfg.merge_similarity, cfg.merge_margin, self._flicker, self.cuts,
                        cfg.split_similarity)  # fmt: skip
        self.identity_seconds += time.perf_counter() - started
        tracks.sort(key=lambda t: (t.frames[0], float(t.boxes[0][0])))
        return Detections.concatenate([self._expand(t, i, n_frames) for i, t in enumerate(tracks)]).sorted()

    def _too_short_to_confirm(self) -> list[Track]:
        """Tentative tracks seen at every detector run of a last shot too short to confirm any track.

        A clip of a few frames (or a last shot after a cut) never gives a face ``confirm_hits`` sightings;
        the faces it saw, each confident enough to start a track and found again at every run, are kept
        rather than lost. Anywhere else a track that missed its confirmation is noise, and is dropped.
        """
        if self._shot_runs >= self.config.confirm_hits:
            return []
        return [
            t
            for t in self._active
            if not t.confirmed and t.hits >= self._shot_runs and t.last_frame == self._last_detected_frame
        ]

    # -- association ---------------------------------------------------------------------------------

    def _filter(self, detections: Detections) -> Detections:
        keep = detections.confidence >= self.config.low_threshold
        if self.config.min_face > 0:
            keep &= np.minimum(detections.widths, detections.heights) >= self.config.min_face
        return detections[keep]

    def _associate(self, frame: int, dets: Detections) -> None:
        """Match in order of trust, each stage taking only what earlier stages left (a matching cascade)."""
        cfg = self.config
        high = np.flatnonzero(dets.confidence >= cfg.high_threshold)
        low = np.flatnonzero(dets.confidence < cfg.high_threshold)
        tracked = [t for t in self._active if t.confirmed and t.last_frame >= self._previous_detected]
        lost = [t for t in self._active if t.confirmed and t.last_frame < self._previous_detected]
        tentative = [t for t in self._active if not t.confirmed]

        # 1. Confident detections and the faces tracked up to the previous detection.
        tracked, high = self._claim(frame, dets, tracked, high, self._iou_predicted, cfg.match_iou)
        # 2. Lost faces: where the filter predicts them, or where they were last seen (occluders
        #    rarely move faces); then a partial box inside the last seen one (a face emerging).
        lost, high = self._claim(frame, dets, lost, high, self._iou_predicted_or_last, cfg.match_iou)
        lost, high = self._claim(frame, dets, lost, high, self._inside_last_seen, 0.6)
        # 3. Low-score detections may only extend faces that are being tracked (ByteTrack's second stage).
        self._claim(frame, dets, tracked, low, self._iou_predicted, cfg.low_match_iou)
        # 4. Tentative tracks and the confident detections nobody claimed.
        unmatched, high = self._claim(
            frame, dets, tentative, high, self._iou_predicted, cfg.tentative_match_iou
        )
        for track in tentative:
            if track not in unmatched and track.hits >= cfg.confirm_hits:
                track.confirmed = True
        dropped = {t.key for t in unmatched}
        self._active = [t for t in self._active if t.key not in dropped]
        # 5. New tentative tracks from confident leftovers.
        for index in high:
            if dets.confidence[index] >= cfg.new_track_threshold:
                self._start(frame, dets, int(index))

    def _claim(
        self,
        frame: int,
        dets: Detections,
        tracks: list[Track],
        candidates: np.ndarray,
        affinity: Callable[[list[Track], np.ndarray], np.ndarray],
        minimum: float,
    ) -> tuple[list[Track], np.ndarray]:
        """Hungarian-match ``tracks`` to detections ``candidates``; return what is left of each."""
        pairs, left_tracks, left_dets = match(affinity(tracks, dets.xyxy[candidates]), minimum)
        for ti, di in pairs:
            self._observe(tracks[ti], frame, dets, int(candidates[di]))
        return [tracks[i] for i in left_tracks], candidates[left_dets]

    def _iou_predicted(self, tracks: list[Track], boxes: np.ndarray) -> np.ndarray:
        return iou_matrix(self._predicted(tracks), boxes)

    def _iou_predicted_or_last(self, tracks: list[Track], boxes: np.ndarray) -> np.ndarray:
        """IoU with the predicted box, or with the last seen box when that overlaps more.

        A face behind an occluder usually stays where it was while the filter's velocity carries the
        prediction away; the last seen box recovers it.
        """
        predicted = iou_matrix(self._predicted(tracks), boxes)
        if not tracks:
            return predicted
        last_seen = iou_matrix(np.array([t.last_box for t in tracks]), boxes)
        best: np.ndarray = np.maximum(predicted, last_seen)
        return best

    @staticmethod
    def _inside_last_seen(tracks: list[Track], boxes: np.ndarray) -> np.ndarray:
        """Share of each box inside each track's last seen box, zero where the box is much smaller."""
        if not tracks or len(boxes) == 0:
            return np.zeros((len(tracks), len(boxes)))
        last = np.array([t.last_box for t in tracks])
        tl = np.maximum(last[:, None, :2], boxes[None, :, :2])
        br = np.minimum(last[:, None, 2:], boxes[None, :, 2:])
        inter = np.prod(np.clip(br - tl, 0, None), axis=2)
        box_area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
        last_area = np.prod(last[:, 2:] - last[:, :2], axis=1)
        share = inter / np.maximum(box_area[None, :], 1e-9)
        return np.where(box_area[None, :] >= 0.25 * last_area[:, None], share, 0.0)

    @staticmethod
    def _predicted(tracks: list[Track]) -> np.ndarray:
        return np.array([t.kalman.xyxy for t in tracks]).reshape(-1, 4)

    def _observe(self, track: Track, frame: int, dets: Detections, index: int) -> None:
        streak = track.last_frame >= self._previous_detected
        box = dets.xyxy[index].astype(np.float64)
        track.observe(frame, box, float(dets.confidence[index]), dets.landmarks[index], streak)
        if dets.confidence[index] >= self.config.high_threshold:
            # Confident again after a gap, or after a stretch of low-score sightings only: the face may
            # have changed hands meanwhile (an occlusion, blur, a zoom), so it is worth a fresh look. (Lost
            # faces are only found again by confident detections, so this covers them too.)
            track.resumed = track.resumed or frame - track.confident_at > self._flicker
            track.confident_at = frame
        self._seen_now.append((track, index))

    def _start(self, frame: int, dets: Detections, index: int) -> None:
        box = dets.xyxy[index].astype(np.float64)
        track = self._new_track(frame, box, float(dets.confidence[index]), dets.landmarks[index])
        track.confident_at = frame
        self._seen_now.append((track, index))

    def _new_track(self, frame: int, box: np.ndarray, score: float, landmarks: np.ndarray) -> Track:
        """A tentative track from one sighting, moving with the scene, added to the active ones."""
        kalman = BoxKalman(box)
        kalman.mean[4:6] = self._scene_motion(frame, box)
        track = Track(key=self._next_key, kalman=kalman, last_frame=frame, last_box=box,
                      confirmed=self.config.confirm_hits <= 1)  # fmt: skip
        self._next_key += 1
        track.record(frame, box, score, landmarks)
        self._active.append(track)
        return track

    def _scene_motion(self, frame: int, box: np.ndarray) -> np.ndarray:
        """Median velocity (px/frame) of the faces seen right now near ``box``: how the scene moves there.

        A face that enters while the camera pans moves with the scene; starting its filter at rest would
        lose it again before it is confirmed, most of all when detecting every Nth frame. Faces within a
        few face sizes say how this part of the picture moves (a crowd walking past people standing, a
        video wall); with none near, all faces on screen say how the camera moves (0 when it is still).
        """
        moving = [t for t in self._active if t.confirmed and t.last_frame == frame]
        if not moving:
            return np.zeros(2)
        velocities = np.array([t.kalman.mean[4:6] for t in moving])
        centres = np.array([t.kalman.mean[:2] for t in moving])
        size = max(box[2] - box[0], box[3] - box[1])
        centre = (box[:2] + box[2:]) / 2
        near = np.linalg.norm(centres - centre, axis=1) <= NEIGHBOUR_SIZES * max(size, 1.0)
        chosen = velocities[near] if near.any() else velocities
        motion: np.ndarray = np.median(chosen, axis=0)
        return motion

    # -- identity ------------------------------------------------------------------------------------

    def _cut(self, frame: int) -> None:
        """A new shot: every track ends here (tentative ones are dropped); none continues by position."""
        self.cuts.append(frame)
        self._finished += [t for t in self._active if t.confirmed]
        self._active = []
        self._shot_runs = 0

    def _embed(self, frame: int, dets: Detections) -> None:
        """Embed the confirmed faces due for a look, in one batch; split tracks that took someone else."""
        if self.embedder is None or self._image is None or not self._seen_now:
            return
        cfg, scale = self.config, self._image_scale
        seen = [(t, i) for t, i in self._seen_now if t.confirmed and dets.confidence[i] >= cfg.high_threshold]
        if not seen:
            return
        boxes = np.array([dets.xyxy[i] for _, i in seen], np.float64) * scale
        sizes = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        close = (iou_matrix(boxes, boxes) > 0).sum(axis=1) > 1  # touching another face: ids may swap
        # Faces in a crowd touch and part all the time: look again on a change, at most twice a second.
        touching = [
            bool(close[k]) != track.close and frame - track.embedded_at >= self.embed_frames // 2
            for k, (track, _) in enumerate(seen)
        ]
        due = [
            k
            for k, (track, _) in enumerate(seen)
            if sizes[k] >= cfg.quality.min_face
            and (
                track.embedded_at < 0
                or track.resumed
                or touching[k]
                or frame - track.embedded_at >= self._interval(track)
            )
        ]
        if not due:
            return
        started = time.perf_counter()
        image = self._image() if callable(self._image) else self._image
        marks = np.array([dets.landmarks[seen[k][1]] for k in due], np.float64) * scale
        embeddings = self.embedder.embed(image, boxes[due], marks, cfg.quality)
        self.embedded_faces += int(embeddings.trusted.sum())
        for row, k in enumerate(due):
            track = seen[k][0]
            track.embedded_at, track.resumed, track.close = frame, False, bool(close[k])
            if not embeddings.trusted[row]:
                continue
            vector = embeddings.vectors[row]
            recent = track.embeddings[-5:]
            if recent and float(np.max(np.asarray(recent) @ vector)) < cfg.split_similarity:
                self._split(track, frame, vector)
            else:
                track.embeddings.append(vector)
        self.identity_seconds += time.perf_counter() - started

    def _interval(self, track: Track) -> int:
        """Frames until a steadily tracked face is looked at again: ``embed_seconds``, then twice as long
        after each look, up to 8x."""
        return int(self.embed_frames * 2 ** min(3, max(0, len(track.embeddings) - 1)))

    def _split(self, track: Track, frame: int, vector: np.ndarray) -> None:
        """``track`` just took another person's face: it ends before this sighting, which starts a new,
        tentative track (confirmed like any other after a few sightings; a one-frame mix-up gets no id)."""
        _, box, score, marks = track.pop_sighting()
        self._active.remove(track)
        self._finished.append(track)
        # The new track moves with the scene, not with the old one: that was following someone else.
        successor = self._new_track(frame, box, score, marks)
        successor.embeddings.append(vector)
        successor.embedded_at = frame

    def _retire(self, frame: int) -> None:
        """Forget tracks lost for longer than the buffer; keep the confirmed ones for the output."""
        still: list[Track] = []
        for track in self._active:
            if frame - track.last_frame > self.lost_frames:
                if track.confirmed:
                    self._finished.append(track)
            elif not track.confirmed and track.last_frame != frame:
                continue  # a tentative track that missed once was noise
            else:
                still.append(track)
        self._active = still

    # -- output --------------------------------------------------------------------------------------

    def _expand(self, track: Track, track_id: int, n_frames: int) -> Detections:
        """A track's sightings plus filled frames: short gaps, hidden stretches, frames no detector saw.

        Boxes are interpolated inside a shot and held across a cut: frames before the cut keep the box
        seen before it, frames after it the box seen after it (no box slides from one shot to the next).
        """
        frames = np.asarray(track.frames, np.int64)
        boxes = np.asarray(track.boxes, np.float64)
        scores = np.asarray(track.scores, np.float64)
        marks = np.asarray(track.marks, np.float64).reshape(-1, 10)
        values = np.concatenate([boxes, scores[:, None], marks], axis=1)
        cuts = np.asarray(sorted(self.cuts), np.int64)
        gaps = np.diff(frames) - 1
        # The first cut after each sighting (n_frames when none): a gap crosses a cut when it is in it.
        bounds = np.append(cuts, n_frames)
        next_cut = bounds[np.searchsorted(cuts, frames, side="right")]
        crosses = next_cut[:-1] <= frames[1:]
        # A face that reappears where it vanished was hidden, not gone: cover it for the whole gap.
        stayed = np.array([iou_matrix(boxes[i : i + 1], boxes[i + 1 : i + 2])[0, 0] >= 0.3
                           for i in range(len(gaps))], bool)  # fmt: skip
        limit = np.where(stayed & ~crosses, self.occlusion_frames, self.fill_frames)
        fill = np.flatnonzero((gaps > 0) & (gaps <= limit))
        extra_frames = [np.arange(frames[i] + 1, frames[i + 1]) for i in fill]
        undetected = self.detect_every - 1  # frames between two detector runs
        # Frames after the last sighting that no detector looked at (detect-every-N) keep the last box,
        # up to the end of the video or of its shot.
        cut_soon = next_cut[-1] < n_frames and next_cut[-1] - frames[-1] - 1 <= undetected
        if frames[-1] == self._last_detected_frame or cut_soon:
            extra_frames.append(np.arange(frames[-1] + 1, min(n_frames, self._frame + 1, int(next_cut[-1]))))
        # A face first seen just after a cut was there from the cut on (the frames between were not seen).
        before = cuts[cuts <= frames[0]]
        if len(before) and 0 < frames[0] - before[-1] <= undetected:
            extra_frames.append(np.arange(before[-1], frames[0]))
        all_frames = np.unique(np.concatenate([frames, *extra_frames])) if extra_frames else frames
        # np.interp per column: exact at sightings, linear in gaps, flat outside the sightings.
        filled = np.stack(
            [np.interp(all_frames, frames, values[:, c]) for c in range(values.shape[1])], axis=1
        )
        for i in np.flatnonzero(crosses[fill] if len(fill) else []):
            gap = fill[i]
            held = (all_frames > frames[gap]) & (all_frames < frames[gap + 1])
            filled[held & (all_frames < next_cut[gap])] = values[gap]
            filled[held & (all_frames >= next_cut[gap])] = values[gap + 1]
        return Detections(
            filled[:, :4],
            filled[:, 4],
            filled[:, 5:].reshape(-1, 5, 2),
            frame_index=all_frames,
            track_id=np.full(len(all_frames), track_id),
            observed=np.isin(all_frames, frames),
        )
