"""Redaction on generated H.264 videos with real faces: the faces go, everything else stays."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from models import CenterFaceDetector
from tasks.detect.detect_track import detect_track
from tasks.document.build import build_document
from tasks.document.write import write_json_atomic
from tasks.errors import BadInputError
from tasks.redact import RedactOptions, redact
from tasks.video.decode import display_turns, upright
from tasks.video.probe import probe
from tests.support.media import two_people as media_two_people
from tests.support.media import write_frames_with_audio

pytestmark = pytest.mark.slow

FRAMES = 50


def two_people(frames: int = FRAMES) -> list[np.ndarray]:
    """The astronaut on the left, an LFW face on the right, both drifting a little."""
    return media_two_people(frames)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The two-person clip with an AAC track, and its faces JSON."""
    folder = tmp_path_factory.mktemp("redact")
    video = write_frames_with_audio(folder / "two.mp4", two_people())
    faces = write_json_atomic(build_document(detect_track(video)), folder / "two.faces.json")
    return video, faces


def packets(path: str, kind: str) -> list[tuple[int | None, str]]:
    import av

    with av.open(path) as container:
        stream = next(s for s in container.streams if s.type == kind)
        return [(p.pts, hashlib.sha256(bytes(p)).hexdigest()) for p in container.demux(stream) if p.size]


def frame_times(path: str) -> list[int | None]:
    import av

    with av.open(path) as container:
        return [frame.pts for frame in container.decode(video=0)]


def faces_found(path: str) -> int:
    """Faces CenterFace finds at full resolution on any frame of ``path`` (at its default 0.5), shown
    upright as a player would."""
    import av

    detector = CenterFaceDetector(input_size=0)
    turns = display_turns(probe(path).rotation)
    with av.open(path) as container:
        frames = (upright(f.to_ndarray(format="bgr24"), turns) for f in container.decode(video=0))
        return sum(len(detector.detect(image)) for image in frames)


def test_faces_are_gone_and_audio_frames_and_timestamps_are_kept(
    clip: tuple[str, str], tmp_path: Path
) -> None:
    video, _ = clip
    out = tmp_path / "two.redacted.mp4"
    result, document = redact(video, out)  # Combined: detects first
    assert document["facesDetected"] == 2
    assert result.frames == FRAMES and result.masked_frames == FRAMES and result.copied_streams == 1
    assert faces_found(video) >= 2 * FRAMES - 2
    assert faces_found(str(out)) == 0
    assert packets(str(out), "audio") == packets(video, "audio")  # copied packet for packet
    assert frame_times(str(out)) == frame_times(video)
    before, after = probe(video), probe(out)
    assert (after.width, after.height, after.frame_count, after.frame_rate) == (
        before.width,
        before.height,
        before.frame_count,
        before.frame_rate,
    )


def test_only_the_chosen_ids_are_hidden(clip: tuple[str, str], tmp_path: Path) -> None:
    video, faces = clip
    document = json.loads(Path(faces).read_text())
    left_id = next(face["id"] for f in document["fragments"] for e in f.get("events", []) for face in e
                   if face["x"] < 0.5)  # fmt: skip
    only_left, _ = redact(video, tmp_path / "left.mp4", faces=faces, only=[left_id])
    but_left, _ = redact(video, tmp_path / "right.mp4", faces=faces, keep=[left_id])
    detector = CenterFaceDetector(input_size=0)
    for path, hidden_side in ((only_left.path, "left"), (but_left.path, "right")):
        xs = [float((b[0] + b[2]) / 2) for b in detector.detect(middle_frame(path)).xyxy]
        assert len(xs) == 1
        assert (xs[0] > 320) == (hidden_side == "left")  # the face that remains is on the other side
    with pytest.raises(BadInputError, match="face ids 9"):
        redact(video, tmp_path / "none.mp4", faces=faces, only=[9])
    assert not (tmp_path / "none.mp4").exists()


def middle_frame(path: str) -> np.ndarray:
    import av

    with av.open(path) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index == FRAMES // 2:
                image: np.ndarray = frame.to_ndarray(format="bgr24")
                return image
    raise AssertionError("short video")


def test_a_hand_edited_json_is_followed(clip: tuple[str, str], tmp_path: Path) -> None:
    """Azure's two-step workflow: analyze, correct the JSON, redact. A box moved by hand is what is hidden."""
    video, faces = clip
    document = json.loads(Path(faces).read_text())
    for fragment in document["fragments"]:
        for event in fragment.get("events", []):
            event[:] = [face for face in event if face["x"] < 0.5]  # the right face is deleted by hand ...
            for face in event:
                face["x"] = 0.05  # ... and the left one's box moved to the frame's left edge
    del document["facesDetected"]  # the count follows the ids (the contract checks it), and comes last
    document["facesDetected"] = 1
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    result, _ = redact(video, tmp_path / "edited.mp4", faces=edited, options=RedactOptions(blur="black"))
    image = middle_frame(result.path)
    assert image[180, 20:40].max() < 40  # blacked where the edited box is
    found = CenterFaceDetector(input_size=0).detect(image)
    assert len(found) == 2  # both real faces show: neither was where the edited JSON said


def test_a_json_from_another_video_is_refused_and_nothing_is_written(
    clip: tuple[str, str], tmp_path: Path
) -> None:
    _, faces = clip
    shorter = write_frames_with_audio(tmp_path / "short.mp4", two_people(20))
    out = tmp_path / "wrong.mp4"
    with pytest.raises(BadInputError, match=r"covers 50 frames, short\.mp4 has 20"):
        redact(shorter, out, faces=faces)
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_an_unwritable_output_leaves_nothing_behind(clip: tuple[str, str], tmp_path: Path) -> None:
    video, faces = clip
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(BadInputError):
        redact(video, blocker / "out.mp4", faces=faces)
    assert blocker.read_text() == "not a directory"


def test_a_rotated_phone_video_keeps_its_rotation_and_loses_its_faces(tmp_path: Path) -> None:
    # Stored turned a quarter clockwise, shown upright: a player turns it back by the rotation metadata.
    stored = [np.ascontiguousarray(np.rot90(frame, -1)) for frame in two_people(30)]
    video = write_frames_with_audio(tmp_path / "phone.mp4", stored, rotation=90)
    assert faces_found(video) >= 2 * 30 - 2
    result, document = redact(video, tmp_path / "phone.redacted.mp4")
    assert document["facesDetected"] == 2
    assert probe(result.path).rotation == probe(video).rotation == 90
    assert faces_found(result.path) == 0


def test_box_mode_draws_outlines_only(clip: tuple[str, str], tmp_path: Path) -> None:
    video, faces = clip
    result, _ = redact(video, tmp_path / "box.mp4", faces=faces, options=RedactOptions(blur="box"))
    assert faces_found(result.path) >= 2 * FRAMES - 2  # the faces still show, outlined
    image = middle_frame(result.path)
    green = (image[:, :, 1] > 200) & (image[:, :, 0] < 80) & (image[:, :, 2] < 80)
    assert green.sum() > 400  # the outlines


def test_one_thumbnail_per_id_named_by_the_id_each_showing_that_face(
    clip: tuple[str, str], tmp_path: Path
) -> None:
    import cv2

    from tasks.redact import write_thumbnails

    video, _ = clip
    result = detect_track(video)
    written = write_thumbnails(result.info, result.tracks, tmp_path / "thumbs")
    assert [os.path.basename(p) for p in written] == ["two_thumb000000.jpg", "two_thumb000001.jpg"]
    detector = CenterFaceDetector(input_size=0)
    for path in written:
        image = cv2.imread(path)
        assert image is not None and min(image.shape[:2]) >= 100  # the face with its margin
        assert len(detector.detect(image)) == 1
    assert not [p for p in os.listdir(tmp_path / "thumbs") if p.startswith(".")]
