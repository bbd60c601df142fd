"""The sample workbook: realistic, complete, and what the generating script writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from importers.columns import SHEET_COLUMNS, VALUE_LABELS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "portefolje.xlsx"


def _rows(path: Path) -> tuple[list[str], list[dict[str, object]]]:
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    table = next(iter(ws.tables.values()))
    cells = ws[table.ref]
    headers = [str(c.value) for c in cells[0]]
    rows = [{h: c.value for h, c in zip(headers, row, strict=True)} for row in cells[1:]]
    return headers, rows


def test_the_sample_is_a_realistic_portfolio() -> None:
    headers, rows = _rows(SAMPLE)
    assert headers == [h for _f, h in SHEET_COLUMNS]
    assert 38 <= len(rows) <= 45
    assert {r["Projekttype"] for r in rows} == set(VALUE_LABELS["scope"].values())
    assert len({r["Afdeling"] for r in rows}) >= 6
    assert {r["Fase"] for r in rows} == set(VALUE_LABELS["phase"].values())
    assert {r["Status"] for r in rows} == {*VALUE_LABELS["status"].values(), None}
    names = " ".join(str(r["Projektnavn"]) for r in rows).lower()
    for app in ("bilagsapp", "kørselsapp", "fraværsapp"):
        assert app in names
    national = [r for r in rows if r["Projekttype"] == "Nationalt skal-projekt"]
    assert len(national) >= 5
    assert len({r["Sagsnr."] for r in rows}) == len(rows)


def test_the_script_regenerates_the_same_rows(tmp_path: Path) -> None:
    target = tmp_path / "again.xlsx"
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "sample_data" / "make_sample_workbook.py"), str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert _rows(target) == _rows(SAMPLE)
