"""suites: one Great Expectations context per process, with the suites of ``expectations/`` loaded.

Importing GX takes seconds and building a context, a datasource and a validation definition per table
takes more, so all of it happens once per process (``gx_runtime()`` is cached) and every video after the
first pays only for its own suite runs. The context is ephemeral (in memory): the suites' source of truth is
the reviewed JSON under ``expectations/``, the results' is the lake's ``validations`` table, and data docs
are rendered from this process's results on demand (``build_data_docs``). Nothing GX-specific is
written into the repository or the lake except those docs.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SUITE_TABLES = ("videos", "face_events", "faces", "fragments", "shots")  # a video's batch
RECORD_SUITES = ("redactions",)  # tables of records about a published video, validated one row at a time
DATASOURCE = "facetrack"
DOCS_SITE = "facetrack_lake_docs"
# BASIC keeps the unexpected count and up to 20 unexpected values per expectation: enough to see what
# went wrong. SUMMARY adds value counts and row indices and measured 40% slower per video.
RESULT_FORMAT = "BASIC"


def expectations_dir() -> Path:
    """The suites' directory: next to the package in a checkout, or force-included in the wheel."""
    override = os.environ.get("FACETRACK_EXPECTATIONS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "expectations"


def load_suite_file(table: str, directory: Path | None = None) -> dict[str, Any]:
    """The suite JSON of a table, as reviewed; the gate refuses to start without it."""
    from tasks.errors import FacetrackError

    path = (directory or expectations_dir()) / f"{table}.json"
    try:
        with open(path, encoding="utf-8") as handle:
            suite: dict[str, Any] = json.load(handle)
    except (OSError, ValueError) as exc:
        raise FacetrackError(f"expectation suite {path}: cannot be loaded ({exc})") from None
    if suite.get("name") != table:
        raise FacetrackError(f"{path}: suite name {suite.get('name')!r} must be the table name {table!r}")
    return suite


@dataclass
class GxRuntime:
    """The process's GX context, with one dataframe asset and validation definition per table."""

    context: Any
    definitions: dict[str, Any]  # table -> ValidationDefinition
    order: dict[str, dict[str, int]]  # table -> expectation name -> position in the suite file
    gx_version: str
    import_seconds: float
    setup_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run_suite(self, table: str, frame: pd.DataFrame, run_name: str, keep: bool = False) -> Any:
        """Validate one pandas view against the table's suite; return the GX suite validation result.

        With ``keep`` (for data docs) the run goes through the table's ValidationDefinition, which stores
        the result in the context's in-memory store. Without it the suite is validated on the batch
        directly: storing serializes the whole result (about a tenth of a run's cost, profiled) and a
        long-running worker would grow with every video. The lock serializes runs: the context and its
        stores are not documented as thread-safe.
        """
        from great_expectations.core.run_identifier import RunIdentifier

        definition = self.definitions[table]
        with self.lock:
            if keep:
                run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
                return definition.run(
                    batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT, run_id=run_id
                )
            batch = definition.batch_definition.get_batch(batch_parameters={"dataframe": frame})
            return batch.validate(definition.suite, result_format=RESULT_FORMAT)

    def forget_results(self) -> None:
        """Drop every kept result (after the docs were built from them)."""
        store = self.context.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)

    def build_docs(self, directory: str) -> str:
        """Render data docs for the suites and the kept results into a local directory; return index.html.

        The site is (re)registered for the directory asked for, so one process can build docs for
        several lakes. Results that are no longer kept disappear from the site: the docs show the last
        validation of what was kept, which is what ``facetrack validate`` wants. The pages are then made
        to work offline (``docs_assets.make_offline``: the CDN scripts and styles GX's templates load
        are copied into ``static/vendor/`` and linked relatively); what still needs the network is logged.
        """
        import logging

        from tasks.validate.docs_assets import make_offline

        with self.lock:
            config = {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": os.path.abspath(directory),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
            if DOCS_SITE in self.context.get_site_names():
                self.context.update_data_docs_site(DOCS_SITE, config)
            else:
                self.context.add_data_docs_site(DOCS_SITE, config)
            self.context.build_data_docs(site_names=[DOCS_SITE])
            offline = make_offline(directory)
        for page, urls in offline.still_online.items():
            logging.getLogger(__name__).warning("data docs %s still load from the network: %s", page, urls)
        return os.path.join(os.path.abspath(directory), "index.html")


def _make_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _add_suite(context: Any, suite_json: dict[str, Any]) -> Any:
    """A suite from its reviewed JSON, added to the (fresh) context, refusing a suite GX cannot read.

    GX's ExpectationSuite *drops* an expectation it cannot build (unknown type, bad argument) with only
    a log line; a typo in a suite file would silently weaken the gate. So every expectation is built
    here first, and a bad one stops the runtime from being built, naming the file's expectation.
    """
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from tasks.errors import FacetrackError

    name = suite_json.get("name")
    for position, item in enumerate(suite_json.get("expectations", [])):
        label = (item.get("meta") or {}).get("name") or f"#{position}"
        try:
            ExpectationConfiguration(**item).to_domain_obj()
        except Exception as exc:  # GX raises several unrelated types for a bad expectation
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FacetrackError(f"expectation suite '{name}', expectation {label}: {message}") from None
    suite = gx.ExpectationSuite(**suite_json)
    if len(suite.expectations) != len(suite_json.get("expectations", [])):  # belt and braces
        raise FacetrackError(f"expectation suite '{name}': GX dropped some of its expectations")
    return context.suites.add(suite)


def _build_runtime(directory: Path | None) -> GxRuntime:
    import time

    # GX asks a telemetry service unless told not to; this machine has no network and users may not want it.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    started = time.perf_counter()
    with warnings.catch_warnings():
        # GX's own import-time DeprecationWarnings (sre_constants, ...) are noise to facetrack's users.
        warnings.simplefilter("ignore", DeprecationWarning)
        import great_expectations as gx

    imported = time.perf_counter()
    context = _make_context()
    # get-or-update: re-adding a datasource by name raises, and add_or_update drops its assets, so the
    # datasource is created once here and its assets are only ever added to this fresh context.
    source = context.data_sources.add_or_update_pandas(DATASOURCE)
    definitions: dict[str, Any] = {}
    order: dict[str, dict[str, int]] = {}
    for table in (*SUITE_TABLES, *RECORD_SUITES):
        suite_json = load_suite_file(table, directory)
        order[table] = {e["meta"]["name"]: i for i, e in enumerate(suite_json["expectations"])}
        suite = _add_suite(context, suite_json)
        batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(table)
        definitions[table] = context.validation_definitions.add(
            gx.ValidationDefinition(name=table, data=batch, suite=suite)
        )
    return GxRuntime(
        context=context,
        definitions=definitions,
        order=order,
        gx_version=gx.__version__,
        import_seconds=imported - started,
        setup_seconds=time.perf_counter() - imported,
    )


_runtime_lock = threading.Lock()


@cache
def _cached_runtime(directory: str | None) -> GxRuntime:
    return _build_runtime(Path(directory) if directory else None)


def gx_runtime(directory: Path | None = None) -> GxRuntime:
    """The process-wide GX runtime, built on first use (import + context + suites, a few seconds)."""
    with _runtime_lock:
        return _cached_runtime(str(directory) if directory else None)


def warm_up() -> threading.Thread:
    """Build the runtime in a background thread, so the GX import overlaps work like decoding a video.

    A pipeline can call this when it starts; the first ``validate_batch`` then waits only for what is
    left of the import (``gx_runtime`` holds a lock while building), not for all of it.
    """
    thread = threading.Thread(target=gx_runtime, name="gx-warm-up", daemon=True)
    thread.start()
    return thread
