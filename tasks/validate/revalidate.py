"""revalidate: run the gate again over what is already published, and rebuild the data docs.

Suites change (a rule is added, a bound tightened) and data already in the lake was judged by the old
ones. Re-validation reads each published video (through its ``videos`` row, as every reader should),
rebuilds its batch and its JSON from the rows, and runs the same ``validate_batch`` the pipeline runs,
so "published" and "re-validated" mean the same checks. It only reports: a published video that now
fails stays published (removing data is a decision for a person, not a side effect of a check). Its
results are appended to ``validations`` and rendered as GX data docs under ``<lake>/docs/``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tasks.document.rebuild import document_from_rows
from tasks.errors import BadInputError, LakeError, first_line
from tasks.lake import schema as lake_schema
from tasks.lake.batch import VideoBatch
from tasks.lake.commit import video_filters
from tasks.lake.published import published_video_ids
from tasks.lake.store import Lake, arrow_filesystem
from tasks.validate.check import ValidationOutcome, validate_batch
from tasks.validate.results_table import append_validations
from tasks.validate.suites import gx_runtime

if TYPE_CHECKING:
    import polars as pl

DOCS_DIR = "docs"
MIN_ID_PREFIX = 6


@dataclass
class Revalidation:
    run_id: str
    outcomes: list[ValidationOutcome] = field(default_factory=list)
    docs_index: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[ValidationOutcome]:
        return [o for o in self.outcomes if not o.success]


def docs_location(lake: Lake) -> str:
    return lake.path(DOCS_DIR)


def select_videos(published: list[str], wanted: list[str] | None) -> list[str]:
    """The published ids matching ``wanted`` (full ids or unique prefixes of 6+ characters)."""
    if not wanted:
        return published
    chosen = []
    for key in wanted:
        key = key.strip().lower()
        matches = [v for v in published if v.startswith(key)] if len(key) >= MIN_ID_PREFIX else []
        if key in published:
            matches = [key]
        if not matches:
            raise BadInputError(
                f"video {key}: not a published video in this lake (give its id or its first 6+ hex digits)"
            )
        if len(matches) > 1:
            raise BadInputError(f"video {key}: prefix matches {len(matches)} videos; give more digits")
        chosen.append(matches[0])
    return list(dict.fromkeys(chosen))


class PublishedRows:
    """Reads one video's rows from each published table, pruning by partition and video_id.

    A table the lake does not have yet (it was made before the table existed, and nothing has been
    published since) reads as no rows: re-validation never writes, so it does not create the table.
    """

    def __init__(self, lake: Lake) -> None:
        from tasks.lake.migrate import require_current_layout

        require_current_layout(lake)  # old column names would read as nulls: one line instead
        self.tables = {table: lake.open(table) for table in lake_schema.VIDEO_TABLES if lake.exists(table)}

    def batch(self, video_id: str, run_id: str) -> VideoBatch:
        import polars as pl

        tables: dict[str, pl.DataFrame] = {}
        for name in lake_schema.VIDEO_TABLES:
            table = self.tables.get(name)
            if table is None:
                tables[name] = lake_schema.declared_columns(None, name)
                continue
            frame = pl.from_arrow(table.to_pyarrow_table(filters=video_filters(name, video_id)))
            assert isinstance(frame, pl.DataFrame)
            tables[name] = lake_schema.declared_columns(frame, name)
        videos = tables["videos"]
        document = (
            document_from_rows(videos.row(0, named=True), tables["face_events"]) if videos.height else {}
        )
        return VideoBatch(
            video_id=video_id,
            tables=tables,
            document=document,
            json_path=videos["json_path"][0] if videos.height else None,
            run_id=run_id,
        )


def revalidate(
    lake: Lake,
    video_ids: list[str] | None = None,
    *,
    run_id: str | None = None,
    build_docs: bool = True,
    progress: Callable[[ValidationOutcome], None] | None = None,
) -> Revalidation:
    """Re-validate published videos (all, or those named), record the results, rebuild the docs."""
    import time

    import polars as pl

    started = time.perf_counter()
    if not lake.exists("videos"):
        raise LakeError(f"no published videos: the lake at {lake.root} has no 'videos' table")
    chosen = select_videos(sorted(published_video_ids(lake)), video_ids)
    report = Revalidation(run_id or f"revalidate-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    runtime = gx_runtime()
    runtime.forget_results()  # the docs show this re-validation only
    rows = PublishedRows(lake)
    for video_id in chosen:
        outcome = validate_batch(rows.batch(video_id, report.run_id), keep_for_docs=build_docs)
        report.outcomes.append(outcome)
        if progress:
            progress(outcome)
    results = [o.results for o in report.outcomes if o.results is not None]
    if results:
        append_validations(lake, pl.concat(results))  # one commit for the whole re-validation
    if build_docs:
        report.docs_index = build_data_docs(lake)
    report.seconds = time.perf_counter() - started
    return report


def build_data_docs(lake: Lake) -> str:
    """Render GX data docs of the results this process kept into ``<lake>/docs/``; return the index.

    A local lake gets them in place. For an object-store lake they are rendered into a temporary
    directory and uploaded with pyarrow's filesystem (configured from the lake's storage options), since
    GX's own S3 backend would need boto3 at run time. The upload is the whole local tree, so the vendored
    scripts and styles the pages now link to (``static/vendor/``, see ``docs_assets``) travel with them.
    """
    runtime = gx_runtime()
    target = docs_location(lake)
    try:
        if not lake.is_remote:
            index = runtime.build_docs(target)
        else:
            with tempfile.TemporaryDirectory(prefix="facetrack-docs-") as local:
                runtime.build_docs(local)
                _upload_tree(lake, local, target)
            index = f"{target}/index.html"
    except OSError as exc:
        raise LakeError(f"cannot write data docs to {target}: {exc.strerror or first_line(exc)}") from None
    finally:
        runtime.forget_results()
    return index


def _upload_tree(lake: Lake, local: str, target: str) -> None:
    import pyarrow.fs as pafs

    remote, path = arrow_filesystem(target, lake.storage_options)
    pafs.copy_files(local, path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=remote)
