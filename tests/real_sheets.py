"""Workbooks as other people's tools write them (XlsxWriter, not openpyxl), for issue 13.

Shared by the reader, columns/values and feature tests: add writers here, don't change the
existing ones' output. Each writer returns the .xlsx bytes; rows are lists in header order.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter

Cells = Sequence[Any]

# A small English-free portfolio in the sheet's own (Danish) headers.
DANISH_HEADERS = ["Projektnavn", "Sagsnr.", "Afdeling", "Fase", "Startdato", "Budget (kr.)"]
DANISH_ROWS: list[list[Any]] = [
    ["Bilagsapp", "85.13.00-P20-1-20", "Økonomi", "Gennemførelse", date(2024, 3, 1), 450_000],
    ["Ny hjemmeside", "85.13.00-P20-2-20", "Kommunikation", "Idé", date(2024, 9, 15), 1_200_000],
    ["Skolernes wifi", "85.13.00-P20-3-20", "Skole", "Afsluttet", date(2023, 1, 10), 75_500],
]


def _book(build: Any, **options: Any) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, **options})
    build(wb)
    wb.close()
    return out.getvalue()


def _write(ws: Any, row: int, col: int, value: Any, date_format: Any) -> None:
    """One cell; dates get a date format so Excel (and the reader) sees a date."""
    if isinstance(value, date | datetime):
        moment = value if isinstance(value, datetime) else datetime(*value.timetuple()[:3])
        ws.write_datetime(row, col, moment, date_format)
    elif value is not None:
        ws.write(row, col, value)


def table_with_totals(
    headers: Sequence[str] = DANISH_HEADERS,
    rows: Sequence[Cells] = DANISH_ROWS,
    *,
    total_column: str = "Budget (kr.)",
    date_1904: bool = False,
    first_row: int = 0,
    title: str = "Portefølje",
    before: Sequence[Cells] = (),
) -> bytes:
    """An Excel table (Insert > Table) with Excel's "Total Row": an empty label and
    =SUBTOTAL(109,[Budget (kr.)]) under the budget column, as Excel writes it."""

    def build(wb: Any) -> None:
        ws = wb.add_worksheet(title)
        date_format = wb.add_format({"num_format": "dd-mm-yyyy"})
        for r, cells in enumerate(before):
            for c, value in enumerate(cells):
                _write(ws, r, c, value, date_format)
        top = first_row + len(before)
        for r, cells in enumerate(rows, start=top + 1):
            for c, value in enumerate(cells):
                _write(ws, r, c, value, date_format)
        columns = [
            {"header": h, **({"total_function": "sum"} if h == total_column else {})}
            for h in headers
        ]
        bottom = top + len(rows) + 1  # the totals row
        ws.add_table(top, 0, bottom, len(headers) - 1, {"columns": columns, "total_row": True})

    return _book(build, date_1904=date_1904)


def plain_sheet(
    rows: Sequence[Cells],
    *,
    title: str = "Portefølje",
    formulas: dict[tuple[int, int], tuple[str, Any]] | None = None,
    date_1904: bool = False,
) -> bytes:
    """Rows written as they are (the first is usually the header); `formulas` maps
    (row, column), 0-based, to (formula, cached value) written over whatever is there."""

    def build(wb: Any) -> None:
        ws = wb.add_worksheet(title)
        date_format = wb.add_format({"num_format": "dd-mm-yyyy"})
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells):
                _write(ws, r, c, value, date_format)
        for (r, c), (formula, value) in (formulas or {}).items():
            ws.write_formula(r, c, formula, None, value)

    return _book(build, date_1904=date_1904)


def totals_line_without_table(
    headers: Sequence[str] = DANISH_HEADERS, rows: Sequence[Cells] = DANISH_ROWS
) -> bytes:
    """A plain range with a sum line under it: no name, no case number, only =SUM(...)."""
    budget = list(headers).index("Budget (kr.)")
    letter = chr(ord("A") + budget)
    last = len(rows) + 1
    total = sum(int(r[budget]) for r in rows)
    return plain_sheet(
        [list(headers), *rows],
        formulas={(last, budget): (f"=SUM({letter}2:{letter}{last})", total)},
    )


def transposed_sheet(
    headers: Sequence[str] = DANISH_HEADERS,
    rows: Sequence[Cells] = DANISH_ROWS,
    *,
    title: str = "Portfolio master",
    label_column: int = 0,
) -> bytes:
    """The same projects kept one per column: field names down column A (or `label_column`),
    as UK department portfolio masters are kept."""

    def build(wb: Any) -> None:
        ws = wb.add_worksheet(title)
        date_format = wb.add_format({"num_format": "dd-mm-yyyy"})
        for r, header in enumerate(headers):
            ws.write(r, label_column, header)
            for c, cells in enumerate(rows, start=label_column + 1):
                _write(ws, r, c, cells[r] if r < len(cells) else None, date_format)

    return _book(build)


# An English-headed sheet as another organisation keeps it: explanations after line breaks and
# in brackets, a five-step rating, money in £m, "Exempt …" text, no scope/kind/phase columns.
ENGLISH_HEADERS = [
    "Use Case Name",
    "SRO\n(Senior Responsible Owner)",
    "Responsible Lead",
    "Delivery Stage",
    "DCA\nDelivery confidence at last review",
    "Latest Update",
    "Project - Start Date (Latest Approved Start Date)",
    "Project - End Date (Latest Approved End Date)",
    "Whole Life Cost\n(£m)",
    "Description / Aims",
]
ENGLISH_ROWS: list[list[Any]] = [
    [
        "Digital Case Management",
        "Jane Doe",
        "Sam Smith",
        "In Progress",
        "Amber/Green",
        "Supplier onboarded",
        date(2024, 4, 1),
        date(2026, 3, 31),
        34,
        "One case system for all teams",
    ],
    [
        "Legacy Exit",
        "John Roe",
        "Ann Lee",
        "Not Started",
        "Amber/Red",
        "Awaiting funding",
        date(2025, 1, 1),
        date(2027, 6, 30),
        "Exempt under Section 43 of the FOI Act",
        "Retire the mainframe",
    ],
    [
        "Website Refresh",
        "Jane Doe",
        "Ola Berg",
        "Closed",
        "Green",
        "Delivered",
        date(2023, 2, 1),
        date(2024, 1, 31),
        1.5,
        "New public website",
    ],
]


def english_portfolio(
    headers: Sequence[str] = ENGLISH_HEADERS, rows: Sequence[Cells] = ENGLISH_ROWS
) -> bytes:
    """ENGLISH_HEADERS over ENGLISH_ROWS, written by XlsxWriter as a plain range."""
    return plain_sheet([list(headers), *rows], title="Portfolio")
