"""faces: the JSON a redaction follows, checked against the contract and against the video it is for.

A hand-edited Face Detector JSON is the point of Azure's two-step workflow (analyze, correct, redact),
so it is read back exactly as written; but a JSON made for another video would hide the wrong pixels, so
its size, frame rate and frame count must match the video's: a mismatch is one line, and nothing is
written.
"""

from __future__ import annotations

import os
from typing import Any

from tasks.document.contract import load_checked_document
from tasks.errors import BadInputError
from tasks.video.probe import VideoInfo

FRAME_COUNT_SLACK = 2  # frames: containers round their declared count; a different video differs by more


def document_frames(document: dict[str, Any]) -> int:
    """Frames the document covers: its fragments' total duration over one frame's ticks."""
    ticks_per_frame = float(document["timescale"]) / float(document["framerate"])
    total = sum(float(fragment["duration"]) for fragment in document["fragments"])
    return round(total / ticks_per_frame)


def faces_for_video(path: str | os.PathLike[str], info: VideoInfo) -> dict[str, Any]:
    """Read and check ``path`` (a per-video JSON) for the video ``info``; ``BadInputError`` if it is not
    this video's."""
    document = load_checked_document(path)
    name, video = os.path.basename(os.fspath(path)), os.path.basename(info.path)
    if (int(document["width"]), int(document["height"])) != (info.width, info.height):
        raise BadInputError(
            f"{name}: made for a {document['width']}x{document['height']} video, "
            f"{video} is {info.width}x{info.height}"
        )
    if abs(float(document["framerate"]) - info.fps) > 0.01:
        raise BadInputError(f"{name}: made for {document['framerate']} fps, {video} is {info.fps:.3f} fps")
    frames = document_frames(document)
    if abs(frames - info.frame_count) > FRAME_COUNT_SLACK:
        raise BadInputError(f"{name}: covers {frames} frames, {video} has {info.frame_count}")
    return document
