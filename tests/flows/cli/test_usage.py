"""Usage errors: every command, given no arguments or a bad option, prints click's usage line and one
``Error:`` line and exits 2, never a traceback (issue 12 item 5); help reads cleanly and answers fast."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command

from flows.cli import app, main
from tests.support.shared import ROOT

# Commands that do their job with no arguments at all (everything has a default), exempt from the
# no-argument case only. Any other command must refuse to run without its arguments.
RUN_WITHOUT_ARGUMENTS = {
    "demo",
    "validate",
    "lake optimize",
    "lake vacuum",
    "lake checkpoint",
    "lake history",
    "lake check",
    "lake migrate",
    "lake tables",
    "report",
}


def _walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _walk(sub, [*path, name])


COMMANDS = [(path, command) for path, command in _walk(get_command(app), []) if path]
IDS = [" ".join(path) for path, _ in COMMANDS]


def _is_group(command: Any) -> bool:
    return getattr(command, "commands", None) is not None


def _needs_arguments(command: Any) -> bool:
    return _is_group(command) or any(p.required for p in command.params)


def _is_number(param: Any) -> bool:
    bare = getattr(param, "bare_type", None)  # Typer >= 0.22 (its vendored click): a type name
    name = bare() if callable(bare) else getattr(getattr(param, "type", None), "name", "")
    return str(name) in {"int", "integer", "float"}


def _usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    both = captured.out + captured.err
    assert code == 2, (argv, both)
    assert "Traceback" not in both, both
    assert "Usage: " in both, both
    return captured.out, captured.err


def test_the_command_list_is_complete() -> None:
    """The exemption list names real commands (a renamed command must not slip out of the checks)."""
    names = {" ".join(path) for path, _ in COMMANDS}
    assert names >= RUN_WITHOUT_ARGUMENTS
    assert {"detect", "run", "sql", "serve", "redact", "lake"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_no_arguments_is_a_usage_error(capsys, path, command) -> None:
    name = " ".join(path)
    if name in RUN_WITHOUT_ARGUMENTS:
        assert not _needs_arguments(command), f"{name} now needs arguments: drop it from the exemptions"
        pytest.skip(f"{name} runs with no arguments")
    assert _needs_arguments(command), f"{name} runs without arguments: add it to RUN_WITHOUT_ARGUMENTS"
    _out, err = _usage_error(capsys, path)
    if not _is_group(command):  # a group with no command shows its help (the usage line included)
        assert err.startswith(f"Usage: facetrack {name} "), err
        assert err.count("Error: ") == 1 and err.rstrip().splitlines()[-1].startswith("Error: "), err


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_an_unknown_option_is_a_usage_error(capsys, path, command) -> None:
    _, err = _usage_error(capsys, [*path, "--nosuch"])
    assert err.rstrip().splitlines()[-1].startswith("Error: No such option: --nosuch"), err


def _filled(command: Any) -> list[str]:
    """Placeholders for a command's required arguments and options."""
    argv: list[str] = []
    for param in command.params:
        if param.required:
            argv += ["x"] if param.param_type_name == "argument" else [param.opts[0], "x"]
    return argv


@pytest.mark.parametrize(
    ("path", "command"),
    [(p, c) for p, c in COMMANDS if not _is_group(c)],
    ids=[i for i, (_, c) in zip(IDS, COMMANDS, strict=True) if not _is_group(c)],
)
def test_a_bad_option_value_is_a_usage_error(capsys, path, command) -> None:
    numbers = [p for p in command.params if p.param_type_name == "option" and _is_number(p)]
    if not numbers:
        pytest.skip("no numeric option")
    option = numbers[0].opts[0]
    _, err = _usage_error(capsys, [*path, *_filled(command), option, "notanumber"])
    last = err.rstrip().splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for '{option}'"), err


def test_an_unknown_command_is_a_usage_error(capsys) -> None:
    _, err = _usage_error(capsys, ["nosuch"])
    assert err.rstrip().splitlines()[-1] == "Error: No such command 'nosuch'.", err
    _, err = _usage_error(capsys, ["lake", "nosuch"])
    assert err.rstrip().splitlines()[-1] == "Error: No such command 'nosuch'.", err


@pytest.mark.parametrize("command", ["detect", "redact", "run"])
def test_a_missing_file_is_one_line_and_exit_2(capsys, tmp_path, command) -> None:
    missing = str(tmp_path / "nowhere.mp4")
    extra = ["--lake", str(tmp_path / "lake")] if command == "run" else []
    code = main([command, missing, *extra])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.out + captured.err
    assert captured.err.count("\n") == 1 and "nowhere.mp4" in captured.err, captured.err


def _entry_point() -> str:
    script = os.path.join(os.path.dirname(sys.executable), "facetrack")
    if not os.path.exists(script):
        pytest.skip("the facetrack console script is not installed in this environment")
    return script


def test_the_installed_command_prints_usage_not_a_traceback() -> None:
    done = subprocess.run([_entry_point(), "nosuch"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0].startswith("Usage: facetrack ")
    assert done.stderr.rstrip().splitlines()[-1] == "Error: No such command 'nosuch'."


def _help_of(path: list[str]) -> str:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_reads_cleanly(path, command) -> None:
    text = _help_of(path)
    assert not re.search(r" \.(\s|$)", text), text  # a stray " ." (not "./path")
    if any(p.name == "lake" for p in command.params):
        assert "[default: $FACETRACK_LAKE if set, else ./facetrack-data/lake]" in " ".join(text.split())


def test_the_lake_default_in_help_is_the_one_the_store_uses() -> None:
    from flows.cli.options import LAKE_DEFAULT_HELP
    from tasks.lake.store import DEFAULT_LAKE, LAKE_ENV

    assert f"${LAKE_ENV} if set, else {DEFAULT_LAKE}" == LAKE_DEFAULT_HELP


def test_help_loads_no_heavy_library() -> None:
    """`facetrack --help` answers in ~0.1 s: the CLI's import (and its help) loads no data library and
    not Rich (Typer's Rich help layout alone took 0.3 s)."""
    heavy = (
        "numpy",
        "polars",
        "pyarrow",
        "deltalake",
        "prefect",
        "great_expectations",
        "rich",
        "onnxruntime",
    )
    code = (
        "import sys, contextlib, io\n"
        "from flows.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help']); main(['sql', '--help']); main(['lake', '--help'])\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
