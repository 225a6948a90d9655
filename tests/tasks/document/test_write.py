"""The per-video JSON gets the mode any file the process creates gets (0666 less the umask), not the
0600 of the temporary file it is written as, so the people who read the Parquet can read it too."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Any

import pytest

from tasks.document.write import current_umask, write_json_atomic


@pytest.fixture
def umask() -> Iterator[None]:
    saved = os.umask(0o022)
    os.umask(saved)
    yield
    os.umask(saved)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_the_json_honours_the_umask(tmp_path: Any, umask: None, mask: int) -> None:
    os.umask(mask)
    assert current_umask() == mask
    path = write_json_atomic({"version": 1}, tmp_path / "json" / "a.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~mask
    plain = tmp_path / "plain"
    plain.write_text("x")  # what any other file the process writes (a Parquet file) gets
    assert stat.S_IMODE(os.stat(path).st_mode) == stat.S_IMODE(plain.stat().st_mode)
    assert [p.name for p in (tmp_path / "json").iterdir()] == ["a.json"]  # no temporary file left
