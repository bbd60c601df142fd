"""Writes the rollout grid as a workbook: "Udrulning" (one editable row per department × app,
the state as a drop-down) and "Oversigt" (departments × apps, go-live dates and states)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from sqlmodel import Session

from importers.rollout_sheet import (
    COLUMNS,
    DATE_FIELDS,
    MAX_USERS,
    MAX_WEEKS,
    OVERVIEW_NAME,
    SHEET_NAME,
    SHEET_TITLE,
    STATE_LABELS,
)
from portfolio.domain import ROLLOUT_SYMBOLS, RolloutState
from portfolio.exporters.sheet import DATE_FORMAT, safe_text
from portfolio.formats import danish_day
from portfolio.rollout.services import GridCell, grid_cells, today

TITLE_ROW = 1
HEADER_ROW = 3
# Rows below the last cell that keep the drop-down, for rows a user adds by hand.
SPARE_ROWS = 200
WIDTHS = {"department": 28, "project": 20, "state": 16, "blocker": 60}


def export_rollout_sheet(session: Session, target: str | IO[bytes]) -> int:
    """The whole grid as a workbook; returns the number of rows written."""
    return write_rollout_sheet(grid_cells(session), target, exported_on=today())


def write_rollout_sheet(
    cells: Sequence[GridCell], target: str | IO[bytes], *, exported_on: date | None = None
) -> int:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101  (a new workbook always has one sheet)
    ws.title = SHEET_NAME
    suffix = f" – udtræk {danish_day(exported_on)}" if exported_on else ""
    _fill_rows(ws, cells, SHEET_TITLE + suffix)
    _fill_overview(wb.create_sheet(OVERVIEW_NAME), cells, suffix)
    if hasattr(target, "write"):
        wb.save(target)  # type: ignore[arg-type]
    else:
        wb.save(str(target))
    return len(cells)


def _value(name: str, grid_cell: GridCell) -> Any:
    if name == "department":
        return grid_cell.department
    if name == "project":
        return grid_cell.project
    value = getattr(grid_cell.cell, name)
    if name == "state":
        return STATE_LABELS[RolloutState(value).value]
    return value


def _put(cell: Any, value: Any) -> None:
    if isinstance(value, str):
        safe_text(cell, value)  # a blocker "=HYPERLINK(…)" stays text
    else:
        cell.value = value
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT


def _fill_rows(ws: Any, cells: Sequence[GridCell], title: str) -> None:
    last_col = get_column_letter(len(COLUMNS))
    safe_text(ws.cell(TITLE_ROW, 1), title)
    ws.cell(TITLE_ROW, 1).style = "Title"
    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")
    ws.cell(TITLE_ROW + 1, 1).value = (
        "Ret tilstand, datoer, implementeringstid, brugere og blokering her, og importér arket "
        "i Portefølje under Udrulning. Afdeling og app skal stå, som Portefølje skriver dem."
    )
    for col, (name, header) in enumerate(COLUMNS, start=1):
        ws.cell(HEADER_ROW, col, header)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS.get(name, 14)
    for r, grid_cell in enumerate(cells, start=HEADER_ROW + 1):
        for col, (name, _header) in enumerate(COLUMNS, start=1):
            cell = ws.cell(r, col)
            _put(cell, _value(name, grid_cell))
            if name == "blocker":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last_row = HEADER_ROW + max(len(cells), 1)
    table = Table(displayName="Udrulning", ref=f"A{HEADER_ROW}:{last_col}{last_row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
    _add_validations(ws, last_row + SPARE_ROWS)


def _letter(name: str) -> str:
    return get_column_letter([f for f, _h in COLUMNS].index(name) + 1)


def _add_validations(ws: Any, until_row: int) -> None:
    first = HEADER_ROW + 1
    states = DataValidation(
        type="list",
        formula1='"' + ",".join(STATE_LABELS.values()) + '"',
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="Ukendt tilstand",
        error="Vælg en tilstand fra listen.",
    )
    states.add(f"{_letter('state')}{first}:{_letter('state')}{until_row}")
    ws.add_data_validation(states)
    dates = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(1990,1,1)",
        formula2="DATE(2100,12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Ikke en dato",
        error="Skriv en dato som dd-mm-åååå, fx 22-10-2020.",
    )
    for name in DATE_FIELDS:
        dates.add(f"{_letter(name)}{first}:{_letter(name)}{until_row}")
    ws.add_data_validation(dates)
    for name, least, most in (("implementation_weeks", 1, MAX_WEEKS), ("users", 0, MAX_USERS)):
        whole = DataValidation(
            type="whole",
            operator="between",
            formula1=str(least),
            formula2=str(most),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ikke et helt tal",
            error=f"Skriv et helt tal mellem {least} og {most}.",
        )
        whole.add(f"{_letter(name)}{first}:{_letter(name)}{until_row}")
        ws.add_data_validation(whole)


def _fill_overview(ws: Any, cells: Sequence[GridCell], suffix: str) -> None:
    """Two blocks of departments × apps, for reading: go-live dates, then states."""
    apps = sorted({c.project for c in cells})
    departments = sorted({c.department for c in cells})
    by_key = {(c.department, c.project): c for c in cells}
    safe_text(ws.cell(1, 1), f"Udrulning – oversigt{suffix}")
    ws.cell(1, 1).style = "Title"
    ws.cell(2, 1).value = (
        "Kun til læsning: ret i arket Udrulning. Datoen er den faktiske idriftsættelse, ellers "
        "den planlagte."
    )
    ws.column_dimensions["A"].width = 28
    for col in range(2, len(apps) + 2):
        ws.column_dimensions[get_column_letter(col)].width = 18
    row = _block(ws, 4, "Idriftsættelse", apps, departments, by_key, _go_live)
    row = _block(ws, row + 1, "Tilstand", apps, departments, by_key, _state_text)
    ws.cell(row + 1, 1, "Tegnforklaring").font = Font(bold=True)
    for i, (value, label) in enumerate(STATE_LABELS.items(), start=row + 2):
        ws.cell(i, 1, f"{ROLLOUT_SYMBOLS[RolloutState(value)]} {label}")
    ws.protection.sheet = True  # no password: a hint that edits belong in Udrulning


def _go_live(grid_cell: GridCell) -> date | None:
    cell = grid_cell.cell
    return cell.actual_go_live or cell.planned_go_live


def _state_text(grid_cell: GridCell) -> str:
    state = RolloutState(grid_cell.cell.state)
    return f"{ROLLOUT_SYMBOLS[state]} {STATE_LABELS[state.value]}"


def _block(
    ws: Any,
    top: int,
    heading: str,
    apps: list[str],
    departments: list[str],
    by_key: dict[tuple[str, str], GridCell],
    show: Any,
) -> int:
    """Writes one matrix from row `top`; returns the row after it."""
    ws.cell(top, 1, heading).font = Font(bold=True)
    ws.cell(top + 1, 1, "Afdeling").font = Font(bold=True)
    for col, app in enumerate(apps, start=2):
        safe_text(ws.cell(top + 1, col), app)
        ws.cell(top + 1, col).font = Font(bold=True)
    for r, department in enumerate(departments, start=top + 2):
        safe_text(ws.cell(r, 1), department)
        for col, app in enumerate(apps, start=2):
            grid_cell = by_key.get((department, app))
            if grid_cell is not None:
                _put(ws.cell(r, col), show(grid_cell))
    return top + 2 + len(departments)
