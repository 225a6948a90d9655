"""What a Python user imports: the package roots export their public names, typed, and lazily (importing a
root loads no heavy library until a name is used)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

from tests.support.shared import ROOT


@pytest.mark.parametrize("package", ["models", "tasks", "flows"])
def test_every_public_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, package
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    assert os.path.isfile(os.path.join(ROOT, package, "py.typed"))


def test_importing_the_roots_loads_no_heavy_library() -> None:
    heavy = ("numpy", "polars", "pyarrow", "deltalake", "prefect", "great_expectations", "onnxruntime", "av")
    code = f"import sys, tasks, flows; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error() -> None:
    import tasks

    with pytest.raises(AttributeError, match="no attribute 'no_such_step'"):
        _ = tasks.no_such_step  # type: ignore[attr-defined]
