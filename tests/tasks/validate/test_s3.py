"""The gate on an object-store lake: a moto S3 server on 127.0.0.1 (its own process), configured only
through AWS_* variables. Publish, quarantine, the validations table and the data docs all land in S3."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from tasks.lake.store import Lake
from tasks.validate import quarantine
from tasks.validate.docs_assets import DOCS_VENDOR, remote_resources, vendored_files
from tasks.validate.gate import audit_and_publish
from tasks.validate.results_table import table_uri as validations_uri
from tasks.validate.revalidate import revalidate
from tasks.validate.suites import SUITE_TABLES
from tests.support.servers import use_s3
from tests.support.validate_batches import good_batch

BUCKET = "gate"


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return use_s3(monkeypatch, s3_endpoint, BUCKET)


def test_gate_quarantine_validations_and_docs_on_s3(s3: Any) -> None:
    lake = Lake.resolve(f"s3://{BUCKET}/lake")
    good = good_batch("s3 good")
    assert audit_and_publish(lake, good).success
    broken = good_batch("s3 broken")
    broken.tables["face_events"] = broken.tables["face_events"].with_columns(pl.col("x") + 1)
    outcome = audit_and_publish(lake, broken)
    assert not outcome.success and "face_events: x_in_0_1" in outcome.failed

    opts = lake.storage_options
    published = pl.read_delta(lake.table_uri("videos"), storage_options=opts)
    assert published["video_id"].to_list() == [good.video_id]
    assert quarantine.quarantined_video_ids(lake) == [broken.video_id]
    quarantined = pl.read_delta(quarantine.quarantine_uri(lake, "face_events"), storage_options=opts)
    assert quarantined.height == broken.tables["face_events"].height
    validations = pl.read_delta(validations_uri(lake), storage_options=opts)
    assert set(validations["video_id"]) == {good.video_id, broken.video_id}

    report = revalidate(lake)
    assert [o.success for o in report.outcomes] == [True]
    assert report.docs_index == f"s3://{BUCKET}/lake/docs/index.html"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="lake/docs/")["Contents"]]
    assert "lake/docs/index.html" in keys
    pages = [k for k in keys if k.startswith("lake/docs/validations/") and k.endswith(".html")]
    assert len(pages) == len(SUITE_TABLES)  # one page per suite
    vendored = {f"lake/docs/{DOCS_VENDOR}/{name}" for name in vendored_files()}
    assert vendored <= set(keys)  # the offline assets travel with the docs
    index = s3.get_object(Bucket=BUCKET, Key="lake/docs/index.html")["Body"].read().decode()
    assert remote_resources(index) == [] and f'src="{DOCS_VENDOR}/jquery-3.7.1/' in index
