"""Timestamps that are not a timeline (concatenated streams, long gaps, an AVI's B-frames) and pictures
that are not videos: no decoded frame loses its slot, and a photo renamed .mp4 is refused in one line."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from tasks.errors import BadInputError
from tasks.video.decode import FrameClock, FrameReader, TimestampRepair, describe_repairs, frame_slot
from tasks.video.probe import VideoInfo, probe
from tests.support.media import face_frame, write_video
from tests.support.results import video_info


def info_25fps_ms() -> VideoInfo:
    return replace(video_info(Fraction(25), 100), time_base=Fraction(1, 1000))  # 40 ms a frame


def slots(clock: FrameClock, stamps: list[int | None]) -> list[int]:
    return [clock.slot(p) for p in stamps]


def test_a_clean_timeline_maps_as_frame_slot_does() -> None:
    info = info_25fps_ms()
    stamps = [0, 39, 61, 110, 200, 205, 300]  # variable frame rate, two frames in slot 5
    expected, previous = [], -1
    for i, p in enumerate(stamps):
        previous = frame_slot(p, info, previous) if i else 0
        expected.append(previous)
    clock = FrameClock(info)
    assert slots(clock, list(stamps)) == expected and clock.repairs == []


def test_a_timestamp_going_back_starts_a_segment_that_continues_the_timeline() -> None:
    clock = FrameClock(info_25fps_ms())
    first = [40 * i for i in range(50)]
    assert slots(clock, [*first, *first]) == list(range(100))  # the second half restarts at 0
    assert clock.repairs == [TimestampRepair("backward", 50, 1.96)]
    assert clock.time == 40 * 99  # the repaired timeline, which a redacted copy is written with
    assert describe_repairs(clock.repairs) == "1 backward jump at frame 50"


def test_a_long_forward_gap_is_kept_and_reported() -> None:
    clock = FrameClock(info_25fps_ms())
    got = slots(clock, [0, 40, 80, 280_080, 280_120])
    assert got == [0, 1, 2, 7002, 7003]  # a player holds frame 2 for 280 s: so do the events
    assert clock.repairs == [TimestampRepair("forward", 3, 280.0)]
    assert describe_repairs(clock.repairs) == "1 forward gap of 280.0 s at frame 3 (kept)"


def test_a_repeated_timestamp_gets_the_next_slot_without_a_report() -> None:
    clock = FrameClock(info_25fps_ms())
    assert slots(clock, [0, 40, 40, 80, 120]) == [0, 1, 2, 3, 4]
    assert clock.repairs == []


def test_pts_faultier_than_dts_use_the_dts() -> None:
    """An AVI with B-frames: its frames' pts are shuffled, their dts run on (FFmpeg's best effort)."""
    clock = FrameClock(replace(info_25fps_ms(), start_pts=40))
    pts = [1, 4, 3, 5, 2, 7, 6, 10, 9, 11, 8, 12]
    got = [clock.slot(40 * p, 40 * (i + 2)) for i, p in enumerate(pts)]
    assert got == sorted(set(got)) and len(got) == 12  # every frame its own slot, in order
    assert got[-1] <= 11 + 3 and clock.repairs == []  # off by the reorder delay at most


def test_describe_repairs_counts_many() -> None:
    repairs = [TimestampRepair("backward", f, 2.0) for f in (50, 100)] + [
        TimestampRepair("forward", 120, 30.0),
        TimestampRepair("forward", 200, 15.5),
    ]
    assert describe_repairs(repairs) == (
        "2 backward jumps at frames 50, 100, 2 forward gaps of 45.5 s in all, first at frame 120 (kept)"
    )


def concatenated_ts(directory: Path) -> str:
    part = write_video(directory / "part.ts", frames=20, fps=25, width=320, height=180)
    data = Path(part).read_bytes()
    both = directory / "both.ts"
    both.write_bytes(data + data)
    return str(both)


def test_the_reader_gives_every_frame_of_two_concatenated_streams_its_own_slot(tmp_path: Path) -> None:
    info = probe(concatenated_ts(tmp_path))
    with FrameReader(info, (160, 90)) as reader:
        frames = list(reader)
    assert [f.slot for f in frames] == list(range(40))
    assert [r.kind for r in reader.clock.repairs] == ["backward"] and reader.clock.repairs[0].frame == 20


def still_picture(path: Path, extension: str) -> str:
    import cv2

    ok, data = cv2.imencode(extension, face_frame(0))
    assert ok
    path.write_bytes(data.tobytes())
    return str(path)


@pytest.mark.parametrize("extension", [".png", ".jpg", ".bmp", ".tiff", ".webp"])
def test_a_picture_is_refused_as_an_image_whatever_its_name(tmp_path: Path, extension: str) -> None:
    for name in (f"photo{extension}", "photo.mp4"):
        with pytest.raises(BadInputError, match=rf"^{name}: an image, not a video$"):
            probe(still_picture(tmp_path / name, extension))


def test_a_one_frame_gif_is_an_image_and_a_one_frame_h264_file_a_video(tmp_path: Path) -> None:
    from PIL import Image

    gif = tmp_path / "still.gif"
    Image.fromarray(face_frame(0)[:, :, ::-1]).save(gif, format="GIF")
    with pytest.raises(BadInputError, match=r"^still\.gif: an image, not a video$"):
        probe(gif)
    info = probe(write_video(tmp_path / "one.mp4", frames=1))
    assert (info.codec, info.frame_count) == ("h264", 1)
