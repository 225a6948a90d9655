"""validate: the Great Expectations gate between normalize and publish (placeholder until issue 4 lands).

Interface the pipeline relies on: ``validate_batch(batch) -> ValidationOutcome``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from tasks.batch import VideoBatch


@dataclass
class ValidationOutcome:
    success: bool
    failed: list[str] = field(default_factory=list)  # names of the failed expectations, "table: expectation"
    results: pl.DataFrame | None = None  # rows for the `validations` table
    seconds: float = 0.0


def validate_batch(batch: VideoBatch) -> ValidationOutcome:
    """Placeholder: accepts every batch. Replaced by the GX gate."""
    return ValidationOutcome(success=True)
