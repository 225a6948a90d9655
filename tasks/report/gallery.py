"""gallery: one thumbnail per face id with its numbers, the first thing a reviewer looks at.

Is each id one person, and is each person one id? A row of faces answers that faster than any table.
The thumbnail is the id's best sighting, cropped exactly as ``facetrack detect --thumbnails`` crops it
(``tasks.redact.thumbnails``), but kept in memory and embedded in the page.
"""

from __future__ import annotations

import numpy as np

from tasks.redact.thumbnails import crop_thumbnail
from tasks.report.facts import FaceSummary
from tasks.report.html import esc, jpeg_data_uri
from tasks.report.palette import colour_hex

THUMB_HEIGHT = 150  # pixels: the gallery's cards are 150 px wide; larger would only weigh down the page
JPEG_QUALITY = 85


def thumbnail_jpeg(image: np.ndarray, box: np.ndarray, turns: int) -> bytes:
    """The sighting's crop, upright, scaled down to the gallery's size, as JPEG bytes."""
    import cv2

    crop = crop_thumbnail(image, box, turns)
    height, width = crop.shape[:2]
    if max(height, width) > THUMB_HEIGHT:
        scale = THUMB_HEIGHT / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any non-empty BGR array
        raise ValueError("JPEG encoding failed")
    return bytes(encoded.tobytes())


def face_card(face: FaceSummary, jpeg: bytes | None) -> str:
    """One id: its picture (or why there is none) and first/last time, screen time, frames, confidence."""
    if jpeg is not None:
        picture = f'<img class="thumb" alt="face {face.face_id}" src="{jpeg_data_uri(jpeg)}">'
    else:
        picture = '<div class="noimg">no video to crop from</div>'
    confidence = "n/a" if face.mean_confidence is None else f"{face.mean_confidence:.3f}"
    rows = [
        ("first", f"{face.first_seconds:.2f} s"),
        ("last", f"{face.last_seconds:.2f} s"),
        ("on screen", f"{face.screen_seconds:.2f} s"),
        ("frames", str(face.frames_seen)),
        ("confidence", confidence),
    ]
    numbers = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return (
        f'<div class="face" id="face-{face.face_id}" style="border-color:{colour_hex(face.face_id)}">'
        f'{picture}<div class="id">id {face.face_id}</div><dl>{numbers}</dl></div>'
    )


def gallery_html(faces: list[FaceSummary], thumbnails: dict[int, bytes]) -> str:
    if not faces:
        return '<p class="note">No face was found in this video.</p>'
    cards = "".join(face_card(face, thumbnails.get(face.face_id)) for face in faces)
    return f'<div class="gallery">{cards}</div>'
