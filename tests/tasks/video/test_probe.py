"""probe and the frame grid: what a file is, refused in one line when it is not a video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from tasks.errors import BadInputError
from tasks.video.decode import frame_slot
from tasks.video.probe import nominal_frame_rate, probe
from tests.support.media import make_bad_inputs


def test_frame_slot_rounds_timestamps_and_never_goes_back() -> None:
    info = probe_stub()
    assert [frame_slot(p, info, -1) for p in (0, 39, 61, 110)] == [0, 1, 2, 3]  # 40 ms grid
    assert frame_slot(20, info, previous=3) == 3


def probe_stub():  # type: ignore[no-untyped-def]
    from tests.support.results import video_info

    info = video_info(Fraction(25), 10)
    from dataclasses import replace

    return replace(info, time_base=Fraction(1, 1000))


def test_nominal_rate_snaps_to_standard_rates() -> None:
    assert nominal_frame_rate(Fraction(2987, 100)) == Fraction(30000, 1001)
    assert nominal_frame_rate(Fraction(25)) == Fraction(25)
    assert nominal_frame_rate(Fraction(15)) == Fraction(15)
    assert nominal_frame_rate(Fraction(125, 10)) == Fraction(25, 2)


def test_probe_refuses_bad_inputs_with_reasons(clip: str, tmp_path: Path) -> None:
    reasons = {
        "text file": "not a readable video",
        "zero bytes": "empty",
        "truncated mp4": "not a readable video",
        "audio only": "no video stream",
        "missing path": "no such file",
        "directory": "directory",
    }
    for label, path in make_bad_inputs(tmp_path, clip).items():
        with pytest.raises(BadInputError, match=reasons[label]):
            probe(path)
