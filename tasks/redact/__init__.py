"""redact: hide faces in a video, from its tracks (Azure Media Redactor's Combined and Redact modes),
and one thumbnail per face id to choose them by (its Analyze mode)."""

from tasks.redact.blur import BLURS, SHAPES
from tasks.redact.faces import faces_for_video
from tasks.redact.masks import FaceMasks, masks_from_document
from tasks.redact.run import redact, redact_document
from tasks.redact.thumbnails import best_sightings, write_thumbnails
from tasks.redact.video import RedactionResult, RedactOptions, default_output, redact_video

__all__ = [
    "BLURS",
    "SHAPES",
    "FaceMasks",
    "RedactOptions",
    "RedactionResult",
    "best_sightings",
    "default_output",
    "faces_for_video",
    "masks_from_document",
    "redact",
    "redact_document",
    "redact_video",
    "write_thumbnails",
]
