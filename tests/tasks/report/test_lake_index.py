"""The lake's index page: every published video, newest first, with its faces, screen time, duration and
a relative link to the report `facetrack run` wrote beside its JSON; one self-contained file, no URL."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from tasks.lake.batch import VideoBatch
from tasks.lake.store import Lake
from tasks.report.lake_index import read_entries, write_lake_index
from tasks.validate.gate import audit_and_publish
from tests.support.validate_batches import good_batch
from tests.tasks.report.page import ReportPage


def published(seed: str, when: datetime, json_dir: Path) -> VideoBatch:
    batch = good_batch(seed)
    batch.tables["videos"] = batch.tables["videos"].with_columns(
        pl.lit(when).cast(pl.Datetime("us", "UTC")).alias("processed_at"),
        pl.lit(str(json_dir / f"{seed}.faces.json")).alias("json_path"),
    )
    return batch


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, list[VideoBatch]]:
    """Two published videos, the newer one with a report beside its JSON, and a quarantined one."""
    root = tmp_path_factory.mktemp("index_lake")
    store = Lake(str(root / "lake"))
    json_dir = root / "lake" / "json"
    json_dir.mkdir(parents=True)
    old = published("older <clip>", datetime(2025, 1, 1, tzinfo=UTC), json_dir)
    new = published("newer clip", datetime(2025, 3, 1, 12, 30, tzinfo=UTC), json_dir)
    for batch in (old, new):
        assert audit_and_publish(store, batch).success
    (json_dir / "newer clip.report.html").write_text("<html></html>", encoding="utf-8")
    broken = good_batch("refused")
    broken.tables["face_events"] = broken.tables["face_events"].with_columns(pl.col("x") + 1)
    assert not audit_and_publish(store, broken).success
    return store, [new, old]


def test_index_lists_every_published_video_newest_first_with_links(
    lake: tuple[Lake, list[VideoBatch]], tmp_path: Path
) -> None:
    store, batches = lake
    result = write_lake_index(store)
    assert result.path == os.path.join(store.root, "reports", "index.html")
    assert (result.videos, result.reports) == (2, 1)
    text = Path(result.path).read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "<style>" in text and "<link" not in text
    page = ReportPage(text)
    assert page.links == ["../json/newer%20clip.report.html"]  # relative to the index's folder
    assert (Path(result.path).parent / "../json/newer clip.report.html").is_file()
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td class=\"num\">(\d+)</td>", text)
    assert rows == [
        ("2025-03-01 12:30:00 UTC", "newer clip.mp4", "2"),
        ("2025-01-01 00:00:00 UTC", "older &lt;clip&gt;.mp4", "2"),
    ]  # newest first; a name from a file is escaped; the quarantined video is not listed
    assert "refused" not in text
    entries = read_entries(store, result.path)
    assert [e.video_id for e in entries] == [b.video_id for b in batches]
    faces = batches[0].tables["faces"]
    assert entries[0].faces == faces.height == 2
    assert entries[0].screen_seconds == pytest.approx(float(faces["screen_seconds"].sum()))  # 20 + 25 frames
    assert entries[0].duration_seconds == pytest.approx(45 / 25)
    assert entries[0].report == os.path.join(store.root, "json", "newer clip.report.html")
    assert entries[1].report is None and entries[1].href is None


def test_cli_writes_the_index_with_no_video_id(
    lake: tuple[Lake, list[VideoBatch]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, _ = lake
    out = tmp_path / "elsewhere" / "index.html"
    assert main(["report", "--lake", store.root, "-o", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("index.html: 2 published videos, 1 with a report, ") and str(out) in stdout
    links = ReportPage(out.read_text(encoding="utf-8")).links
    assert len(links) == 1 and (out.parent / links[0].replace("%20", " ")).is_file()
    assert main(["report", "--lake", store.root, "--video", "x.mp4"]) == 2
    assert "give its id" in capsys.readouterr().err


def test_an_empty_lake_has_an_index_too(tmp_path: Path) -> None:
    result = write_lake_index(Lake(str(tmp_path / "empty")), str(tmp_path / "index.html"))
    assert result.videos == 0 and "No published video" in Path(result.path).read_text(encoding="utf-8")


def test_a_lake_report_defaults_to_beside_its_json(
    lake: tuple[Lake, list[VideoBatch]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.report import report_from_lake

    store, batches = lake
    monkeypatch.chdir(tmp_path)
    result = report_from_lake(store, batches[1].video_id)  # its source video is not there: no pictures
    assert result.path == os.path.join(store.root, "json", "older <clip>.report.html")
    assert os.listdir(tmp_path) == []
    os.remove(result.path)  # the module's lake has one report, as the other tests expect


def test_the_index_of_an_object_store_lake_is_uploaded_with_relative_links(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.servers import use_s3

    client = use_s3(monkeypatch, s3_endpoint, "index")
    store = Lake.resolve("s3://index/lake")
    batch = good_batch("on s3")
    batch.tables["videos"] = batch.tables["videos"].with_columns(
        pl.lit("s3://index/lake/json/on s3.faces.json").alias("json_path")
    )
    assert audit_and_publish(store, batch).success
    client.put_object(Bucket="index", Key="lake/json/on s3.report.html", Body=b"<html></html>")
    result = write_lake_index(store)
    assert result.path == "s3://index/lake/reports/index.html" and (result.videos, result.reports) == (1, 1)
    text = client.get_object(Bucket="index", Key="lake/reports/index.html")["Body"].read().decode()
    assert ReportPage(text).links == ["../json/on%20s3.report.html"]
    assert "http://" not in text and "https://" not in text
