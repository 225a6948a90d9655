"""Lazy public names for a package's ``__init__`` (PEP 562).

``tasks`` and ``flows`` export their public API from the package root, but importing a root must stay
cheap: every module of the CLI imports one, and ``facetrack --help`` has to answer without loading numpy,
Polars, deltalake, Great Expectations or Prefect. So each public name is imported from its module the
first time it is used, and kept.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, sources: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``sources`` maps each public name to the module defining it."""

    def __getattr__(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
