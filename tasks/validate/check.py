"""check: the Great Expectations gate between normalize and publish (write, audit, publish).

``validate_batch(batch)`` judges one video's rows before anything is committed: the per-video JSON
against the contract (``tasks.document.contract``), then each table's rows, with the audit columns of
``tasks.validate.audit_views``, against its suite in ``expectations/``. The batch passes only if every
expectation of every suite holds. The verdict comes with one row per expectation for the lake's
``validations`` table, so a pass is as well documented as a failure.

The gate never raises on bad data (a broken batch is an outcome, not an error); what to do with a
failing batch (quarantine it, mark the video failed) is ``tasks.validate.gate``'s job.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tasks.document.contract import violations as contract_violations
from tasks.errors import ValidationFailed
from tasks.validate.audit_views import audit_views
from tasks.validate.results_table import CONTRACT_SUITE, Stamp, rows_from_contract, rows_from_gx, to_frame
from tasks.validate.suites import SUITE_TABLES, gx_runtime

if TYPE_CHECKING:
    import polars as pl

    from tasks.lake.batch import VideoBatch

MAX_NAMES_IN_REASON = 5


@dataclass
class ValidationOutcome:
    success: bool
    failed: list[str] = field(default_factory=list)  # names of the failed expectations, "table: expectation"
    results: pl.DataFrame | None = None  # rows for the `validations` table
    seconds: float = 0.0
    video_id: str = ""
    run_id: str = ""
    validated_at: datetime | None = None
    gx_seconds: float = 0.0  # of ``seconds``, the part spent inside GX checkpoint runs

    @property
    def reason(self) -> str:
        """One line for logs, the runs table and the quarantine: how many and which expectations failed."""
        if self.success:
            return "passed"
        shown = ", ".join(self.failed[:MAX_NAMES_IN_REASON])
        hidden = len(self.failed) - MAX_NAMES_IN_REASON
        more = f" and {hidden} more" if hidden > 0 else ""
        return f"failed {len(self.failed)} expectation(s): {shown}{more}"

    def raise_for_failure(self) -> None:
        """Turn a failed outcome into the CLI's one-line error (exit code 1)."""
        if not self.success:
            raise ValidationFailed(f"video {self.video_id[:12]}: validation {self.reason}; quarantined")


def validate_batch(batch: VideoBatch, *, keep_for_docs: bool = False) -> ValidationOutcome:
    """Validate one video's batch against the contract and every table's suite.

    The first call in a process imports GX and loads the suites (seconds); later calls cost only the
    validation itself. ``keep_for_docs`` keeps GX's own results in memory for ``build_data_docs``.
    """
    runtime = gx_runtime()
    started = time.perf_counter()
    validated_at = datetime.now(UTC)
    stamp = Stamp(batch.run_id, batch.video_id, validated_at, runtime.gx_version)
    violations = contract_violations(batch.document)
    rows = rows_from_contract(violations, stamp)
    broken_rules = dict.fromkeys(v.rule for v in violations)
    failed = [f"{CONTRACT_SUITE}: {rule}" for rule in broken_rules]

    views = audit_views(batch.tables)
    gx_started = time.perf_counter()
    run_name = _docs_run_name(batch)
    for table in SUITE_TABLES:
        result = runtime.run_suite(table, views[table], run_name=run_name, keep=keep_for_docs)
        table_rows = rows_from_gx(table, result, stamp)
        # GX returns results grouped by metric, not in suite order; the suite file's order puts the
        # schema checks (the usual root cause) first, which is the order a reader wants.
        position = runtime.order[table]
        table_rows.sort(key=lambda row: position.get(row["expectation"], len(position)))
        rows += table_rows
        failed += [f"{table}: {row['expectation']}" for row in table_rows if not row["success"]]
    gx_seconds = time.perf_counter() - gx_started
    return ValidationOutcome(
        success=not failed,
        failed=failed,
        results=to_frame(rows),
        seconds=time.perf_counter() - started,
        video_id=batch.video_id,
        run_id=batch.run_id,
        validated_at=validated_at,
        gx_seconds=gx_seconds,
    )


def validate_record(table: str, rows: pl.DataFrame, video_id: str, run_id: str) -> ValidationOutcome:
    """Validate rows of a record table (``RECORD_SUITES``: e.g. a redaction of a published video) against
    its suite, the same way a video's batch is: one ``validations`` row per expectation."""
    runtime = gx_runtime()
    started = time.perf_counter()
    validated_at = datetime.now(UTC)
    stamp = Stamp(run_id, video_id, validated_at, runtime.gx_version)
    result = runtime.run_suite(table, rows.to_pandas(), run_name=f"{video_id[:16]}_{table}")
    table_rows = rows_from_gx(table, result, stamp)
    position = runtime.order[table]
    table_rows.sort(key=lambda row: position.get(row["expectation"], len(position)))
    failed = [f"{table}: {row['expectation']}" for row in table_rows if not row["success"]]
    seconds = time.perf_counter() - started
    return ValidationOutcome(
        success=not failed, failed=failed, results=to_frame(table_rows), seconds=seconds,
        video_id=video_id, run_id=run_id, validated_at=validated_at, gx_seconds=seconds,
    )  # fmt: skip


def _docs_run_name(batch: VideoBatch) -> str:
    """The run name data docs file a result under: the video first (that is what a reader looks for),
    then the run; only URL-safe characters, since it becomes a path in the docs site (or an S3 key)."""
    safe_run = re.sub(r"[^A-Za-z0-9._-]+", "-", batch.run_id).strip("-")
    return f"{batch.video_id[:16]}_{safe_run}" if safe_run else batch.video_id[:16]
