"""gate: write, audit, publish for one video: validate, then publish or quarantine, and record it all.

This is the one call the pipeline makes between normalize and the lake. A passing batch is published
(``tasks.publish.publish_batch``: one Delta commit per table); a failing one never touches the published
tables: its rows and JSON go to ``<lake>/quarantine/`` instead. Either way the per-expectation results
are appended to ``<lake>/validations`` first, so the record exists even if the publish then fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tasks.lake import Lake
from tasks.quarantine import as_lake, quarantine_batch
from tasks.validate import ValidationOutcome, validate_batch
from tasks.validations_table import append_validations

if TYPE_CHECKING:
    from tasks.batch import VideoBatch

Publisher = Callable[[Lake, "VideoBatch"], Any]


def audit_and_publish(
    lake: Lake | str | os.PathLike[str],
    batch: VideoBatch,
    publish: Publisher | None = None,
    *,
    storage_options: dict[str, str] | None = None,
    keep_for_docs: bool = False,
) -> ValidationOutcome:
    """Validate ``batch``; publish it if it passes, quarantine it if not. Never raises on bad data.

    Returns the outcome: ``outcome.success`` says which way it went, ``outcome.reason`` is the one line to
    record in ``runs``/``videos`` for a refused video, ``outcome.raise_for_failure()`` turns it into the
    CLI's error. ``publish`` defaults to ``tasks.publish.publish_batch``.
    """
    lake = as_lake(lake, storage_options)
    outcome = validate_batch(batch, keep_for_docs=keep_for_docs)
    append_validations(lake, outcome.results)
    if outcome.success:
        if publish is None:
            from tasks.publish import publish_batch

            publish = publish_batch
        publish(lake, batch)
    else:
        quarantine_batch(lake, batch, outcome)
    return outcome
