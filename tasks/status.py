"""The words facetrack uses for what became of a video and of a run: in the lake, the CLI and the UI."""

from __future__ import annotations

from enum import StrEnum


class VideoStatus(StrEnum):
    """What became of one video. A ``videos`` row exists only for ``PUBLISHED``."""

    PUBLISHED = "published"  # validated and committed to every table
    QUARANTINED = "quarantined"  # refused by the validation gate; its rows sit in <lake>/quarantine
    FAILED = "failed"  # bad input, or the lake could not be written
    SKIPPED = "skipped"  # an inbox file whose content is already published, or taken by another run


class RunStatus(StrEnum):
    """The ``runs`` row's status: how many of the run's videos were published."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every video published
    PARTIAL = "partial"  # some published
    FAILED = "failed"  # none published, or the run itself crashed
