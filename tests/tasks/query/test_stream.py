"""``facetrack sql`` streams (issue 13 item 6): every engine hands out record batches, every format writes
them as they come in bounded writes, a big `table` shows its first rows and counts the rest; and the
smaller sql faults of item 8 (a missing lake directory, an S3 lake without credentials)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from tasks.errors import LakeError, QueryError
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake
from tasks.query import render, sql
from tests.support.lake_synth import synthetic_batch
from tests.support.shared import ROOT

ROWS = 40_000
BATCH = 1_000


@pytest.fixture(scope="module")
def lake_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = str(tmp_path_factory.mktemp("stream") / "lake")
    lake = Lake.resolve(root)
    for seed in range(4):
        publish_batch(lake, synthetic_batch(seed, frames=300, faces=3))
    return root


def _batches(
    count: int = ROWS // BATCH, rows: int = BATCH, seen: list[int] | None = None
) -> Iterator[pa.RecordBatch]:
    """Fresh batches, built on demand; ``seen`` gets Arrow's allocated bytes as each one is made, so a
    consumer that keeps what it was given shows up as growth."""
    for index in range(count):
        if seen is not None:
            seen.append(pa.total_allocated_bytes())
        start = index * rows
        yield pa.record_batch(
            {
                "n": pa.array(range(start, start + rows), pa.int64()),
                "x": pa.array([i / 7 for i in range(start, start + rows)], pa.float64()),
                "name": pa.array([f"row-{i:08d}" * 8 for i in range(start, start + rows)]),
            }
        )


def _reader(seen: list[int] | None = None, **kwargs: int) -> pa.RecordBatchReader:
    first = next(_batches(1, 1))
    return pa.RecordBatchReader.from_batches(first.schema, _batches(seen=seen, **kwargs))


class _Writes(io.StringIO):
    """A text stream that records the size of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, text: str) -> int:
        self.sizes.append(len(text))
        return super().write(text)


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "parquet"])
def test_every_format_consumes_the_stream_without_keeping_it(tmp_path, fmt) -> None:
    """Arrow memory while the stream is written stays within a few batches, not the whole result."""
    seen: list[int] = []
    output = str(tmp_path / f"out.{fmt}") if fmt == "parquet" else os.devnull
    rows = render.stream_result(_reader(seen), fmt, output)
    assert rows == ROWS
    batch_bytes = next(_batches(1)).nbytes
    assert max(seen) - seen[0] < 8 * batch_bytes, (max(seen) - seen[0], batch_bytes)
    if fmt == "parquet":
        assert pq.read_metadata(output).num_rows == ROWS


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_is_written_in_bounded_chunks(monkeypatch, fmt) -> None:
    """No single write holds the result (one 2 GiB write was cut off at exactly 2 GiB)."""
    monkeypatch.setattr(render, "CHUNK_ROWS", 500)
    out = _Writes()
    assert render.stream_result(_reader(), fmt, out=out) == ROWS
    assert len(out.sizes) > ROWS // 500
    assert max(out.sizes) < 500 * 200  # ~110 bytes a row
    text = out.getvalue()
    if fmt == "json":
        assert json.loads(text) == pa.Table.from_batches(list(_batches())).to_pylist()
    else:
        parsed = list(csv.DictReader(io.StringIO(text)))
        assert len(parsed) == ROWS and parsed[-1]["n"] == str(ROWS - 1)


def test_a_big_table_shows_its_first_rows_and_counts_the_rest() -> None:
    out = io.StringIO()
    assert render.stream_result(_reader(), "table", out=out, table_rows=25) == ROWS
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 + 25 + 1
    assert lines[2].split()[0] == "0" and lines[26].split()[0] == "24"
    assert lines[-1].startswith(f"(first 25 of {ROWS:,} rows; {ROWS - 25:,} more not shown")


def test_a_small_table_is_shown_whole() -> None:
    out = io.StringIO()
    assert render.stream_result(_reader(count=2, rows=3), "table", out=out) == 6
    assert out.getvalue().splitlines()[-1] == "(6 rows)"


def test_csv_and_json_keep_their_conventions() -> None:
    """Minimal quoting, NULL as an empty field / null, ISO-8601 timestamps, lists as JSON in CSV."""
    moment = datetime(2026, 1, 31, 12, 0, 0, 250000, tzinfo=UTC)
    table = pa.table(
        {
            "name": ["plain", "a,b", 'say "hi"', "two\nlines", None],
            "n": [1, None, 3, 4, 5],
            "ok": [True, False, None, True, False],
            "at": pa.array([moment, None, moment, moment, moment], pa.timestamp("us", tz="UTC")),
            "tags": [[1, 2], [], None, [3], [4]],
            "conf": pa.array([0.5, 0.25, 1.0, 0.1, None], pa.float32()),
        }
    )
    text = render.render_csv(table)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "n", "ok", "at", "tags", "conf"]
    assert [r[0] for r in rows[1:]] == ["plain", "a,b", 'say "hi"', "two\nlines", ""]
    assert rows[1] == ["plain", "1", "true", moment.isoformat(), "[1, 2]", "0.5"]
    assert rows[2][1] == "" and rows[3][2] == "" and rows[3][4] == ""
    assert text.splitlines()[1] == f'plain,1,true,{moment.isoformat()},"[1, 2]",0.5'
    decoded = json.loads(render.render_json(table))
    assert decoded[0] == {
        "name": "plain",
        "n": 1,
        "ok": True,
        "at": moment.isoformat(),
        "tags": [1, 2],
        "conf": 0.5,
    }
    assert decoded[1]["n"] is None and decoded[4]["conf"] is None and decoded[3]["name"] == "two\nlines"
    assert render.render_json(table.slice(0, 0)) == "[]\n"


@pytest.mark.parametrize("engine", ["datafusion", "duckdb", "polars"])
def test_every_engine_hands_out_batches(lake_root, monkeypatch, engine) -> None:
    monkeypatch.setattr(sql, "BATCH_ROWS", 256)
    lake = Lake.resolve(lake_root)
    total = sql.run_sql(lake, "SELECT count(*) AS n FROM face_events").to_pylist()[0]["n"]
    reader = sql.stream_sql(lake, "SELECT * FROM face_events", engine)
    assert isinstance(reader, pa.RecordBatchReader)
    sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == total > 1000
    assert len(sizes) > 1 and max(sizes) <= max(8192, 256), sizes


def test_an_engine_error_in_mid_stream_is_one_query_error() -> None:
    schema = pa.schema([("n", pa.int64())])

    def failing() -> Iterator[pa.RecordBatch]:
        yield pa.record_batch([pa.array([1])], schema=schema)
        raise RuntimeError("Arrow error: something broke\n  LINE 1: ^^^")

    reader = sql._guarded(pa.RecordBatchReader.from_batches(schema, failing()))
    assert reader.read_next_batch().num_rows == 1
    with pytest.raises(QueryError, match="something broke"):
        reader.read_next_batch()


def test_the_cli_streams_to_a_file_and_says_how_many_rows(lake_root, capsys, tmp_path) -> None:
    target = tmp_path / "events.json"
    code = main(["sql", "SELECT * FROM face_events", "--lake", lake_root, "-f", "json", "-o", str(target)])
    err = capsys.readouterr().err
    assert code == 0, err
    events = json.loads(target.read_text())
    assert err == f"{len(events)} rows -> {target}\n" and len(events) > 1000


def test_a_closed_pipe_ends_quietly(lake_root) -> None:
    """`facetrack sql ... | head -1`: the reader leaves early; no traceback, exit 0."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))",
            "sql",
            "SELECT * FROM face_events",
            "--lake",
            lake_root,
            "-f",
            "csv",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().startswith(b"video_id,")
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_a_missing_lake_directory_fails_even_for_a_query_naming_no_table(tmp_path, capsys) -> None:
    missing = str(tmp_path / "nowhere")
    assert main(["sql", "SELECT 1", "--lake", missing]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"facetrack: error: no lake at {missing}")
    with pytest.raises(LakeError, match="no lake at"):
        sql.run_sql(Lake.resolve(missing), "SELECT 1")


def test_an_unreachable_store_is_named_by_its_cause() -> None:
    lake = Lake("s3://bucket/lake")
    error = OSError(
        "Operation not supported\n  ↳ an error occurred while loading credentials\n  ↳ request forbidden"
    )
    message = sql.unreachable_message(lake, error)
    assert "credentials" in message and "no lake at" not in message and "\n" not in message
    other = sql.unreachable_message(lake, OSError("Generic S3 error\n  ↳ dns error"))
    assert other == "cannot read the lake at s3://bucket/lake: Generic S3 error: dns error"


def test_an_s3_lake_without_credentials_says_so_in_one_line(tmp_path) -> None:
    """No ``WARN aws_config … IMDS`` lines, and "credentials", not "no lake at"."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),  # no ~/.aws
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9",  # IMDS answers at once: refused
        "AWS_REGION": "us-east-1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))",
            "sql",
            "SELECT * FROM videos",
            "--lake",
            "s3://facetrack-no-such-bucket/lake",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "WARN" not in done.stderr and "credentials" in done.stderr and "no lake at" not in done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_a_full_disk_is_one_line_and_exit_2(lake_root, capsys, fmt) -> None:
    code = main(["sql", "SELECT * FROM face_events", "--lake", lake_root, "-f", fmt, "-o", "/dev/full"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == "facetrack: error: /dev/full: no space left on device\n"
