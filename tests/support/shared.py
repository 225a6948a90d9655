"""Where ``../shared`` is (the ground-truthed corpus and the contract's own checker), and a clear skip
for the tests that need it when it is absent (a user's fresh clone has none)."""

from __future__ import annotations

import os
import sys
from types import ModuleType

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
SHARED_FORMAT = os.path.normpath(os.path.join(ROOT, "..", "shared", "format"))


def shared_check_output() -> ModuleType:
    """The contract checker that ships beside the schema in ../shared, or a skip when it is absent."""
    path = os.path.join(SHARED_FORMAT, "check_output.py")
    if not os.path.exists(path):
        pytest.skip("../shared/format/check_output.py is not present (fresh clone): cross-check skipped")
    if SHARED_FORMAT not in sys.path:
        sys.path.insert(0, SHARED_FORMAT)
    import check_output

    return check_output
