"""Lineage (``video_sources``): every file a video's content was seen as, kept across runs, on real
Delta tables; and one JSON per video in the lake's store whatever the copy is called."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from tasks.lake import schema as lake_schema
from tasks.lake.batch import VideoBatch
from tasks.lake.publish import delete_video, publish_batch
from tasks.lake.sources import merged, published_json_path, record_source, source_row, upsert_sources
from tasks.lake.store import Lake
from tasks.pipeline import json_location
from tests.support.lake_synth import synthetic_batch

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def sources(lake: Lake) -> pl.DataFrame:
    return pl.read_delta(lake.table_uri("video_sources")).sort("first_seen_at", "source_uri")


def as_copy(batch: VideoBatch, source_uri: str, run_id: str) -> VideoBatch:
    """The same content published from another file name (and run)."""
    videos = batch.tables["videos"].with_columns(
        pl.lit(source_uri).alias("source_uri"),
        pl.lit(source_uri.rsplit("/", 1)[-1]).alias("file_name"),
        pl.lit(run_id).alias("run_id"),
    )
    return replace(batch, tables={**batch.tables, "videos": videos})


def test_a_renamed_copy_adds_a_source_and_keeps_the_first(tmp_path: Path) -> None:
    lake = Lake.resolve(tmp_path / "lake")
    batch = synthetic_batch(0)
    publish_batch(lake, as_copy(batch, "/in/a.mp4", "run-1"))
    report = publish_batch(lake, as_copy(batch, "/in/b.mp4", "run-2"))

    assert [c.table for c in report.commits][-2:] == ["video_sources", "videos"]
    rows = sources(lake)
    assert rows["source_uri"].to_list() == ["/in/a.mp4", "/in/b.mp4"]
    assert rows["file_name"].to_list() == ["a.mp4", "b.mp4"]
    assert rows["run_id"].to_list() == ["run-1", "run-2"]
    assert set(rows["video_id"]) == {batch.video_id}
    videos = pl.read_delta(lake.table_uri("videos"))
    assert videos.height == 1 and videos["file_name"].item() == "b.mp4"  # the latest name, as before

    first = rows.filter(pl.col("source_uri") == "/in/a.mp4")["first_seen_at"].item()
    publish_batch(lake, as_copy(batch, "/in/a.mp4", "run-3"))  # the first name again: refreshed, not added
    again = sources(lake)
    assert again.height == 2
    a = again.filter(pl.col("source_uri") == "/in/a.mp4").row(0, named=True)
    assert a["first_seen_at"] == first and a["last_seen_at"] > first and a["run_id"] == "run-3"


def test_other_videos_sources_are_untouched_and_delete_removes_a_videos(tmp_path: Path) -> None:
    lake = Lake.resolve(tmp_path / "lake")
    keep, drop = synthetic_batch(0), synthetic_batch(1)
    publish_batch(lake, keep)
    publish_batch(lake, as_copy(drop, "/in/x.mp4", "r"))
    publish_batch(lake, as_copy(drop, "/in/y.mp4", "r"))
    assert sources(lake).group_by("video_id").len().sort("len")["len"].to_list() == [1, 2]
    delete_video(lake, drop.video_id)
    assert sources(lake)["video_id"].to_list() == [keep.video_id]


def test_record_source_for_a_skipped_duplicate(tmp_path: Path) -> None:
    lake = Lake.resolve(tmp_path / "lake")
    batch = synthetic_batch(0)
    publish_batch(lake, as_copy(batch, "/in/a.mp4", "run-1"))
    copy = tmp_path / "inbox" / "copy of a.mp4"
    copy.parent.mkdir()
    copy.write_bytes(b"x" * 1234)
    record_source(lake, batch.video_id, str(copy), "sweep-7")
    rows = sources(lake)
    assert rows.height == 2
    last = rows.row(1, named=True)
    assert (last["source_uri"], last["file_name"], last["size_bytes"], last["run_id"]) == (
        str(copy), "copy of a.mp4", 1234, "sweep-7",
    )  # fmt: skip
    assert pl.read_delta(lake.table_uri("videos")).height == 1  # a sighting publishes nothing


def test_concurrent_sightings_of_one_video_are_all_kept(tmp_path: Path) -> None:
    """Read-merge-write under one snapshot: a writer that lost the race re-reads and merges again."""
    lake = Lake.resolve(tmp_path / "lake")
    lake.ensure_tables(("video_sources",))
    video_id = synthetic_batch(0).video_id
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def sight(k: int) -> None:
        try:
            barrier.wait()
            for j in range(3):
                upsert_sources(lake, video_id, [source_row(video_id, f"/in/{k}-{j}.mp4", 10, f"r{k}")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sight, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    rows = sources(lake)
    assert rows.height == 12 and rows["source_uri"].n_unique() == 12


def test_merge_keeps_the_earliest_first_sighting() -> None:
    vid = "ab" * 32
    old = source_row(vid, "/a.mp4", 1, "r1", T0)
    new = source_row(vid, "/a.mp4", 1, "r2", T0 + timedelta(hours=1))
    other = source_row(vid, "/b.mp4", 1, "r2", T0 + timedelta(minutes=5))
    rows = merged([old], [new, other])
    assert [(r["source_uri"], r["first_seen_at"], r["last_seen_at"], r["run_id"]) for r in rows] == [
        ("/a.mp4", T0, T0 + timedelta(hours=1), "r2"),
        ("/b.mp4", T0 + timedelta(minutes=5), T0 + timedelta(minutes=5), "r2"),
    ]


def test_the_table_has_its_declared_schema_and_key(tmp_path: Path) -> None:
    lake = Lake.resolve(tmp_path / "lake")
    publish_batch(lake, synthetic_batch(0))
    rows = sources(lake)
    assert rows.columns == lake_schema.VIDEO_SOURCES.names
    assert rows.select(lake_schema.KEYS["video_sources"]).is_duplicated().sum() == 0


def test_json_location_keeps_the_first_name_in_the_lakes_store(tmp_path: Path) -> None:
    lake = Lake.resolve(tmp_path / "lake")
    vid = "cd" * 32
    first = json_location("/in/a.mp4", lake, None, vid)
    assert first == str(tmp_path / "lake" / "json" / f"a.{vid[:12]}.faces.json")
    assert json_location("/in/b.mp4", lake, None, vid, published=first) == first
    elsewhere = str(tmp_path / "other" / "a.faces.json")  # not in the lake's store: never reused
    assert json_location("/in/b.mp4", lake, None, vid, published=elsewhere).endswith(
        f"b.{vid[:12]}.faces.json"
    )
    out = str(tmp_path / "out")
    assert json_location("/in/b.mp4", lake, out, vid, published=first) == str(Path(out, "b.faces.json"))
    remote = Lake("s3://bucket/lake")
    uri = json_location("/in/a.mp4", remote, None, vid)
    assert uri == f"s3://bucket/lake/json/a.{vid[:12]}.faces.json"
    assert json_location("/in/b.mp4", remote, None, vid, published=uri) == uri


def test_published_json_path(tmp_path: Path) -> None:
    lake = Lake.resolve(tmp_path / "lake")
    batch = synthetic_batch(0)
    assert published_json_path(lake, batch.video_id) is None
    publish_batch(lake, batch)
    expected = batch.tables["videos"]["json_path"].item()
    assert published_json_path(lake, batch.video_id) == expected


@pytest.mark.slow
def test_a_renamed_copy_through_the_pipeline_keeps_both_sources_and_one_json(tmp_path: Path) -> None:
    import shutil

    from tasks.pipeline import run_videos
    from tests.support.media import write_video

    (tmp_path / "in").mkdir()
    first = write_video(tmp_path / "in" / "a.mp4", frames=12, width=320, height=240)
    second = tmp_path / "in" / "b.mp4"
    shutil.copyfile(first, second)
    lake = Lake.resolve(tmp_path / "lake")
    one = run_videos([first], lake).videos[0]
    two = run_videos([str(second)], lake).videos[0]

    assert one.video_id == two.video_id and two.json_path == one.json_path
    rows = sources(lake)
    assert rows["file_name"].to_list() == ["a.mp4", "b.mp4"]
    assert rows["run_id"].n_unique() == 2
    videos = pl.read_delta(lake.table_uri("videos"))
    assert videos.height == 1 and videos["json_path"].item() == one.json_path
    store = Path(lake.json_dir)
    assert [p.name for p in store.glob(f"*{one.video_id[:12]}*.faces.json")] == [Path(one.json_path).name]
    assert len(list(store.glob("*.report.html"))) <= 1
