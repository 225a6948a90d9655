"""run: one redaction, the way a user asks for it: from a JSON (Redact) or detecting first (Combined)."""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

from tasks.document.rebuild import events_of
from tasks.errors import BadInputError
from tasks.redact.faces import document_frames, faces_for_video
from tasks.redact.masks import DEFAULT_MARGIN, masks_from_document
from tasks.redact.video import Progress, RedactionResult, RedactOptions, check_codec, redact_video
from tasks.settings import DetectorSettings
from tasks.video.probe import VideoInfo, probe


def redact(
    video: str | os.PathLike[str],
    output: str | os.PathLike[str],
    faces: str | os.PathLike[str] | None = None,
    only: Collection[int] | None = None,
    keep: Collection[int] = (),
    margin: float = DEFAULT_MARGIN,
    options: RedactOptions | None = None,
    settings: DetectorSettings | None = None,
    progress: Progress | None = None,
) -> tuple[RedactionResult, dict[str, Any]]:
    """Hide the faces of ``video`` in ``output``; return what was written and the JSON it followed.

    With ``faces`` the masks come from that JSON (checked against the contract and this video); without,
    the video is analysed first with ``settings``. ``only`` redacts just those ids; ``keep`` spares them.
    """
    if not 0 <= margin <= 2:
        raise BadInputError(f"--margin must be between 0 and 2, got {margin}")
    if os.path.abspath(os.fspath(output)) == os.path.abspath(os.fspath(video)):
        raise BadInputError(f"{output}: the output would overwrite the video itself")
    check_codec((options or RedactOptions()).codec)
    info = probe(video)
    if faces is not None:
        document = faces_for_video(faces, info)
    else:
        from tasks.detect.detect_track import detect_track
        from tasks.document.build import build_document

        document = build_document(detect_track(video, settings, info=info))
    return redact_document(info, document, output, only, keep, margin, options, progress), document


def redact_document(
    info: VideoInfo,
    document: dict[str, Any],
    output: str | os.PathLike[str],
    only: Collection[int] | None = None,
    keep: Collection[int] = (),
    margin: float = DEFAULT_MARGIN,
    options: RedactOptions | None = None,
    progress: Progress | None = None,
) -> RedactionResult:
    """Hide the faces of ``document`` (already checked against the video of ``info``) in ``output``."""
    known = set(events_of(document)["face_id"].tolist())
    unknown = sorted((set(only or ()) | set(keep)) - known)
    if unknown:
        raise BadInputError(f"face ids {', '.join(map(str, unknown))} are not in the video's JSON")
    masks = masks_from_document(document, margin, only, keep, document_frames(document))
    return redact_video(info, masks, output, options, progress)
