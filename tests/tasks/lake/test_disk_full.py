"""A lake on a full disk: one line naming the table (or the video) and "no space left on device", exit 2,
and the table as it was.

The disk is real: a small tmpfs mounted by the test in a user namespace of its own (``unshare -rm``, no
root needed); the writes run in that namespace, in a child process. Skipped where user namespaces are not
allowed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support.disks import on_small_disk

CLI = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"


WRITE = """
import json, os, sys
import numpy as np, pyarrow as pa
from deltalake import DeltaTable
from tasks.lake.commit import write_rows
from tasks.errors import FacetrackError
uri, rows_count = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
rows = pa.table({"video_id": [f"{i % 7:064x}" for i in range(rows_count)], "x": rng.random(rows_count)})
write_rows(uri, rows.slice(0, 1), "face_events (replace first)", create_as="face_events")
if sys.argv[3] == "fill":
    with open(os.path.join(os.path.dirname(uri), "filler"), "wb") as filler:
        try:
            while True:
                filler.write(b"0" * 65536)
        except OSError:
            pass
try:
    write_rows(uri, rows, "face_events (replace 0123456789ab)", mode="append")
    out = {"error": None}
except FacetrackError as exc:
    out = {"error": str(exc), "type": type(exc).__name__, "code": exc.exit_code}
table = DeltaTable(uri)
out["version"] = table.version()
out["rows"] = table.to_pyarrow_table().num_rows
out["files"] = sorted(n for n in os.listdir(uri) if n.endswith(".parquet"))
print(json.dumps(out), flush=True)
os._exit(0)  # as the CLI does after a full disk: delta-rs' runtime may abort while Python shuts down
"""


def test_a_write_to_a_full_disk_is_refused_in_one_line_and_the_table_is_unchanged(tmp_path: Path) -> None:
    mount = tmp_path / "disk"
    done = on_small_disk(
        mount, [sys.executable, "-c", WRITE, str(mount / "face_events"), "1000", "fill"], "4m"
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["type"] == "LakeError" and out["code"] == 2
    assert out["error"].startswith("face_events (replace 0123456789ab): no space left on device (")
    assert "\n" not in out["error"]
    assert out["version"] == 1 and out["rows"] == 1 and len(out["files"]) == 1
    assert "panicked" not in done.stderr  # refused before delta-rs starts: its storage layer never fails


def test_a_disk_that_fills_during_the_write_is_one_line_and_the_table_is_unchanged(tmp_path: Path) -> None:
    """The free space passes the check, then runs out inside delta-rs: its error is recognised.

    delta-rs' storage layer (object_store 0.13's BufWriter) may print a panic from a tokio thread on that
    path before its error comes back (apache/arrow-rs-object-store#810): not ours to silence, so not asserted.
    """
    mount = tmp_path / "disk"
    done = on_small_disk(
        mount, [sys.executable, "-c", WRITE, str(mount / "face_events"), "500000", "-"], "3m"
    )
    if done.returncode < 0 and "object_store" in done.stderr and "panicked" in done.stderr:
        # Sometimes the panic in delta-rs' storage layer aborts the whole process (SIGABRT) instead of
        # coming back as an error: the same upstream bug, with no Python left to say anything.
        pytest.skip("delta-rs aborted on a disk filling mid-write (apache/arrow-rs-object-store#810)")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["error"] == "face_events (replace 0123456789ab): no space left on device"
    assert out["version"] == 1 and out["rows"] == 1 and len(out["files"]) == 1  # no leftover file


@pytest.mark.slow
def test_run_on_a_full_disk_says_so_in_one_line_and_exits_2(tmp_path: Path, clip: str) -> None:
    mount = tmp_path / "disk"
    done = on_small_disk(
        mount, [sys.executable, "-c", CLI, "run", clip, "--lake", str(mount / "lake")], "64k", fill=True
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("facetrack: error: "), done.stderr
    assert "no space left on device" in done.stderr and "panicked" not in done.stderr
