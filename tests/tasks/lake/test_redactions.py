"""``run --redact``: the redacted copy beside the JSON (on disk and in an object store), its row in the
``redactions`` table after the GX gate, and the gate refusing a broken row (recorded, not written)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tasks import pipeline
from tasks.detect.detect_track import detect_track
from tasks.errors import ValidationFailed
from tasks.lake.redactions import redaction_rows
from tasks.lake.store import Lake
from tasks.redact.video import RedactionResult, RedactOptions
from tasks.settings import DetectorSettings
from tasks.status import VideoStatus
from tasks.validate.check import validate_record
from tasks.validate.results_table import table_uri as validations_uri
from tasks.validate.suites import load_suite_file
from tests.support.servers import use_s3

VIDEO_ID = "ab" * 32
SCHEMA_KINDS = {
    "expect_table_columns_to_match_ordered_list",
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_not_be_null",
}


def good_rows(**changes: Any) -> pl.DataFrame:
    result = RedactionResult("/videos/a.redacted.mp4", frames=50, masked_frames=20, seconds=1.5,
                             copied_streams=1, size_bytes=12345)  # fmt: skip
    rows = redaction_rows(
        VIDEO_ID, "/videos/a.redacted.mp4", result, RedactOptions(), [0, 2], True, 0.25, "r1"
    )
    return rows.with_columns(
        **{name: pl.lit(value, dtype=rows.schema[name]) for name, value in changes.items()}
    )


# One broken row per value rule of expectations/redactions.json: the names it must fail, and only those.
BROKEN: dict[str, tuple[dict[str, Any], set[str]]] = {
    "an unknown blur": ({"blur": "smudge"}, {"blur_is_known"}),
    "an unknown shape": ({"shape": "star"}, {"shape_is_known"}),
    "a margin out of range": ({"margin": 3.0}, {"margin_in_0_2"}),
    "a crf out of range": ({"crf": 99}, {"crf_in_0_63"}),
    "no frames": ({"frames": 0, "masked_frames": 0}, {"frames_at_least_1"}),
    "more masked than written": ({"masked_frames": 51}, {"masked_frames_at_most_frames"}),
    "negative masked frames": ({"masked_frames": -1}, {"masked_frames_at_least_0"}),
    "an empty file": ({"size_bytes": 0}, {"size_bytes_positive"}),
    "negative time": ({"seconds": -1.0}, {"seconds_at_least_0"}),
    "a relative output": ({"output_uri": "a.redacted.mp4"}, {"output_uri_absolute"}),
    "a video id that is no hash": ({"video_id": "AB" * 32}, {"video_id_is_sha256_hex"}),
}


def test_a_good_row_passes_and_each_broken_row_fails_exactly_its_rule() -> None:
    assert validate_record("redactions", good_rows(), VIDEO_ID, "r1").success
    for case, (changes, names) in BROKEN.items():
        outcome = validate_record("redactions", good_rows(**changes), VIDEO_ID, "r1")
        assert set(outcome.failed) == {f"redactions: {name}" for name in names}, case
    twice = pl.concat([good_rows(), good_rows()])
    assert validate_record("redactions", twice, VIDEO_ID, "r1").failed == ["redactions: one_row_per_output"]
    empty = good_rows().clear()
    assert "redactions: at_least_one_redaction" in validate_record("redactions", empty, VIDEO_ID, "r1").failed


def test_every_value_rule_of_the_suite_has_a_broken_row() -> None:
    covered = set().union(*(names for _, names in BROKEN.values())) | {
        "one_row_per_output",
        "at_least_one_redaction",
    }
    for expectation in load_suite_file("redactions")["expectations"]:
        if expectation["type"] not in SCHEMA_KINDS:
            assert expectation["meta"]["name"] in covered, expectation["meta"]["name"]


def test_a_refused_row_is_recorded_in_validations_and_not_written(tmp_path: Path) -> None:
    lake = Lake.resolve(str(tmp_path / "lake"))
    lake.ensure_tables()
    with pytest.raises(ValidationFailed, match="crf_in_0_63"):
        pipeline.record_redaction_step(lake, good_rows(crf=99), VIDEO_ID, "r1")
    assert pl.read_delta(lake.table_uri("redactions")).height == 0
    validations = pl.read_delta(validations_uri(lake)).filter(pl.col("suite") == "redactions")
    assert validations.filter(~pl.col("success"))["expectation"].to_list() == ["crf_in_0_63"]


@pytest.mark.slow
def test_run_redact_writes_the_copy_beside_the_json_and_records_it(clip: str, tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    run = pipeline.run_videos([clip], lake, redact=RedactOptions(blur="black"))
    (outcome,) = run.videos
    assert outcome.status == VideoStatus.PUBLISHED, outcome.error
    assert outcome.redacted_path == outcome.json_path.removesuffix(".faces.json") + ".redacted.mp4"
    assert os.path.dirname(outcome.redacted_path) == os.path.join(lake, "json")

    (row,) = pl.read_delta(os.path.join(lake, "redactions")).to_dicts()
    assert row["video_id"] == outcome.video_id and row["output_uri"] == outcome.redacted_path
    assert row["blur"] == "black" and row["all_faces"] and row["run_id"] == run.run_id
    assert row["frames"] == outcome.frames and 0 < row["masked_frames"] <= row["frames"]
    assert row["size_bytes"] == os.path.getsize(outcome.redacted_path)
    faces = pl.read_delta(os.path.join(lake, "faces")).filter(pl.col("video_id") == outcome.video_id)
    assert row["face_ids"] == sorted(faces["face_id"].to_list())
    gate = pl.read_delta(os.path.join(lake, "validations")).filter(pl.col("suite") == "redactions")
    assert gate.height == len(load_suite_file("redactions")["expectations"]) and gate["success"].all()

    assert detect_track(outcome.redacted_path, DetectorSettings()).faces_detected == 0  # the faces are gone

    again = pipeline.run_videos([clip], lake, redact=RedactOptions(blur="black"))  # replaced, not added
    assert again.videos[0].status == VideoStatus.PUBLISHED
    assert pl.read_delta(os.path.join(lake, "redactions"))["run_id"].to_list() == [again.run_id]


@pytest.mark.slow
def test_run_redact_on_an_object_store_lake_uploads_the_copy(
    clip: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = use_s3(monkeypatch, s3_endpoint, "redacted")
    run = pipeline.run_videos([clip], "s3://redacted/lake", redact=RedactOptions())
    (outcome,) = run.videos
    assert outcome.status == VideoStatus.PUBLISHED, outcome.error
    assert outcome.redacted_path.startswith("s3://redacted/lake/json/")
    key = outcome.redacted_path.removeprefix("s3://redacted/")
    head = s3.head_object(Bucket="redacted", Key=key)
    lake = Lake.resolve("s3://redacted/lake")
    (row,) = pl.read_delta(lake.table_uri("redactions"), storage_options=lake.storage_options).to_dicts()
    assert row["output_uri"] == outcome.redacted_path and row["size_bytes"] == head["ContentLength"]
