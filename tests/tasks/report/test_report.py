"""The report of a generated two-person video: one gallery picture and one timeline row per id, every
picture embedded, nothing fetched, nothing run; and the pieces it is drawn from."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from models import Detections
from tasks.detect.detect_track import detect_track
from tasks.document.build import build_document
from tasks.document.write import write_json_atomic
from tasks.report import report_from_json
from tasks.report.contact_sheet import sheet_slots, upright_boxes
from tasks.report.timeline import Run, runs_of, tick_step, timeline_svg
from tests.support.media import two_people as media_two_people
from tests.support.media import write_frames
from tests.tasks.report.page import ReportPage

FRAMES = 75


def two_people(frames: int = FRAMES) -> list[np.ndarray]:
    """The astronaut on the left all along; an LFW face on the right from frame 25 on."""
    return media_two_people(frames, right_from=25)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, int]:
    """The clip, its faces JSON, and its number of face ids."""
    folder = tmp_path_factory.mktemp("report")
    video = write_frames(folder / "two.mp4", two_people())
    document = build_document(detect_track(video))
    return video, write_json_atomic(document, folder / "two.faces.json"), int(document["facesDetected"])


@pytest.mark.slow
def test_one_gallery_picture_and_one_timeline_row_per_id_all_embedded(
    clip: tuple[str, str, int], tmp_path: Path
) -> None:
    video, faces, ids = clip
    assert ids == 2
    result = report_from_json(faces, video, tmp_path / "two.report.html")
    text = Path(result.path).read_text(encoding="utf-8")
    page = ReportPage(text)

    assert result.faces == ids
    assert page.count("div", "face") == ids
    assert len(page.images["thumb"]) == ids
    assert page.count("g", "timeline-row") == ids
    assert len(page.images["sheet-frame"]) == 10
    for src in (src for sources in page.images.values() for src in sources):
        assert src.startswith("data:image/jpeg;base64,")
        import cv2

        picture = cv2.imdecode(
            np.frombuffer(base64.b64decode(src.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR
        )
        assert picture is not None and picture.size > 0
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text.lower() and page.tags["script"] == 0
    assert page.tags["link"] == 0 and "@import" not in text and "url(" not in text
    # the second person enters at 1 s (frame 25): the gallery says so
    from tasks.document.rebuild import events_of
    from tasks.redact.faces import faces_for_video
    from tasks.report.facts import face_summaries, tracks_from_events
    from tasks.video.probe import probe

    info = probe(video)
    tracks = tracks_from_events(events_of(faces_for_video(faces, info)), info.width, info.height)
    second = face_summaries(tracks, info.fps, confidence_known=False)[1]
    assert 0.9 <= second.first_seconds <= 1.2 and second.last_seconds == pytest.approx(74 / 25)
    assert f"<dt>first</dt><dd>{second.first_seconds:.2f} s</dd>" in text
    # links are relative, to the files beside the report
    assert sorted(page.links) == ["../" + os.path.basename(os.path.dirname(faces)) + "/two.faces.json",
                                  "../" + os.path.basename(os.path.dirname(video)) + "/two.mp4"]  # fmt: skip
    # the frames pass read the clip once, converting only the frames it needed, and stopped at the last
    assert result.frames_pass.converted <= 10 + ids
    assert result.frames_pass.decoded <= FRAMES


@pytest.mark.slow
def test_names_from_files_are_escaped(clip: tuple[str, str, int], tmp_path: Path) -> None:
    video, faces, _ = clip
    odd_video = shutil.copy(video, tmp_path / 'a<b>&"c.mp4')
    odd_json = shutil.copy(faces, tmp_path / 'a<b>&"c.faces.json')
    text = Path(report_from_json(odd_json, odd_video).path).read_text(encoding="utf-8")
    assert "a<b>" not in text
    assert "a&lt;b&gt;&amp;&quot;c.mp4" in text
    assert 'href="a%3Cb%3E%26%22c.faces.json"' in text  # a link, percent-encoded


def test_runs_tell_detected_from_filled_in_and_ignore_the_detectors_own_skipping() -> None:
    frames = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21])
    seen = np.array([1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1], bool)
    assert runs_of(frames, seen, detect_every=2) == [
        Run(0, 4, True), Run(5, 8, False), Run(9, 9, True), Run(20, 21, True)
    ]  # fmt: skip
    assert runs_of(frames, None) == [Run(0, 9, None), Run(20, 21, None)]


def test_timeline_marks_shot_cuts_and_pale_filled_in_bars() -> None:
    from tasks.video.shots import Shot

    tracks = Detections(
        np.tile([[10, 10, 50, 50]], (6, 1)),
        np.ones(6),
        frame_index=[0, 1, 2, 3, 0, 1],
        track_id=[0, 0, 0, 0, 1, 1],
        observed=[True, False, False, True, True, True],
    )
    shots = [Shot(0, 0, 1, 0.0, 0.08), Shot(1, 2, 3, 0.08, 0.16)]
    svg = timeline_svg(tracks, 4, 25.0, shots, detected_known=True)
    page = ReportPage(svg)
    assert page.count("g", "timeline-row") == 2
    assert page.count("rect", "interpolated") == 1 and page.count("rect", "detected") == 3
    assert page.count("line", "shot-cut") == 1


def test_contact_sheet_slots_are_spread_and_boxes_follow_the_rotation() -> None:
    assert sheet_slots(100, 10) == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]
    assert sheet_slots(3, 10) == [0, 1, 2]
    assert tick_step(6.0) == 0.5 and tick_step(600.0) == 60
    image = np.zeros((40, 60), np.uint8)  # stored 60 wide, 40 high
    image[5:15, 10:30] = 1  # a box x 10..30, y 5..15
    for turns in range(4):
        shown = np.rot90(image, turns)
        ys, xs = np.nonzero(shown)
        expected = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        assert upright_boxes(np.array([[10, 5, 30, 15]]), 60, 40, turns).tolist() == [expected]


@pytest.mark.slow
def test_a_quarantined_video_shows_its_failed_expectations_by_name(tmp_path: Path) -> None:
    """No video file here: the page has the numbers, the timeline and the gate's verdict."""
    import polars as pl

    from tasks.lake.store import Lake
    from tasks.report import report_from_lake
    from tasks.validate.gate import audit_and_publish
    from tests.support.validate_batches import good_batch

    lake = Lake.resolve(tmp_path / "lake")
    batch = good_batch("report-quarantine")
    events = batch.tables["face_events"]
    batch.tables["face_events"] = events.with_columns(
        pl.when(pl.col("frame_index") == 3).then(1.2).otherwise(pl.col("confidence")).alias("confidence")
        .cast(events.schema["confidence"])
    )  # fmt: skip
    assert not audit_and_publish(lake, batch).success
    result = report_from_lake(lake, batch.video_id[:8], output=tmp_path / "q.html")
    text = Path(result.path).read_text(encoding="utf-8")
    page = ReportPage(text)
    assert page.count("span", "quarantined") == 1
    assert "<li>face_events: confidence_in_0_1</li>" in text
    assert page.count("g", "timeline-row") == 2 and page.count("line", "shot-cut") == 2
    assert page.count("div", "face") == 2 and "thumb" not in page.images  # no video: no pictures
