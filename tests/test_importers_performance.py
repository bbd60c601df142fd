"""A large sheet written by an Excel-like writer reads whole and right."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from importers.workbook import read_workbook
from tests.importer_fixtures import HEADERS, row, xlsxwriter_book

ROWS = 5_000
PHASES = ["Idé", "Analyse", "Anskaffelse", "Gennemførelse", "Gevinstrealisering", "Afsluttet"]
STATUSES = ["Grøn", "Gul", "Rød", None]


def _sheet(rows: int) -> bytes:
    """An Excel-like sheet (shared strings, date and money formats) of `rows` projects."""

    def build(wb: object) -> None:
        ws = wb.add_worksheet("Portefølje")  # type: ignore[attr-defined]
        day = wb.add_format({"num_format": "dd-mm-yyyy"})  # type: ignore[attr-defined]
        ws.write_row(0, 0, HEADERS)
        start = date(2024, 1, 1)
        for i in range(rows):
            values = row(
                case_number=f"85.13.00-P20-{i + 1}-24",
                name=f"Projekt {i + 1} – digitalisering af område {i % 97}",
                scope=["Nationalt skal-projekt", "Fælles for hele kommunen", "Afdelingsprojekt"][
                    i % 3
                ],
                kind="Strategisk" if i % 4 == 0 else "Operationelt",
                department=f"Afdeling {i % 7}",
                process_owner=f"Chef {i % 12}",
                project_lead=f"Projektleder {i % 150}",
                phase=PHASES[i % len(PHASES)],
                status=STATUSES[i % len(STATUSES)],
                status_comment="Følger planen." if i % 2 else "Afventer leverandør.",
                budget_dkk=50_000 + (i * 7919) % 5_000_000,
                description=f"Beskrivelse af projekt {i + 1}.",
                link=f"https://kommune.sharepoint.com/sites/TT/procesark/{i + 1}",
            )
            ws.write_row(i + 1, 0, values)
            for col in (10, 11, 12):
                ws.write_datetime(i + 1, col, start + timedelta(days=i % 700 + col), day)

    return xlsxwriter_book(build, constant_memory=True)


def _bare(data: bytes) -> int:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for ws in wb.worksheets for _row in ws.iter_rows(values_only=True))
    wb.close()
    return count


def test_a_large_excel_sheet_reads_whole_and_right() -> None:
    # How fast, against a bare openpyxl parse, is measured by benchmarks/import_10k.py: a timed
    # assertion here failed whenever the machine was busy.
    data = _sheet(ROWS)
    result = read_workbook(data)
    assert len(result.rows) == ROWS and result.problems == []
    assert result.rows[-1].values["start_date"] == date(2024, 1, 1) + timedelta(
        days=4999 % 700 + 10
    )
    assert _bare(data) == ROWS + 1  # the header row and every project, as openpyxl sees them
