"""The architecture as a test: dependencies point one way, down the data's path, and nothing imports in a
circle. The contracts are in pyproject.toml ([tool.importlinter]); import-linter reads every import,
including those inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.shared import ROOT

LINT_IMPORTS = os.path.join(os.path.dirname(sys.executable), "lint-imports")
PACKAGES = ("models", "tasks", "flows")


def lint_imports(root: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": root}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_no_upward_import_and_no_cycle() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("models/errors.py", "import tasks.errors", "flows (Prefect, CLI) use tasks"),
        ("tasks/video/probe.py", "import tasks.lake.store", "tasks follow the data"),
        ("tasks/lake/schema.py", "import tasks.lake.publish", "no import cycles"),
    ],
)
def test_the_check_fails_on_an_upward_import_or_a_cycle(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    """The same contracts on a copy with one bad import added: each must break, by name."""
    for package in PACKAGES:
        shutil.copytree(os.path.join(ROOT, package), tmp_path / package)
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), tmp_path / "pyproject.toml")
    with open(tmp_path / module, "a", encoding="utf-8") as handle:
        handle.write(f"\n{line}  # added by the test\n")
    done = lint_imports(str(tmp_path))
    assert done.returncode != 0
    assert f"{broken}" in done.stdout.split("Broken contracts")[-1], done.stdout[-3000:]


def test_the_readme_architecture_lists_every_module() -> None:
    """The README's architecture block has one line per module; a module added without one fails here."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    block = readme.split("## Architecture", 1)[1].split("```", 2)[1]
    sections: dict[str, list[str]] = {}
    for line in block.splitlines():
        if line and not line.startswith(" "):
            current = sections.setdefault(line.split()[0].rstrip("/"), [])
        elif line.strip():
            current.append(line.split()[0])
    for package in PACKAGES:
        listed = set(sections[package])
        for path in Path(ROOT, package).rglob("*.py"):
            module = path.relative_to(Path(ROOT, package)).as_posix()
            if path.name == "__init__.py" or module.startswith("cli/"):
                continue
            assert module in listed, f"README architecture: no line for {package}/{module}"
        assert "cli/" in listed or package != "flows"
