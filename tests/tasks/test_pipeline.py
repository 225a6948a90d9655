"""The pipeline: its steps in order through one hook, what the real engine and normalizer produce passes
the gate (an NTSC rate with gaps in the timestamps), and what a run records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tasks import pipeline
from tasks.detect.detect_track import detect_track
from tasks.document.build import build_document
from tasks.errors import BadInputError, ValidationFailed
from tasks.lake.normalize import normalize
from tasks.lake.store import Lake
from tasks.status import RunStatus, VideoStatus
from tasks.validate.gate import audit_and_publish
from tasks.video.content_id import video_id
from tests.support.media import write_video

# One clip exercising both timing hazards: an NTSC rate (30000/1001, ticks that are not whole
# milliseconds) and gaps in the timestamps (frame slots on the nominal grid, not decoded frames).
NTSC_WITH_GAPS: dict[str, Any] = {
    "frames": 16,
    "fps": Fraction(30000, 1001),
    "pts": [0, 1, 2, 4, 5, 6, 9, 10, 11, 12, 14, 15, 17, 18, 19, 21],
    "time_base": Fraction(1001, 30000),
}


@pytest.mark.slow
def test_engine_output_passes_the_gate_and_is_published(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", width=320, height=180, **NTSC_WITH_GAPS)
    result = detect_track(path)
    assert len(result.tracks) > 0  # the portrait is found, so the face rules have rows to check
    document = build_document(result)
    batch = normalize(result, document, video_id=video_id(path), json_path=str(tmp_path / "clip.json"))
    lake = Lake(str(tmp_path / "lake"))
    outcome = audit_and_publish(lake, batch)
    assert outcome.success, outcome.failed
    assert pl.read_delta(lake.table_uri("face_events")).height == len(result.tracks)


def test_one_video_goes_through_every_step_in_order_through_the_hook(clip: str, tmp_path: Path) -> None:
    """The Prefect flows run the pipeline by passing their own ``steps``; so every step must go through
    it, in the documented order, and the outcome must say what was learnt."""
    called: list[str] = []

    def recording(step: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        called.append(step.__name__)
        return step(*args, **kwargs)

    lake = Lake(str(tmp_path / "lake"))
    pipeline.prepare_step(lake)
    outcome = pipeline.process_video(pipeline.VideoJob(clip, lake), steps=recording)
    assert outcome.status == VideoStatus.PUBLISHED, outcome.error
    assert called == [
        "probe_step", "hash_step", "detect_step", "normalize_step", "write_json_step",
        "validate_step", "publish_step", "report_step",
    ]  # fmt: skip
    assert outcome.video_id == video_id(clip) and outcome.frames == 40 and outcome.faces >= 1
    assert outcome.json_path == str(tmp_path / "lake" / "json" / f"walk.{outcome.video_id[:12]}.faces.json")
    assert outcome.line().startswith(f"walk.mp4: published {outcome.video_id[:12]}: 40 frames, ")
    assert pipeline.VideoOutcome.from_dict(outcome.to_dict()) == outcome

    known = pipeline.process_video(pipeline.VideoJob(clip, lake, video_id=outcome.video_id), steps=recording)
    assert known.status == VideoStatus.PUBLISHED and called.count("hash_step") == 1  # not hashed twice


def test_bad_input_is_a_failed_outcome_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    lake = Lake(str(tmp_path / "lake"))
    outcome = pipeline.process_video(pipeline.VideoJob(str(broken), lake))
    assert outcome.status == VideoStatus.FAILED and outcome.exit_code == 2
    assert outcome.error.startswith("broken.mp4: not a readable video")
    assert outcome.line() == "broken.mp4: failed: " + outcome.error.removeprefix("broken.mp4: ")
    assert outcome.error_line() == outcome.error


def test_a_run_row_says_running_then_how_it_went() -> None:
    def outcome(status: VideoStatus, error: str = "") -> pipeline.VideoOutcome:
        return pipeline.VideoOutcome(
            video="/in/a.mp4", status=status, frames=10, detect_seconds=1.0, error=error
        )

    run = pipeline.RunSummary("run-1", datetime.now(UTC), expected=2)
    assert run.status == RunStatus.RUNNING and run.row()["videos_total"] == 2
    run.videos = [outcome(VideoStatus.PUBLISHED)]
    failed = outcome(VideoStatus.QUARANTINED)
    failed.fail(ValidationFailed("validation failed 1 expectation(s)"))
    run.videos.append(failed)
    run.finished_at = datetime.now(UTC)
    row = run.row()
    assert run.status == RunStatus.PARTIAL and row["status"] == "partial"
    assert (row["videos_published"], row["videos_quarantined"], row["videos_failed"]) == (1, 1, 0)
    assert row["error"] == "a.mp4: validation failed 1 expectation(s)" and row["frames_per_second"] == 10.0
    run.videos[0].fail(BadInputError("a.mp4: no such file"))
    assert run.status == RunStatus.FAILED
    run.crash = "RuntimeError: boom"
    assert run.row()["videos_total"] == 2 and run.row()["error"].endswith("RuntimeError: boom")
