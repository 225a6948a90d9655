"""The whole engine on awkward generated files: two MPEG-TS streams concatenated (the second's timestamps
restart at 0), clips too short to confirm a track, and a photo renamed .mp4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flows.cli import main
from tasks.detect.detect_track import detect_track
from tests.support.media import face_frame, write_video

Capture = pytest.CaptureFixture[str]
HALF = 25  # frames in each concatenated part


@pytest.fixture(scope="module")
def concatenated(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("concat")
    part = Path(write_video(directory / "part.ts", frames=HALF, fps=25, width=320, height=180))
    both = directory / "both.ts"
    both.write_bytes(part.read_bytes() * 2)
    return str(both)


def test_no_face_is_lost_when_timestamps_restart_and_the_repair_is_reported(concatenated: str) -> None:
    result = detect_track(concatenated)
    assert (result.frames_decoded, result.grid_frames) == (2 * HALF, 2 * HALF)
    covered = np.unique(result.tracks.frame_index)
    assert covered.tolist() == list(range(2 * HALF))  # the second part's faces are all there
    assert [(r.kind, r.frame) for r in result.timestamp_repairs] == [("backward", HALF)]


def test_detect_says_the_timestamps_were_repaired_and_redact_masks_every_frame(
    concatenated: str, tmp_path: Path, capsys: Capture
) -> None:
    out = tmp_path / "both.faces.json"
    assert main(["detect", concatenated, "-o", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert f"{2 * HALF} face events" in stdout
    assert f"timestamps repaired: 1 backward jump at frame {HALF} -> " in stdout
    redacted = tmp_path / "both.redacted.ts"
    assert main(["redact", concatenated, "--faces", str(out), "-o", str(redacted)]) == 0
    assert f"faces hidden on {2 * HALF} " in capsys.readouterr().out


def test_a_clean_clip_says_nothing_about_timestamps(tmp_path: Path, capsys: Capture) -> None:
    clip = write_video(tmp_path / "clean.mp4", frames=8, width=320, height=180)
    assert main(["detect", clip, "-o", str(tmp_path / "clean.json")]) == 0
    assert "timestamps" not in capsys.readouterr().out


@pytest.mark.parametrize("frames", [1, 2, 4])
def test_a_clip_too_short_to_confirm_a_track_still_reports_its_face(tmp_path: Path, frames: int) -> None:
    result = detect_track(write_video(tmp_path / f"short{frames}.mp4", frames=frames))
    assert result.faces_detected == 1
    assert np.unique(result.tracks.frame_index).tolist() == list(range(frames))


def test_a_photo_renamed_mp4_is_refused_in_one_line(tmp_path: Path, capsys: Capture) -> None:
    import cv2

    ok, data = cv2.imencode(".png", face_frame(0))
    assert ok
    photo = tmp_path / "holiday.mp4"
    photo.write_bytes(data.tobytes())
    assert main(["detect", str(photo), "-o", str(tmp_path / "holiday.json")]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == ["facetrack: error: holiday.mp4: an image, not a video"]
    assert not (tmp_path / "holiday.json").exists()


def test_a_concatenated_clip_with_audio_is_redacted_whole(tmp_path: Path, capsys: Capture) -> None:
    """Both streams restart at 0 halfway: the video is masked on every frame and the audio is kept, its
    packets continuing the timeline instead of making the muxer refuse them."""
    import av

    from tests.support.media import write_frames_with_audio

    part = Path(
        write_frames_with_audio(
            tmp_path / "part.ts", [face_frame(i, 320, 180, face_height=120) for i in range(HALF)]
        )
    )
    both = tmp_path / "both.ts"
    both.write_bytes(part.read_bytes() * 2)
    redacted = tmp_path / "both.redacted.ts"
    assert main(["redact", str(both), "-o", str(redacted), "--blur", "black"]) == 0, capsys.readouterr().err
    assert f"faces hidden on {2 * HALF} " in capsys.readouterr().out
    with av.open(str(part)) as source:
        audio_packets = sum(1 for p in source.demux(audio=0) if p.dts is not None)
    with av.open(str(redacted)) as output:
        dts = [p.dts for p in output.demux(audio=0) if p.dts is not None]
    assert len(dts) == 2 * audio_packets and dts == sorted(dts)
    assert detect_track(str(redacted)).faces_detected == 0
