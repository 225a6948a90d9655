"""gate: write, audit, publish for one video: validate, then publish or quarantine, and record it all.

A passing batch is published (``tasks.lake.publish.publish_batch``: one Delta commit per table); a failing
one never touches the published tables: its rows and JSON go to ``<lake>/quarantine/`` instead. Either way
the per-expectation results are appended to ``<lake>/validations`` first, so the record exists even if
the publish then fails. The pipeline runs ``audit`` and the publish as two steps (two Prefect tasks);
``audit_and_publish`` is both at once, for replays and the Python API.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tasks.lake.batch import VideoBatch
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake
from tasks.validate.check import ValidationOutcome, validate_batch, validate_record
from tasks.validate.quarantine import load_quarantined_batch, quarantine_batch, release
from tasks.validate.results_table import append_validations

if TYPE_CHECKING:
    import polars as pl

Publisher = Callable[[Lake, VideoBatch], Any]
AnyLake = Lake | str | os.PathLike[str]


def audit(lake: Lake, batch: VideoBatch, *, keep_for_docs: bool = False) -> ValidationOutcome:
    """Validate ``batch``, record every expectation's result, quarantine it if it failed; never raises on
    bad data (``outcome.success`` says which way it went, ``outcome.reason`` is the one line to record)."""
    outcome = validate_batch(batch, keep_for_docs=keep_for_docs)
    append_validations(lake, outcome.results)
    if not outcome.success:
        quarantine_batch(lake, batch, outcome)
    return outcome


def audit_record(lake: Lake, table: str, rows: pl.DataFrame, video_id: str, run_id: str) -> ValidationOutcome:
    """Validate the rows of a record table (``redactions``) and record every expectation's result; the
    caller writes the rows only if ``outcome.success``."""
    outcome = validate_record(table, rows, video_id, run_id)
    append_validations(lake, outcome.results)
    return outcome


def audit_and_publish(
    lake: AnyLake,
    batch: VideoBatch,
    publish: Publisher | None = None,
    *,
    storage_options: dict[str, str] | None = None,
    keep_for_docs: bool = False,
) -> ValidationOutcome:
    """``audit`` the batch, then publish it if it passed (``publish`` defaults to ``publish_batch``).

    ``outcome.raise_for_failure()`` turns a refusal into the CLI's error.
    """
    store = Lake.of(lake, storage_options)
    outcome = audit(store, batch, keep_for_docs=keep_for_docs)
    if outcome.success:
        (publish or publish_batch)(store, batch)
    return outcome


def replay_quarantined(
    lake: AnyLake,
    video_id: str,
    publish: Publisher | None = None,
    storage_options: dict[str, str] | None = None,
) -> ValidationOutcome:
    """Re-validate a quarantined batch with the current suites; publish and release it if it passes.

    The usual fix is to the suites (a rule was too strict) or to the data written by hand into the
    quarantine tables; a fix to the engine or normalizer is replayed by re-running the video instead.
    """
    store = Lake.of(lake, storage_options)
    batch = load_quarantined_batch(store, video_id)
    outcome = audit_and_publish(store, batch, publish)
    if outcome.success:
        release(store, video_id)
    return outcome
