"""The promise that CI runs the README's own test command, and then ruff and mypy; and checks
of the code itself that no other test makes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```")
    return [line.strip() for block in blocks[1::2] for line in block.splitlines()]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = [c for c in _readme_commands() if "pytest" in c and "pip install" in c]
    assert len(commands) == 1, commands
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands[0] in ci_lines


def test_ci_fails_on_lint_formatting_and_type_errors_after_the_tests() -> None:
    """ruff and mypy run in .ci/run, not in pytest; `set -e` makes any finding fail CI."""
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "set -euo pipefail" in ci_lines
    tests = next(i for i, line in enumerate(ci_lines) if ".venv/bin/pytest" in line)
    after = ci_lines[tests + 1 :]
    for check in (".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"):
        assert check in after, check


def test_readme_start_command_installs_and_runs_the_demo() -> None:
    starts = [c for c in _readme_commands() if "portfolio run --demo" in c]
    assert len(starts) == 1 and "pip install" in starts[0]


def test_every_audit_action_the_code_writes_has_a_danish_label() -> None:
    """The audit log shows an action in words; a new action without a label would show its
    key ("sso_login") to the user."""
    from portfolio.domain import ACTION_LABELS

    written = set()
    for path in (ROOT / "portfolio").rglob("*.py"):
        written |= set(re.findall(r'\baction="([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(written) >= 10
    assert sorted(written - set(ACTION_LABELS)) == []


def test_no_view_imports_another_view() -> None:
    """Features meet in services and the core, not in each other's views."""
    imports = re.compile(r"^\s*(?:from|import) portfolio\.[\w.]*views\b", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "portfolio").rglob("*views.py")
        if imports.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
