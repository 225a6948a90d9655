"""The lake on S3: a real moto S3 server on 127.0.0.1 (its own process), configured only through AWS_*.

The server runs in a separate process, not a thread: delta-rs holds the GIL while it waits on S3, so a
server thread in the test process would never get to answer.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from tasks.errors import LakeError
from tasks.lake import schema as lake_schema
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake, storage_options_from_env, write_object
from tasks.query.sql import run_sql
from tests.support.lake_synth import synthetic_batch

BUCKET = "faces"


@pytest.fixture
def s3_env(s3_endpoint, monkeypatch):
    import boto3

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": s3_endpoint,  # the AWS CLI's variable; the lake maps it for delta-rs
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    if BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
        client.create_bucket(Bucket=BUCKET)
    return client


def test_storage_options_come_from_the_environment():
    options = storage_options_from_env(
        {
            "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL_S3": "http://minio:9000",
            "FACETRACK_STORAGE_OPTIONS": '{"AWS_S3_ALLOW_UNSAFE_RENAME": "true"}',
        }
    )
    assert options == {
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://minio:9000",
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
    with pytest.raises(LakeError, match="FACETRACK_STORAGE_OPTIONS"):
        storage_options_from_env({"FACETRACK_STORAGE_OPTIONS": "not json"})


@pytest.mark.slow
def test_publish_query_and_republish_on_s3(s3_env, monkeypatch):
    monkeypatch.setenv("FACETRACK_LAKE", f"s3://{BUCKET}/lake")
    lake = Lake.resolve()  # from FACETRACK_LAKE
    assert lake.root == f"s3://{BUCKET}/lake" and lake.is_remote
    batches = [synthetic_batch(seed) for seed in range(2)]
    for batch in batches:
        publish_batch(lake, batch)
    publish_batch(lake, synthetic_batch(0))  # idempotent on S3 too

    for table in lake_schema.PUBLISH_ORDER:
        frame = pl.read_delta(lake.table_uri(table), storage_options=lake.storage_options)
        assert frame.height == sum(b.tables[table].height for b in batches), table
    answer = run_sql(
        lake, "SELECT count(*) AS n FROM videos v JOIN face_events e USING (video_id)", engine="duckdb"
    )
    assert answer.to_pylist() == [{"n": sum(b.tables["face_events"].height for b in batches)}]
    assert run_sql(lake, "SELECT count(*) AS n FROM videos", as_of=1).to_pylist() == [{"n": 1}]

    keys = {o["Key"] for o in s3_env.list_objects_v2(Bucket=BUCKET, Prefix="lake/")["Contents"]}
    assert "lake/videos/_delta_log/00000000000000000000.json" in keys
    assert any(k.startswith("lake/face_events/video_bucket=") and k.endswith(".parquet") for k in keys)

    uri = write_object(f"{lake.json_dir}/v.faces.json", json.dumps(batches[0].document), lake.storage_options)
    body = s3_env.get_object(Bucket=BUCKET, Key="lake/json/v.faces.json")["Body"].read()
    assert uri.endswith("/json/v.faces.json") and json.loads(body) == batches[0].document


@pytest.mark.slow
def test_a_missing_bucket_is_one_clear_error(s3_env):
    with pytest.raises(LakeError) as failed:
        publish_batch(Lake.resolve("s3://no-such-bucket/lake"), synthetic_batch(0))
    assert "\n" not in str(failed.value) and "no-such-bucket" in str(failed.value)
