"""Small faces in HD through the whole engine, at default settings, on a generated H.264 1080p video."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tasks.detect.detect_track import detect_track
from tasks.detect.result import VideoResult
from tasks.settings import DetectorSettings
from tests.support.media import astronaut_face, backdrop, lfw_face, paste, scaled, write_frames

pytestmark = pytest.mark.slow

FRAMES = 75
SMALL_AT = (700, 300)  # the small face's sprite drifts right from here, 1 px a frame


@pytest.fixture(scope="module")
def hd_video(tmp_path_factory: pytest.TempPathFactory) -> str:
    """1920x1080, 3 s: a ~30 px face (the astronaut's head and shoulders, 64 px high) and a 300 px face."""
    small, large = scaled(astronaut_face(), 64), lfw_face(2, 300)
    frames = []
    for i in range(FRAMES):
        frame = backdrop(1920, 1080, 60)
        paste(frame, small, SMALL_AT[0] + i, SMALL_AT[1])
        paste(frame, large, 1300 - i, 500)
        frames.append(frame)
    return write_frames(tmp_path_factory.mktemp("hd") / "small_and_large.mp4", frames)


def small_face_rows(result: VideoResult) -> np.ndarray:
    tracks = result.tracks
    centres_x = (tracks.xyxy[:, 0] + tracks.xyxy[:, 2]) / 2 - tracks.frame_index
    heights = tracks.xyxy[:, 3] - tracks.xyxy[:, 1]
    near: np.ndarray = (np.abs(centres_x - (SMALL_AT[0] + 30)) < 40) & (heights < 60)
    return near


def test_a_30_px_and_a_300_px_face_are_both_found_by_default(hd_video: str) -> None:
    result = detect_track(hd_video)
    assert result.faces_detected == 2
    small = small_face_rows(result)
    assert len(np.unique(result.tracks.track_id[small])) == 1
    covered = np.unique(result.tracks.frame_index[small])
    # Found when a tile first looks at it (or at once, where the coarse pass saw it faintly), then followed.
    assert len(covered) >= 0.95 * (FRAMES - covered[0])
    heights = result.tracks.heights[small]
    assert 20 <= np.median(heights) <= 40  # the face's own box, not the coarse pass's loose one


def test_the_coarse_pass_alone_misses_the_small_face(hd_video: str) -> None:
    result = detect_track(hd_video, replace(DetectorSettings(), fine_size=0))
    assert result.faces_detected == 1
    assert not small_face_rows(result).any()


def test_a_face_seen_only_by_the_fine_passes_keeps_one_id_across_the_tile_rotation(hd_video: str) -> None:
    # The tiles sweep the frame twice a second here; regions follow the face between their visits.
    result = detect_track(hd_video, replace(DetectorSettings(), scan_seconds=0.5))
    small = small_face_rows(result)
    assert len(np.unique(result.tracks.track_id[small])) == 1
    assert len(np.unique(result.tracks.frame_index[small])) >= 0.9 * FRAMES
    assert result.stats["fine_windows"] > 0
