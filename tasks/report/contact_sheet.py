"""contact_sheet: a frame every few seconds with every box and id drawn on it.

The gallery shows who; the sheet shows where, and whether the boxes sit on the faces: a box off the
face, a face without a box, or two people under one id is seen at a glance. The frames are spread evenly
over the video, drawn upright (as a player shows them) and scaled down before drawing, so lines and
labels stay readable at the page's size.
"""

from __future__ import annotations

import numpy as np

from models import Detections
from tasks.report.html import esc, jpeg_data_uri
from tasks.report.palette import colour_bgr

SHEET_FRAMES = 10
SHEET_WIDTH = 320  # px: the long side of each frame on the page
JPEG_QUALITY = 80


def sheet_slots(grid_frames: int, count: int = SHEET_FRAMES) -> list[int]:
    """``count`` slots spread evenly, each the middle of its share of the video (not the first frame,
    which is often black or a fade)."""
    count = max(0, min(count, grid_frames))
    return sorted({int((i + 0.5) * grid_frames / count) for i in range(count)})


def upright_boxes(xyxy: np.ndarray, width: int, height: int, turns: int) -> np.ndarray:
    """Stored-frame boxes on the picture ``np.rot90(stored, turns)`` shows (what a player displays)."""
    boxes = np.asarray(xyxy, np.float64).reshape(-1, 4)
    if not turns % 4:
        return boxes
    corners = np.concatenate([boxes[:, :2], boxes[:, 2:]])
    x, y = corners[:, 0], corners[:, 1]
    if turns % 4 == 1:
        moved = np.stack([y, width - x], axis=1)
    elif turns % 4 == 2:
        moved = np.stack([width - x, height - y], axis=1)
    else:
        moved = np.stack([height - y, x], axis=1)
    n = len(boxes)
    return np.concatenate([np.minimum(moved[:n], moved[n:]), np.maximum(moved[:n], moved[n:])], axis=1)


def annotated_jpeg(image: np.ndarray, boxes: Detections, turns: int) -> bytes:
    """The frame upright and scaled to ``SHEET_WIDTH``, each box drawn in its id's colour with the id."""
    import cv2

    height, width = image.shape[:2]
    shown = np.ascontiguousarray(np.rot90(image, turns)) if turns else image
    scale = SHEET_WIDTH / max(shown.shape[:2])
    if scale < 1:
        size = (max(1, round(shown.shape[1] * scale)), max(1, round(shown.shape[0] * scale)))
        shown = cv2.resize(shown, size, interpolation=cv2.INTER_AREA)
    else:
        scale, shown = 1.0, shown.copy()
    for box, face in zip(
        upright_boxes(boxes.xyxy, width, height, turns) * scale, boxes.track_id, strict=True
    ):
        colour = colour_bgr(int(face))
        x0, y0, x1, y1 = (round(float(v)) for v in box)
        cv2.rectangle(shown, (x0, y0), (x1, y1), colour, 2)
        label = str(int(face))
        (text_w, text_h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        top = max(0, y0 - text_h - 4)
        cv2.rectangle(shown, (x0, top), (x0 + text_w + 4, top + text_h + 4), colour, -1)
        cv2.putText(shown, label, (x0 + 2, top + text_h + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)  # fmt: skip
    ok, encoded = cv2.imencode(".jpg", shown, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any non-empty BGR array
        raise ValueError("JPEG encoding failed")
    return bytes(encoded.tobytes())


def contact_sheet_html(frames: list[tuple[int, bytes, list[int]]], frame_rate: float) -> str:
    """The sheet: each frame with its time and the ids on it; ``frames`` is (slot, JPEG, ids)."""
    if not frames:
        return '<p class="note">No video to take frames from.</p>'
    figures = []
    for slot, jpeg, ids in frames:
        caption = f"{slot / frame_rate:.2f} s (frame {slot})" + (
            f": id {', '.join(map(str, ids))}" if ids else ": no face"
        )
        figures.append(
            f'<figure class="frame"><img class="sheet-frame" alt="{esc(caption)}" '
            f'src="{jpeg_data_uri(jpeg)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
    return f'<div class="sheet">{"".join(figures)}</div>'
