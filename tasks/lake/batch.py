"""VideoBatch: one video's normalized rows for every table, the unit that is validated and published.

Normalize builds it, the validation gate judges it, publish commits it. Keeping it one object makes
"write, audit, publish" literal: nothing reaches a published table except a batch that passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


@dataclass
class VideoBatch:
    video_id: str  # SHA-256 of the file bytes
    tables: dict[str, pl.DataFrame]  # one frame per table of ``schema.VIDEO_TABLES``
    document: dict[str, Any]  # the per-video JSON, as written
    json_path: str | None = None
    run_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
