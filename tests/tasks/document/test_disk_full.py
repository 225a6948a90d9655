"""A full (or read-only) disk under the JSON and the encoder: one line naming the file, no partial file.

The disk is real: a tmpfs a few KiB large, mounted by the test in a user namespace of its own (``unshare
-rm``, no root needed) and filled; the write runs in that namespace, in a child process. Where user
namespaces are not allowed, those tests are skipped; the error line is still checked on a real
ENOSPC from /dev/full.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

import pytest

from tasks.errors import OutputError, os_error_line, storage_full
from tests.support import disks


def on_small_disk(
    mount: Path, code: str, size: str = "64k", fill: bool = True, read_only: bool = False
) -> str:
    """Run Python ``code`` on a small real disk at ``mount`` (``tests.support.disks``); returns its stdout."""
    done = disks.on_small_disk(mount, [sys.executable, "-c", code], size, fill, read_only, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


WRITE_JSON = """
import json, os, sys
from tasks.document.write import write_json_atomic
from tasks.errors import FacetrackError
target = sys.argv[1] if len(sys.argv) > 1 else {target!r}
try:
    write_json_atomic({{"faces": ["x" * 100] * 100}}, target)
    out = {{"error": None}}
except FacetrackError as exc:
    out = {{"error": str(exc), "type": type(exc).__name__, "code": exc.exit_code}}
out["left"] = sorted(os.listdir(os.path.dirname(target)))
print(json.dumps(out))
"""


def test_a_json_on_a_full_disk_is_one_line_naming_it_and_leaves_no_partial_file(tmp_path: Path) -> None:
    mount = tmp_path / "disk"
    target = mount / "json" / "walk.0123456789ab.faces.json"
    out = json.loads(on_small_disk(mount, WRITE_JSON.format(target=str(target))))
    assert out["error"] == f"{target}: no space left on device"
    assert out["type"] == "OutputError" and out["code"] == 2
    assert out["left"] == []  # the temporary file is gone; the directory was made before the disk filled


def test_a_json_on_a_read_only_disk_says_so(tmp_path: Path) -> None:
    mount = tmp_path / "disk"
    target = mount / "walk.faces.json"
    out = json.loads(on_small_disk(mount, WRITE_JSON.format(target=str(target)), fill=False, read_only=True))
    assert out["error"] == f"{target}: read-only file system"
    assert out["left"] == []


def test_a_json_that_fits_is_written_whole(tmp_path: Path) -> None:
    mount = tmp_path / "disk"
    target = mount / "walk.faces.json"
    out = json.loads(on_small_disk(mount, WRITE_JSON.format(target=str(target)), size="1m", fill=False))
    assert out["error"] is None and out["left"] == ["walk.faces.json"]


ENCODE = """
import json, os
import numpy as np
from tasks.video.encode import write_video
from tasks.errors import FacetrackError
target = {target!r}
noise = (np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8) for _ in range(30))
try:
    write_video(target, noise, 25)
    out = {{"error": None}}
except FacetrackError as exc:
    out = {{"error": str(exc), "type": type(exc).__name__}}
out["left"] = sorted(n for n in os.listdir(os.path.dirname(target)) if n != "filler")
print(json.dumps(out))
"""


def test_a_video_on_a_full_disk_is_one_line_naming_it_and_leaves_no_partial_file(tmp_path: Path) -> None:
    mount = tmp_path / "disk"
    target = mount / "walk.redacted.mp4"
    out = json.loads(on_small_disk(mount, ENCODE.format(target=str(target)), size="64k", fill=False))
    assert out["error"] == f"{target}: no space left on device"
    assert out["type"] == "OutputError" and out["left"] == []


def test_a_real_enospc_reads_as_one_line() -> None:
    """/dev/full answers every write with ENOSPC: the genuine error, without a namespace."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with pytest.raises(OSError) as raised, open("/dev/full", "w") as full:
        full.write("x")
        full.flush()
    assert raised.value.errno == errno.ENOSPC
    assert (
        os_error_line("out/walk.faces.json", raised.value) == "out/walk.faces.json: no space left on device"
    )
    assert storage_full(raised.value) == "no space left on device"
    assert issubclass(OutputError, Exception) and OutputError("x").exit_code == 2
