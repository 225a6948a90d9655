"""Every table is written with ZSTD (the README says so), and the gate's own tables are created with the
same table properties as the rest (checkpoints every 20 commits, retention)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq
from deltalake import DeltaTable

from tasks.lake.publish import publish_batch
from tasks.lake.runs import write_run_row
from tasks.lake.store import TABLE_PROPERTIES, Lake
from tasks.validate.check import ValidationOutcome
from tasks.validate.quarantine import quarantine_batch, quarantine_uri
from tasks.validate.results_table import (
    Stamp,
    append_validations,
    rows_from_contract,
    table_uri,
    to_frame,
)
from tests.support.lake_synth import synthetic_batch

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def compressions(uri: str) -> set[str]:
    """The codec of every column chunk of every data file of the table's current version."""
    found = set()
    for name in DeltaTable(uri).file_uris():
        metadata = pq.ParquetFile(name).metadata
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            found |= {row_group.column(c).compression for c in range(row_group.num_columns)}
    return found


def test_runs_validations_and_quarantine_are_zstd_with_the_lake_properties(tmp_path: Any) -> None:
    lake = Lake(str(tmp_path / "lake"))
    row = {
        "run_id": "run-1", "started_at": NOW, "finished_at": None, "status": "running",
        "videos_total": 1, "videos_published": 0, "videos_failed": 0, "videos_quarantined": 0,
        "frames_decoded": 0, "elapsed_seconds": None, "frames_per_second": None, "error": None,
        "hostname": "worker-1", "facetrack_version": "test",
    }  # fmt: skip
    write_run_row(lake, row)
    write_run_row(lake, {**row, "status": "succeeded", "finished_at": NOW})  # the replace, too
    batch = synthetic_batch(0)
    stamp = Stamp("run-1", batch.video_id, NOW, "1.0")
    append_validations(lake, to_frame(rows_from_contract([], stamp)))
    append_validations(lake, to_frame(rows_from_contract([], stamp)))
    outcome = ValidationOutcome(success=False, failed=["videos: x"], validated_at=NOW)
    quarantine_batch(lake, batch, outcome)
    publish_batch(lake, synthetic_batch(1))

    uris = {
        "runs": lake.table_uri("runs"),
        "validations": table_uri(lake),
        "quarantine_videos": quarantine_uri(lake, "videos"),
        "quarantine_documents": quarantine_uri(lake, "documents"),
        "videos": lake.table_uri("videos"),
        "face_events": lake.table_uri("face_events"),
    }
    for table, uri in uris.items():
        assert os.path.isdir(uri), table
        assert compressions(uri) == {"ZSTD"}, table
        assert DeltaTable(uri).metadata().configuration == TABLE_PROPERTIES, table
    assert DeltaTable(uris["validations"]).count() == 2 * len(rows_from_contract([], stamp))
