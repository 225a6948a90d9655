"""``facetrack validate``: re-validates what is published, records it, rebuilds the data docs, and
reports a published video that no longer passes with exit code 1 and one line."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from flows.cli import main
from tasks.lake import schema as lake_schema
from tasks.lake.store import Lake
from tasks.validate.gate import audit_and_publish
from tasks.validate.results_table import table_uri as validations_uri
from tasks.validate.suites import SUITE_TABLES
from tests.support.validate_batches import good_batch

SEEDS = ("cli one", "cli two")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    for seed in SEEDS:
        assert audit_and_publish(lake, good_batch(seed)).success
    return lake


def versions(lake: Lake) -> dict[str, int]:
    return {t: DeltaTable(lake.table_uri(t)).version() for t in lake_schema.VIDEO_TABLES}


def revalidation_rows(lake: Lake) -> pl.DataFrame:
    return pl.read_delta(validations_uri(lake)).filter(pl.col("run_id").str.starts_with("revalidate-"))


def test_validate_passes_records_results_and_builds_docs(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    before = versions(lake)
    assert main(["validate", "--lake", lake.root]) == 0
    out = capsys.readouterr().out
    assert "validated 2 video(s)" in out and "2 passed, 0 failed" in out
    index = Path(lake.root) / "docs" / "index.html"
    assert index.exists()
    html = index.read_text()
    for table in SUITE_TABLES:
        assert table in html
    rendered = list((Path(lake.root) / "docs" / "validations").rglob("*.html"))
    assert len(rendered) == 2 * len(SUITE_TABLES)  # one page per video per suite
    rows = revalidation_rows(lake)
    assert set(rows["video_id"]) == {good_batch(s).video_id for s in SEEDS}
    assert rows["success"].all()
    assert versions(lake) == before  # re-validation never writes the published tables


def test_validate_one_video_by_prefix(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    video_id = good_batch(SEEDS[1]).video_id
    assert main(["validate", "--lake", lake.root, "--video-id", video_id[:8], "--no-docs"]) == 0
    out = capsys.readouterr().out
    assert f"ok     {video_id[:12]}" in out and "validated 1 video(s)" in out


def test_published_data_that_now_fails_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    for seed in SEEDS:
        assert audit_and_publish(lake, good_batch(seed)).success
    broken = good_batch(SEEDS[0]).video_id
    # Damage a published row behind the gate's back, as a manual fix or another writer might.
    DeltaTable(lake.table_uri("face_events")).update(
        predicate=f"video_id = '{broken}' AND frame_index = 3", updates={"x": "1.3"}
    )
    before = versions(lake)
    assert main(["validate", "--lake", lake.root, "--no-docs"]) == 1
    captured = capsys.readouterr()
    assert f"FAILED {broken[:12]}" in captured.out and "face_events: x_in_0_1" in captured.out
    assert captured.err.strip().count("\n") == 0
    assert captured.err.startswith("facetrack: error: 1 of 2 published video(s) fail the current suites")
    assert versions(lake) == before  # reported, not unpublished
    failed = revalidation_rows(lake).filter(~pl.col("success"))
    assert set(failed["video_id"]) == {broken}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--video-id", "0123456789"], "video 0123456789: not a published video in this lake"),
        (["--video-id", "01"], "video 01: not a published video in this lake"),
    ],
)
def test_unknown_video_is_one_line_and_writes_nothing(
    lake: Lake, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows_before = pl.read_delta(validations_uri(lake)).height
    assert main(["validate", "--lake", lake.root, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"facetrack: error: {message}") and err.count("\n") == 1
    assert pl.read_delta(validations_uri(lake)).height == rows_before


def test_lake_without_tables_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--lake", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"facetrack: error: no published videos: the lake at {tmp_path / 'empty'} has no 'videos' table\n"
    )
    assert not os.path.exists(tmp_path / "empty")
