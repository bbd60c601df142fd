"""Lint, types and the promise that CI runs the README's own test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        list(args), cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```")
    return [line.strip() for block in blocks[1::2] for line in block.splitlines()]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = [c for c in _readme_commands() if "pytest" in c and "pip install" in c]
    assert len(commands) == 1, commands
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands[0] in ci_lines


def test_readme_start_command_installs_and_runs_the_demo() -> None:
    starts = [c for c in _readme_commands() if "portfolio run --demo" in c]
    assert len(starts) == 1 and "pip install" in starts[0]
