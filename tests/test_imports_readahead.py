"""`portfolio import FILE` reads the sheet in a second process while the app starts: the same
preview, the same refusals, and a read here whenever the child's read would not be the same."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlmodel import Session

from importers.options import ReadOptions
from importers.workbook import read_workbook
from portfolio.imports import readahead
from portfolio.imports import services as svc
from tests.conftest import snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "portefolje.xlsx"


@pytest.fixture
def reads_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the command read the sheet in its own process."""
    calls: list[int] = []
    real = svc.read_sheet

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(svc, "read_sheet", counted)
    return calls


def _run(runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, ahead: bool, *args: str) -> Any:
    monkeypatch.setattr(readahead, "_allowed", ahead)
    return runner.invoke(args=["import", *args])


def test_the_sheet_read_ahead_gives_the_preview_read_here_gives(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, reads_here: list[int]
) -> None:
    here = _run(runner, monkeypatch, False, str(SAMPLE), "--dry-run", "--json")
    assert here.exit_code == 0, here.output
    assert len(reads_here) == 1
    ahead = _run(runner, monkeypatch, True, str(SAMPLE), "--dry-run", "--json")
    assert ahead.exit_code == 0, ahead.output
    assert len(reads_here) == 1  # the child's read was used: no second read here
    assert json.loads(ahead.stdout) == json.loads(here.stdout)
    assert json.loads(ahead.stdout)["counts"]["new"] >= 38


def test_a_choice_that_changes_the_read_is_read_here(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, reads_here: list[int]
) -> None:
    args = (str(SAMPLE), "--dry-run", "--json", "--blank-unparsable", "budget_dkk")
    result = _run(runner, monkeypatch, True, *args)
    assert result.exit_code == 0, result.output
    assert len(reads_here) == 1
    assert json.loads(result.stdout)["counts"]["new"] >= 38


def test_a_refused_workbook_is_refused_alike_and_nothing_is_written(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, session: Session, tmp_path: Path
) -> None:
    fake = tmp_path / "projekter.xlsx"
    fake.write_text("Sagsnr.;Projektnavn\n1;Bilagsapp\n", encoding="utf-8")
    before = snapshot(session)
    here = _run(runner, monkeypatch, False, str(fake))
    ahead = _run(runner, monkeypatch, True, str(fake))
    assert here.exit_code == ahead.exit_code == 1
    assert ahead.stderr == here.stderr and "CSV" in ahead.stderr
    assert snapshot(session) == before


def test_other_bytes_or_other_choices_are_never_taken_and_the_child_is_reaped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readahead, "_allowed", True)
    data = SAMPLE.read_bytes()
    plain = ReadOptions()
    limit = 20 * 1024 * 1024

    child = readahead.start(SAMPLE, sheet=None, plain=True)
    assert child is not None
    assert child.take(data + b"\0", sheet=None, options=plain, max_bytes=limit) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)

    child = readahead.start(SAMPLE, sheet=None, plain=True)
    assert child is not None
    mapped = ReadOptions(mapping={"Fase": "ignore"})
    assert child.take(data, sheet=None, options=mapped, max_bytes=limit) is None
    assert child.take(data, sheet="Andet ark", options=plain, max_bytes=limit) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)

    child = readahead.start(SAMPLE, sheet=None, plain=True)
    assert child is not None
    assert child.take(data, sheet=None, options=plain, max_bytes=limit) == read_workbook(data)

    assert readahead.start(SAMPLE, sheet=None, plain=False) is None
    monkeypatch.setattr(readahead, "_allowed", False)
    assert readahead.start(SAMPLE, sheet=None, plain=True) is None
