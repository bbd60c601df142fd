"""The exported workbook has the SharePoint sheet's shape, and text never becomes a formula."""

from __future__ import annotations

import zipfile
from datetime import date
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from importers.columns import SHEET_COLUMNS
from portfolio.exporters.sheet import FORMULA_TRIGGERS, write_portfolio_sheet


def _export(rows: list[dict[str, object]]) -> bytes:
    out = BytesIO()
    write_portfolio_sheet(rows, out, exported_on=date(2026, 11, 22))
    return out.getvalue()


def test_the_sheet_has_headers_table_dropdowns_frozen_header_and_typed_cells() -> None:
    data = _export(
        [
            {
                "name": "Bilagsapp",
                "scope": "municipal",
                "kind": "operational",
                "phase": "implementation",
                "status": "yellow",
                "start_date": date(2020, 3, 1),
                "budget_dkk": 450_000,
            }
        ]
    )
    ws = load_workbook(BytesIO(data)).active
    assert ws is not None
    table = next(iter(ws.tables.values()))
    header = [c.value for c in ws[table.ref][0]]
    assert header == [h for _f, h in SHEET_COLUMNS]
    assert table.autoFilter is not None or table.tableStyleInfo is not None
    row = dict(zip(header, ws[table.ref][1], strict=True))
    assert row["Projekttype"].value == "Fælles for hele kommunen"
    assert row["Status"].value == "Gul"
    assert row["Startdato"].is_date and row["Startdato"].value.date() == date(2020, 3, 1)
    assert row["Budget (kr.)"].value == 450_000 and "kr." in row["Budget (kr.)"].number_format
    assert ws.freeze_panes is not None
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert any("Grøn" in f and "Rød" in f for f in lists.values())
    assert any("Nationalt skal-projekt" in f for f in lists.values())
    assert any("Gevinstrealisering" in f for f in lists.values())


def test_text_starting_like_a_formula_stays_text() -> None:
    nasty = ['=HYPERLINK("http://evil","klik")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    data = _export(
        [
            {
                "name": text,
                "status_comment": text,
                "scope": "national",
                "kind": "strategic",
                "phase": "idea",
            }
            for text in nasty
        ]
    )
    with zipfile.ZipFile(BytesIO(data)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    ws = load_workbook(BytesIO(data)).active
    assert ws is not None
    names = [ws.cell(row=r, column=2) for r in range(4, 4 + len(nasty))]
    # Excel shows _x000D_ as the CR it stands for; our importer reads it back the same way
    assert [unescape(c.value) for c in names] == nasty
    assert all(c.data_type == "s" for c in names)
    assert all(t.startswith(FORMULA_TRIGGERS) for t in nasty)
