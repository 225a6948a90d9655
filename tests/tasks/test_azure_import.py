"""``import_files``: Azure JSON into a real lake through the real gate, all or nothing per file.

The documents are Microsoft's published samples (``tests/support/azure_samples.py``; and, when
``../shared`` is present, the verbatim blocks of ``azure-samples.md`` themselves, completed where
Microsoft truncated them). Videos are real files encoded by FFmpeg.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tasks.azure_import import import_files
from tasks.document.contract import violations
from tasks.document.rebuild import document_from_rows
from tasks.lake import schema as lake_schema
from tasks.lake.store import Lake
from tasks.status import RunStatus, VideoStatus
from tests.support.azure_samples import aggregate_emotion_sample, face_detector_sample, redactor_sample
from tests.support.media import write_video
from tests.support.shared import SHARED_FORMAT, shared_check_output

Doc = dict[str, Any]


def _write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _rows(lake: Lake, table: str, video_id: str) -> pl.DataFrame:
    if not lake.exists(table):
        return pl.DataFrame()
    return pl.read_delta(lake.table_uri(table)).filter(pl.col("video_id") == video_id)


class Imported:
    def __init__(self, lake: Lake, files: dict[str, str], run: Any) -> None:
        self.lake, self.files, self.run = lake, files, run


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """The Face Detector and the Redactor samples, imported in one run without their videos."""
    root = tmp_path_factory.mktemp("azure")
    files = {
        "fd": _write(root / "interview_facedetection.json", face_detector_sample()),
        "redactor": _write(root / "street_annotations.json", redactor_sample()),
    }
    lake = Lake(str(root / "lake"))
    run = import_files(files.values(), lake)
    return Imported(lake, files, run)


def test_samples_are_published_as_imported_rows(imported: Imported) -> None:
    assert imported.run.status == RunStatus.SUCCEEDED, [v.error for v in imported.run.videos]
    redactor = _sha256(imported.files["redactor"])  # no video: the JSON's bytes are the content
    events = _rows(imported.lake, "face_events", redactor).sort("frame_index", "face_id")
    assert events["face_id"].to_list() == [1138, 2028]  # Azure's sparse ids, kept
    assert events["frame_index"].to_list() == [13, 13]  # the events' `index`, from their ticks
    assert events["imported"].to_list() == [True, True]
    for column in ("confidence", *lake_schema.LANDMARK_COLUMNS):
        assert events[column].null_count() == 2, column
    first = events.row(0, named=True)
    assert (first["y"], first["height"]) == (0.0, 0.61348)  # y = -0.18987 clipped to the frame
    assert first["time_seconds"] == pytest.approx(13 * 1001 / 24000)
    video = _rows(imported.lake, "videos", redactor).row(0, named=True)
    assert video["imported_from"] == imported.files["redactor"]
    assert video["file_name"] == "street_annotations"
    assert video["source_uri"] == imported.files["redactor"]
    assert video["size_bytes"] == os.path.getsize(imported.files["redactor"])
    assert (video["timescale"], video["interval_ticks"]) == (24000, 1001)
    assert (video["frame_rate_num"], video["frame_rate_den"]) == (24000, 1001)
    assert video["faces_detected"] == 2 and video["event_count"] == 2
    assert video["model_name"] == "azure-media-face-detector"
    for column in ("model_sha256", "detector_threshold", "detect_every", "container", "codec"):
        assert video[column] is None, column
    settings = json.loads(video["detector_settings"])
    assert settings["clipped_boxes"] == 1 and settings["source_timescale"] == 24000
    faces = _rows(imported.lake, "faces", redactor).sort("face_id")
    assert faces["mean_confidence"].null_count() == 2
    assert faces["best_frame_index"].to_list() == [13, 13]


def test_face_detector_sample_lands_on_its_own_grid(imported: Imported) -> None:
    fd = _sha256(imported.files["fd"])
    events = _rows(imported.lake, "face_events", fd).sort("frame_index")
    assert events["frame_index"].to_list() == [60, 61, 62]  # its second fragment starts at 60060 ticks
    assert events["pts"].to_list() == [60060, 61061, 62062]  # 30000/1001: the same ticks as Azure's
    assert events["x"].to_list() == [0.519531, 0.517969, 0.517187]
    video = _rows(imported.lake, "videos", fd).row(0, named=True)
    assert video["grid_frame_count"] == 120 and video["duration_seconds"] == pytest.approx(4.004)


def test_the_json_written_keeps_the_contract_and_the_rows_rebuild_it(imported: Imported) -> None:
    for path in imported.files.values():
        video = pl.read_delta(imported.lake.table_uri("videos")).filter(pl.col("imported_from") == path)
        row = video.row(0, named=True)
        document = json.loads(Path(row["json_path"]).read_text())
        assert violations(document) == []
        assert list(document)[-1] == "facesDetected"
        events = _rows(imported.lake, "face_events", row["video_id"])
        assert document_from_rows(row, events) == document


def test_the_written_json_passes_the_shared_checker(imported: Imported) -> None:
    check_output = shared_check_output()
    for outcome in imported.run.videos:
        assert check_output.check(json.loads(Path(outcome.json_path).read_text())) == []


def test_importing_again_replaces_the_same_video(imported: Imported) -> None:
    before = pl.read_delta(imported.lake.table_uri("face_events")).height
    again = import_files([imported.files["redactor"]], imported.lake, report=False).videos[0]
    assert again.status == VideoStatus.PUBLISHED and again.json_path == imported.run.videos[1].json_path
    assert pl.read_delta(imported.lake.table_uri("videos")).height == 2
    assert pl.read_delta(imported.lake.table_uri("face_events")).height == before


def test_the_gate_recorded_each_import(imported: Imported) -> None:
    validations = pl.read_delta(imported.lake.table_uri("validations"))
    for outcome in imported.run.videos:
        mine = validations.filter(pl.col("video_id") == outcome.video_id)
        assert mine.height > 200 and mine["success"].all()
    runs = pl.read_delta(imported.lake.table_uri("runs")).filter(pl.col("run_id") == imported.run.run_id)
    runs = runs.row(0, named=True)
    assert (runs["status"], runs["videos_published"]) == ("succeeded", 2)


def test_the_report_says_imported_and_shows_no_confidence(imported: Imported) -> None:
    index = Path(imported.lake.root, "reports", "index.html").read_text()  # written once, at the end
    assert "interview_facedetection" in index and "street_annotations" in index
    outcome = imported.run.videos[1]
    page = Path(outcome.report_path).read_text()
    assert "imported from" in page and "street_annotations.json" in page
    assert "nan" not in re.sub(r"<[^>]+>", " ", page).split()  # no confidence: "n/a", never "nan"


def test_a_refused_file_leaves_nothing(tmp_path: Path) -> None:
    """All or nothing: the other processors' output and a broken document are refused in one line each,
    with no row published and no JSON in the lake's store; a good file in the same run still lands."""
    broken = redactor_sample()
    broken["fragments"][0]["events"] += [[]] * 40  # more events than the fragment holds
    files = [
        _write(tmp_path / "emotion.json", aggregate_emotion_sample()),
        _write(tmp_path / "broken.json", broken),
        _write(tmp_path / "good.json", redactor_sample()),
    ]
    lake = Lake(str(tmp_path / "lake"))
    run = import_files(files, lake, report=False)
    emotion, bad, good = run.videos
    assert emotion.status == bad.status == VideoStatus.FAILED
    assert emotion.exit_code == bad.exit_code == 2
    assert "aggregate-emotion output, no face boxes to import" in emotion.error
    assert "do not fit in duration 48048" in bad.error
    assert "\n" not in emotion.error + bad.error
    assert good.status == VideoStatus.PUBLISHED
    assert run.status == RunStatus.PARTIAL
    published = pl.read_delta(lake.table_uri("videos"))["video_id"].to_list()
    assert published == [good.video_id]
    assert pl.read_delta(lake.table_uri("face_events"))["video_id"].unique().to_list() == [good.video_id]
    assert os.listdir(lake.json_dir) == [os.path.basename(good.json_path)]


def _azure_for(frames: int, fps: int, width: int, height: int, last_face: int | None = None) -> Doc:
    """An Azure document of a ``frames``-frame video at ``fps``: one face on every frame up to
    ``last_face``, drifting right, reaching past the right edge at the end."""
    last = frames - 1 if last_face is None else last_face
    interval, timescale = 1000, fps * 1000
    box = {"y": 0.2, "width": 0.3, "height": 0.4}
    events = [[{"id": 7, "x": round(0.5 + 0.03 * f, 6), **box}] for f in range(last + 1)]
    return {
        "version": 1,
        "timescale": timescale,
        "offset": 0,
        "framerate": fps,
        "width": width,
        "height": height,
        "fragments": [
            {"start": 0, "duration": (last + 1) * interval, "interval": interval, "events": events}
        ],
        "facesDetected": 1,
    }


def test_with_its_video_the_rows_are_the_videos_and_a_run_replaces_them(tmp_path: Path) -> None:
    """``--video``: the video's bytes make the id and its stream fills the row; the JSON of another frame
    shape, or with faces after the video's end, is refused; a later detection run replaces the import."""
    from tasks.pipeline import run_videos

    video = write_video(tmp_path / "clip.mp4", frames=10, fps=25, width=320, height=180)
    lake = Lake(str(tmp_path / "lake"))
    same_shape = _write(tmp_path / "clip.json", _azure_for(10, 25, 1280, 720))  # a scaled copy: fine
    run = import_files([same_shape], lake, video=video, report=False)
    (outcome,) = run.videos
    assert outcome.status == VideoStatus.PUBLISHED, outcome.error
    assert outcome.video_id == _sha256(video)
    row = _rows(lake, "videos", outcome.video_id).row(0, named=True)
    assert (row["width"], row["height"], row["container"], row["codec"]) == (320, 180, "mp4", "h264")
    assert (row["file_name"], row["source_uri"], row["size_bytes"]) == (
        "clip.mp4", os.path.abspath(video), os.path.getsize(video)
    )  # fmt: skip
    events = _rows(lake, "face_events", outcome.video_id).sort("frame_index")
    assert events["frame_index"].to_list() == list(range(10))
    assert events["imported"].all() and (events["x"] + events["width"]).max() <= 1.0 + 1e-9
    assert "clipped" in outcome.notes

    square = _write(tmp_path / "square.json", _azure_for(10, 25, 640, 640))
    longer = _write(tmp_path / "longer.json", _azure_for(40, 25, 320, 180))
    for path, message in ((square, "a 640x640 frame, but clip.mp4 is 320x180"), (longer, "ends at 0.400 s")):
        (refused,) = import_files([path], lake, video=video, report=False).videos
        assert refused.status == VideoStatus.FAILED and message in refused.error, refused.error
    assert _rows(lake, "videos", outcome.video_id)["imported_from"].to_list() == [same_shape]

    detected = run_videos([video], lake, report=False).videos[0]
    assert detected.status == VideoStatus.PUBLISHED and detected.video_id == outcome.video_id
    events = _rows(lake, "face_events", outcome.video_id)
    assert not events["imported"].any() and events["confidence"].null_count() == 0
    assert _rows(lake, "videos", outcome.video_id)["imported_from"].to_list() == [None]
    (kept,) = import_files([same_shape], lake, video=video, report=False).videos
    assert kept.status == VideoStatus.FAILED
    assert "is published with the faces facetrack detected" in kept.error
    assert _rows(lake, "videos", outcome.video_id)["imported_from"].to_list() == [None]
    (replaced,) = import_files([same_shape], lake, video=video, report=False, replace=True).videos
    assert replaced.status == VideoStatus.PUBLISHED
    assert _rows(lake, "videos", outcome.video_id)["imported_from"].to_list() == [same_shape]


def test_a_lake_from_before_imports_accepts_them(tmp_path: Path) -> None:
    """A lake made when confidence, landmarks and the detector settings were required: the first write
    that carries nulls drops NOT NULL (metadata only) and the rows land."""
    import pyarrow as pa
    from deltalake import DeltaTable

    lake = Lake(str(tmp_path / "lake"))
    relaxed = {"confidence", *lake_schema.LANDMARK_COLUMNS, "detect_every", "model_sha256", "mean_confidence"}
    for table in ("face_events", "videos", "faces"):
        schema = lake_schema.SCHEMAS[table]
        older = pa.schema(
            [
                f.with_nullable(False) if f.name in relaxed else f
                for f in schema
                if f.name not in {"imported", "imported_from"}
            ]
        )
        DeltaTable.create(
            lake.table_uri(table), older, partition_by=lake_schema.PARTITIONS[table] or None, name=table
        )
    path = _write(tmp_path / "street_annotations.json", redactor_sample())
    (outcome,) = import_files([path], lake, report=False).videos
    assert outcome.status == VideoStatus.PUBLISHED, outcome.error
    fields = {f.name: f for f in DeltaTable(lake.table_uri("face_events")).schema().fields}
    assert fields["confidence"].nullable and fields["imported"].nullable
    assert _rows(lake, "face_events", outcome.video_id)["confidence"].null_count() == 2


def _sample_blocks() -> dict[str, Doc]:
    """The Face Detector (1c) and Redactor (3c) JSON blocks of azure-samples.md, verbatim, closed where
    Microsoft truncated them (the truncation marker dropped, every open bracket closed)."""
    text = Path(SHARED_FORMAT, "azure-samples.md").read_text(encoding="utf-8")
    found = {}
    for section, key in (("### 1c.", "fd"), ("### 3c.", "redactor")):
        block = text.split(section, 1)[1].split("```json", 1)[1].split("```", 1)[0]
        lines = [line for line in block.splitlines() if "truncated" not in line and line.strip() != ". . ."]
        body = "\n".join(lines).rstrip().rstrip(",")
        stack = []
        for char in body:
            if char in "[{":
                stack.append("]" if char == "[" else "}")
            elif char in "]}":
                stack.pop()
        found[key] = json.loads(body + "".join(reversed(stack)))
    return found


def test_the_published_samples_themselves_import(tmp_path: Path) -> None:
    """The samples exactly as Microsoft printed them (when ../shared is present): they import, and the
    fixtures this suite uses elsewhere hold the same values."""
    shared_check_output()  # skips, with its reason, on a fresh clone
    samples = _sample_blocks()
    assert (
        samples["redactor"]["fragments"][0]["events"][13] == redactor_sample()["fragments"][0]["events"][13]
    )
    assert samples["fd"]["fragments"][1]["events"] == face_detector_sample()["fragments"][1]["events"][:3]
    files = [_write(tmp_path / f"{key}.json", document) for key, document in samples.items()]
    run = import_files(files, Lake(str(tmp_path / "lake")), report=False)
    assert [v.status for v in run.videos] == [VideoStatus.PUBLISHED] * 2, [v.error for v in run.videos]
    assert [v.events for v in run.videos] == [3, 2]
