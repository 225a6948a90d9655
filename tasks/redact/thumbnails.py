"""thumbnails: one picture per face id (Azure Media Redactor's Analyze mode), to tell who is who.

A user picks the ids to redact (or to spare) by looking at faces, not at numbers. Each id's thumbnail is
its best sighting: the largest box the detector really saw, times its confidence, as the lake's ``faces``
table picks it; cropped with a margin, written as ``<stem>_thumb%06d.jpg`` where the number is the id.
The frames are taken in one decoding pass that converts only the frames it needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from models import Detections
from tasks.video.decode import FrameClock, decoder_threading, display_turns, upright
from tasks.video.encode import partial_path
from tasks.video.probe import VideoInfo

THUMBNAIL_MARGIN = 0.4  # of the face's size, on every side
JPEG_QUALITY = 90


@dataclass(frozen=True)
class Sighting:
    face_id: int
    slot: int  # frame slot on the grid
    box: np.ndarray  # xyxy, stored-frame pixels


def best_sightings(tracks: Detections) -> list[Sighting]:
    """Each id's largest observed box, weighted by its confidence (interpolated boxes never count)."""
    seen = tracks[tracks.observed] if tracks.observed.any() else tracks
    score = seen.widths * seen.heights * seen.confidence
    out = []
    for face in np.unique(seen.track_id):
        rows = np.flatnonzero(seen.track_id == face)
        best = rows[int(np.argmax(score[rows]))]
        out.append(Sighting(int(face), int(seen.frame_index[best]), seen.xyxy[best].astype(np.float64)))
    return out


def write_thumbnails(info: VideoInfo, tracks: Detections, directory: str | os.PathLike[str]) -> list[str]:
    """One JPEG per face id of ``tracks`` (stored-frame boxes on the frame grid) into ``directory``,
    shown upright; returns the paths, by id."""
    import av
    import cv2

    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    stem = os.path.splitext(os.path.basename(info.path))[0]
    wanted: dict[int, list[Sighting]] = {}
    for sighting in best_sightings(tracks):
        wanted.setdefault(sighting.slot, []).append(sighting)
    written: dict[int, str] = {}
    turns = display_turns(info.rotation)
    clock = FrameClock(info)  # slots mapped as detection mapped them, repaired timestamps included
    with av.open(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = decoder_threading(info)
        for frame in container.decode(stream):
            for sighting in wanted.pop(clock.slot(frame.pts, frame.dts), []):
                image = frame.to_ndarray(format="bgr24")
                crop = crop_thumbnail(image, sighting.box, turns)
                path = os.path.join(directory, f"{stem}_thumb{sighting.face_id:06d}.jpg")
                partial = partial_path(path)
                cv2.imwrite(partial, crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                os.replace(partial, path)
                written[sighting.face_id] = path
            if not wanted:
                break
    return [written[face] for face in sorted(written)]


def crop_thumbnail(image: np.ndarray, box: np.ndarray, turns: int = 0) -> np.ndarray:
    """One sighting's thumbnail: its box and the margin cut from a stored-orientation frame, shown upright.

    Public so a caller that keeps thumbnails in memory (the report embeds them) crops exactly as the
    files are cropped.
    """
    return upright(_crop(image, box), turns)


def _crop(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    size = max(box[2] - box[0], box[3] - box[1])
    grow = size * THUMBNAIL_MARGIN
    x0, y0 = max(0, int(box[0] - grow)), max(0, int(box[1] - grow))
    x1, y1 = min(width, int(np.ceil(box[2] + grow))), min(height, int(np.ceil(box[3] + grow)))
    return np.ascontiguousarray(image[y0:y1, x0:x1])
