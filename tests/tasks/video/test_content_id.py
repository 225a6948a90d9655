"""The video id: the SHA-256 of the bytes, whatever the file is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.errors import BadInputError
from tasks.video.content_id import is_video_id, video_id


def test_content_hash_ignores_the_name(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "renamed.mkv"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    assert video_id(a) == video_id(b)
    assert len(video_id(a)) == 64 and is_video_id(video_id(a))


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="cannot read"):
        video_id(tmp_path / "gone.mp4")
    assert not is_video_id("a" * 63) and not is_video_id("A" * 64) and not is_video_id(None)
