"""``facetrack sql`` end to end over a real lake: formats, time travel, errors, and filter pushdown."""

from __future__ import annotations

import csv
import io
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from flows.cli import main
from tasks.lake.publish import publish_batch
from tasks.lake.store import Lake
from tasks.settings import DetectorSettings
from tests.support.lake_synth import synthetic_batch

SEEDS = range(6)


@pytest.fixture(scope="module")
def lake_root(tmp_path_factory):
    """Six videos, then video 0 re-processed with other settings: two interesting versions to travel to."""
    root = str(tmp_path_factory.mktemp("sql") / "lake")
    lake = Lake.resolve(root)
    for seed in SEEDS:
        publish_batch(lake, synthetic_batch(seed, faces=2 + seed % 3))
    publish_batch(lake, synthetic_batch(0, faces=1, settings=DetectorSettings(threshold=0.9)))
    return root


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_table_is_registered_by_name(lake_root, capsys):
    tables = [("videos", 6), ("face_events", 100), ("faces", 6), ("fragments", 6), ("shots", 6), ("runs", 0)]
    for table, minimum in tables:
        code, out, _ = run_cli(
            capsys, "sql", f"SELECT count(*) AS n FROM {table}", "--lake", lake_root, "-f", "csv"
        )
        assert code == 0
        assert int(out.splitlines()[1]) >= minimum, table


def test_formats_agree(lake_root, capsys, tmp_path):
    query = (
        "SELECT v.file_name, count(DISTINCT f.face_id) AS faces, count(*) AS events "
        "FROM videos v JOIN face_events f USING (video_id) GROUP BY 1 ORDER BY 1"
    )
    _, table_out, _ = run_cli(capsys, "sql", query, "--lake", lake_root)
    _, csv_out, _ = run_cli(capsys, "sql", query, "--lake", lake_root, "--format", "csv")
    _, json_out, _ = run_cli(capsys, "sql", query, "--lake", lake_root, "--format", "json")
    target = tmp_path / "out.parquet"
    code, _, err = run_cli(
        capsys, "sql", query, "--lake", lake_root, "--format", "parquet", "-o", str(target)
    )
    assert code == 0 and "6 rows" in err

    from_csv = [
        {k: int(v) if k != "file_name" else v for k, v in r.items()}
        for r in csv.DictReader(io.StringIO(csv_out))
    ]
    assert from_csv == json.loads(json_out) == pq.read_table(target).to_pylist()
    assert len(from_csv) == 6 and from_csv[0] == {
        "file_name": "synthetic-0.mp4",
        "faces": 1,
        "events": from_csv[0]["events"],
    }
    assert table_out.splitlines()[0].split() == ["file_name", "|", "faces", "|", "events"]
    assert table_out.rstrip().endswith("(6 rows)")


def test_engines_return_the_same_answer(lake_root):
    from tasks.query.sql import run_sql

    query = (
        "SELECT video_id, count(*) AS n, max(confidence) AS top "
        "FROM face_events GROUP BY video_id ORDER BY video_id"
    )
    answers = [
        run_sql(Lake.resolve(lake_root), query, engine).to_pylist()
        for engine in ("duckdb", "polars", "datafusion")
    ]
    for answer in answers:
        assert [r["video_id"] for r in answer] == [r["video_id"] for r in answers[0]]
        assert [r["n"] for r in answer] == [r["n"] for r in answers[0]]


def test_time_travel_by_version_and_by_timestamp(lake_root, capsys):
    query = "SELECT faces_detected FROM videos WHERE file_name = 'synthetic-0.mp4'"
    _, now, _ = run_cli(capsys, "sql", query, "--lake", lake_root, "-f", "csv")
    assert now.splitlines()[1:] == ["1"]
    # videos v1 = the first publish; every other table is read as of that commit's time.
    count = "SELECT count(*) FROM videos v JOIN faces f USING (video_id)"
    _, then, _ = run_cli(capsys, "sql", count, "--lake", lake_root, "-f", "csv", "--as-of", "1")
    assert then.splitlines()[1:] == ["2"]
    _, then, _ = run_cli(capsys, "sql", query, "--lake", lake_root, "-f", "csv", "--as-of", "1")
    assert then.splitlines()[1:] == ["2"]

    dt = DeltaTable(os.path.join(lake_root, "videos"))
    first_commit = min(h["timestamp"] for h in dt.history() if h["version"] == 1)
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(first_commit / 1000 + 0.0005, tz=UTC).isoformat()
    _, then, _ = run_cli(
        capsys, "sql", "SELECT count(*) FROM videos", "--lake", lake_root, "-f", "csv", "--as-of", moment
    )
    assert then.splitlines()[1:] == ["1"]


@pytest.mark.parametrize(
    ("query", "as_of", "needle"),
    [
        ("SELECT nope FROM videos", None, "nope"),
        ("SELEC 1", None, "SELEC"),
        ("SELECT 1 FROM videos", "999", "versions 0.."),
        ("SELECT 1 FROM videos", "yesterday", "ISO timestamp"),
    ],
)
def test_errors_are_one_line_with_exit_code_1(lake_root, capsys, query, as_of, needle):
    args = ["sql", query, "--lake", lake_root] + (["--as-of", as_of] if as_of else [])
    code, out, err = run_cli(capsys, *args)
    assert code == 1 or (as_of == "999" and code == 2)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("facetrack: error: ")
    assert needle.lower() in err.lower()
    assert "Traceback" not in err


def test_a_missing_lake_is_one_clear_line(tmp_path, capsys):
    code, _, err = run_cli(capsys, "sql", "SELECT * FROM videos", "--lake", str(tmp_path / "nowhere"))
    assert code == 2 and "no lake at" in err and err.count("\n") == 1


@pytest.mark.parametrize("engine", ["duckdb", "polars", "datafusion"])
def test_a_one_video_query_does_not_read_other_videos_files(tmp_path, capsys, engine):
    """Proof of pushdown: every file that holds no row of the target video is destroyed, yet the query
    on the target video still answers correctly, while a full scan fails."""
    root = str(tmp_path / "lake")
    lake = Lake.resolve(root)
    batches = [synthetic_batch(seed) for seed in range(8)]
    for batch in batches:
        publish_batch(lake, batch)
    target = batches[3]
    actions = pa.table(DeltaTable(lake.table_uri("face_events")).get_add_actions(flatten=True)).to_pylist()
    destroyed = 0
    for action in actions:
        if not (action["min.video_id"] <= target.video_id <= action["max.video_id"]):
            path = os.path.join(lake.table_uri("face_events"), action["path"])
            size = os.path.getsize(path)
            with open(path, "wb") as handle:
                handle.write(b"\0" * size)
            destroyed += 1
    assert destroyed == len(actions) - 1

    one = f"SELECT count(*) AS n FROM face_events WHERE video_id = '{target.video_id}'"
    code, out, err = run_cli(capsys, "sql", one, "--lake", root, "-f", "csv", "--engine", engine)
    assert code == 0, err
    assert out.splitlines()[1:] == [str(target.tables["face_events"].height)]
    code, _, err = run_cli(
        capsys, "sql", "SELECT sum(x) FROM face_events", "--lake", root, "--engine", engine
    )
    assert code == 1 and err.startswith("facetrack: error:")
