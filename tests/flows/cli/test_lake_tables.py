"""``facetrack lake tables``: one row per table with its rows, version, files, size and description."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from flows.cli import main
from tasks.lake import schema as lake_schema
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake
from tasks.validate.gate import audit_and_publish
from tests.support.lake_synth import synthetic_batch
from tests.support.validate_batches import good_batch


def test_lists_every_table_with_its_row_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = Lake.resolve(tmp_path / "lake")
    assert audit_and_publish(lake, good_batch("tables")).success
    batch = synthetic_batch(1, frames=40)
    publish_batch(lake, batch)

    assert main(["lake", "tables", "--lake", lake.root, "--format", "csv"]) == 0
    rows = {row["table"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert set(rows) == {*lake_schema.SCHEMAS, "validations"}
    assert rows["videos"]["rows"] == "2"
    expected_events = 0
    for name in ("face_events", "faces", "fragments"):
        expected = lake.open(name).to_pyarrow_table().num_rows
        assert int(rows[name]["rows"]) == expected, name
        expected_events += expected if name == "face_events" else 0
    assert expected_events >= batch.tables["face_events"].height
    assert int(rows["validations"]["rows"]) > 0
    assert rows["videos"]["description"] == lake_schema.TABLE_DESCRIPTIONS["videos"]
    assert int(rows["videos"]["version"]) >= 2 and int(rows["videos"]["files"]) >= 1
    assert int(rows["videos"]["size_bytes"]) > 0

    assert main(["lake", "tables", "--lake", lake.root]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split("|")[0].strip() == "table"
    assert "face_events" in table and "video_sources" in table


def test_no_lake_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lake", "tables", "--lake", str(tmp_path / "none")]) == 2  # LakeError
    err = capsys.readouterr().err
    assert "no lake at" in err and err.count("\n") == 1
