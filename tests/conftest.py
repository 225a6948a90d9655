"""Fixtures shared across the suite; the helpers themselves live in ``tests/support``."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest

from tests.support.media import write_video
from tests.support.servers import moto_server


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 40-frame 29.97 fps H.264 clip of the portrait walking across the frame."""
    return write_video(tmp_path_factory.mktemp("clip") / "walk.mp4", frames=40, fps=Fraction(30000, 1001))


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 emulator (moto's server, its own process on 127.0.0.1) for the module's tests."""
    with moto_server() as endpoint:
        yield endpoint
