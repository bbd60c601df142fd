"""Writes the portfolio in the SharePoint sheet's shape: Danish headers, a table, drop-downs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from importers.columns import SHEET_COLUMNS, SHEET_NAME, SHEET_TITLE, VALUE_LABELS
from importers.values import MONEY_FIELDS
from portfolio.formats import danish_day

TITLE_ROW = 1
HEADER_ROW = 3
DATE_FORMAT = "dd-mm-yyyy"
MONEY_FORMAT = '#,##0 "kr."'
# A text starting with one of these would be read by a spreadsheet as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
WIDTHS = {"name": 42, "status_comment": 48, "description": 48, "link": 40, "case_number": 20}


_ESCAPED = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
# Characters XML cannot carry as they are: a CR becomes LF when read back, the rest are illegal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def ooxml_text(text: str) -> str:
    """Text as Excel stores it: control characters as _xHHHH_ (a CR as _x000D_), and a literal
    "_x0041_" protected as "_x005F_x0041_" so that reading it back gives the same text."""
    text = _ESCAPED.sub(r"_x005F\1", text)
    return _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def safe_text(cell: Any, text: str) -> None:
    """Put text in a cell so that it stays text: never a formula, whatever it starts with."""
    cell.value = ooxml_text(text)
    if text.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True


def _cell_value(field: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if hasattr(value, "value"):
        value = value.value
    if field in VALUE_LABELS:
        return VALUE_LABELS[field].get(str(value), str(value))
    return value


def write_portfolio_sheet(
    rows: Iterable[Mapping[str, Any]],
    target: str | IO[bytes],
    *,
    exported_on: date | None = None,
) -> int:
    """Writes rows with canonical field names to `target`; returns the number of rows."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101  (a new workbook always has one sheet)
    ws.title = SHEET_NAME
    title = SHEET_TITLE + (f" – udtræk {danish_day(exported_on)}" if exported_on else "")
    count = fill_portfolio_sheet(ws, rows, title=title)
    if hasattr(target, "write"):
        wb.save(target)  # type: ignore[arg-type]
    else:
        wb.save(str(target))
    return count


def fill_portfolio_sheet(
    ws: Any,
    rows: Iterable[Mapping[str, Any]],
    *,
    title: str,
) -> int:
    """Fills a worksheet in the SharePoint sheet's shape (title, headers, typed cells, table,
    drop-downs, frozen header); returns the number of rows. The standalone export and the
    meeting pack's attachment both use it, so the two can never drift apart."""
    last_col = get_column_letter(len(SHEET_COLUMNS))
    safe_text(ws.cell(TITLE_ROW, 1), title)
    ws.cell(TITLE_ROW, 1).style = "Title"
    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")

    for col, (field, header) in enumerate(SHEET_COLUMNS, start=1):
        ws.cell(HEADER_ROW, col, header)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS.get(field, 16)

    count = 0
    for count, row in enumerate(rows, start=1):
        r = HEADER_ROW + count
        for col, (field, _header) in enumerate(SHEET_COLUMNS, start=1):
            value = _cell_value(field, row.get(field))
            cell = ws.cell(r, col)
            if isinstance(value, str):
                safe_text(cell, value)
            else:
                cell.value = value
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif field in MONEY_FIELDS and value is not None:
                cell.number_format = MONEY_FORMAT

    last_row = HEADER_ROW + max(count, 1)
    ref = f"A{HEADER_ROW}:{last_col}{last_row}"
    table = Table(displayName="Portefoelje", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
    _add_dropdowns(ws, last_row + 500)
    return count


def _add_dropdowns(ws: Any, until_row: int) -> None:
    columns = {field: i for i, (field, _h) in enumerate(SHEET_COLUMNS, start=1)}
    for field, labels in VALUE_LABELS.items():
        letter = get_column_letter(columns[field])
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(labels.values()) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ugyldig værdi",
            error="Vælg en værdi fra listen.",
        )
        dv.add(f"{letter}{HEADER_ROW + 1}:{letter}{until_row}")
        ws.add_data_validation(dv)
