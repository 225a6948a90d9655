"""A real small disk for the full-disk tests: a tmpfs of a few KiB mounted in a user namespace of the
test's own (``unshare -rm``, no root needed), optionally filled or made read-only, with the command under
test run inside that namespace. Where user namespaces are not allowed, the tests using it skip."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


def on_small_disk(
    mount: Path,
    argv: list[str],
    size: str = "64k",
    fill: bool = False,
    read_only: bool = False,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (from the repository root) with a tmpfs of ``size`` at ``mount``, filled or remounted
    read-only first if asked."""
    if not can_mount():
        pytest.skip("user namespaces (unshare -rm) are not available: no tmpfs to fill")
    mount.mkdir(parents=True, exist_ok=True)
    steps = 'mount -t tmpfs -o size="$1" tmpfs "$2" || exit 97'
    if fill:
        steps += '; cat /dev/zero > "$2/filler" 2>/dev/null'
    if read_only:
        steps += '; mount -o remount,ro "$2" || exit 98'
    steps += '; shift 2; exec "$@"'
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", steps, "sh", size, str(mount), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
