"""``facetrack run`` on real videos: engine → JSON → normalize → gate → lake, and back to the JSON."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import polars as pl
import pytest

from flows.cli import main
from tasks.document.rebuild import document_from_rows
from tasks.lake import schema as lake_schema
from tests.support.media import write_video


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    faces = write_video(folder / "faces.mp4", frames=30)
    bad = folder / "notes.mp4"
    bad.write_text("this is not a video")
    return {"faces": faces, "bad": str(bad)}


def counts(root: str) -> dict[str, int]:
    return {t: pl.read_delta(os.path.join(root, t)).height for t in lake_schema.PUBLISH_ORDER}


@pytest.mark.slow
def test_run_fills_the_lake_and_the_lake_gives_back_the_json(media, tmp_path, capsys):
    root = str(tmp_path / "lake")
    code = main(["run", media["faces"], media["bad"], "--lake", root])
    out, err = capsys.readouterr()

    assert code == 2  # the bad file's exit code; the good videos are published regardless
    assert out.count(": published ") == 1
    assert "notes.mp4: failed: notes.mp4: not a readable video" not in err  # name said once
    assert "notes.mp4: failed: not a readable video" in err  # "name: status: reason", as every line
    assert "1 of 2 videos not published" in err

    videos = pl.read_delta(os.path.join(root, "videos"))
    assert videos["file_name"].to_list() == ["faces.mp4"]
    with open(media["faces"], "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() in videos["video_id"].to_list()
    faces_row = videos.filter(pl.col("file_name") == "faces.mp4").row(0, named=True)
    assert faces_row["event_count"] > 0 and faces_row["faces_detected"] >= 1
    assert faces_row["model_sha256"]
    name = f"faces.{faces_row['video_id'][:12]}.faces.json"  # two clip.mp4s never share a JSON
    assert faces_row["json_path"] == os.path.join(root, "json", name)

    events = pl.read_delta(os.path.join(root, "face_events")).filter(
        pl.col("video_id") == faces_row["video_id"]
    )
    with open(faces_row["json_path"]) as handle:
        assert document_from_rows(faces_row, events) == json.load(handle)

    runs = pl.read_delta(os.path.join(root, "runs")).row(0, named=True)
    outcome = (runs["status"], runs["videos_total"], runs["videos_published"], runs["videos_failed"])
    assert outcome == ("partial", 2, 1, 1)
    assert runs["finished_at"] is not None and "notes.mp4" in runs["error"]

    # the gate's record is queryable next to the lake tables
    assert main(["sql", "SELECT count(*) AS n FROM validations", "--lake", root, "-f", "csv"]) == 0
    assert int(capsys.readouterr().out.splitlines()[1]) > 0

    before = counts(root)
    copy = tmp_path / "renamed.mp4"
    shutil.copy(media["faces"], copy)  # same bytes, other name: the same video
    assert main(["run", str(copy), "--lake", root, "--json-dir", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert counts(root) == before
    renamed = pl.read_delta(os.path.join(root, "videos")).filter(pl.col("video_id") == faces_row["video_id"])
    assert renamed["file_name"].to_list() == ["renamed.mp4"]
    assert os.path.exists(tmp_path / "out" / "renamed.faces.json")
    assert pl.read_delta(os.path.join(root, "runs")).height == 2


def test_bad_input_alone_is_one_line_and_writes_no_video(media, tmp_path, capsys):
    root = str(tmp_path / "lake")
    assert main(["run", media["bad"], "--lake", root]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable video" in err
    assert pl.read_delta(os.path.join(root, "videos")).height == 0
    assert not os.path.exists(os.path.join(root, "json"))


def test_an_unwritable_lake_fails_before_any_decoding(media, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", media["faces"], "--lake", str(blocker / "lake")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("facetrack: error: faces.mp4: lake ")  # whose run it was, then the lake's line
    assert "cannot write" in err and err.count("\n") == 1


def test_help_says_where_the_lake_and_the_json_go(capsys):
    """Help texts keep what they say in brackets (rich markup would swallow [...])."""
    assert main(["run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "FACETRACK_LAKE" in out and "./facetrack-data/lake" in out and "<lake>/json" in out
