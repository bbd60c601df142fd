"""What reading a workbook gives back: typed rows, problems, and the one error that stops it."""

from __future__ import annotations

from dataclasses import dataclass, field


class WorkbookError(Exception):
    """The file cannot be used at all; str(error) is one Danish sentence saying what to do."""


@dataclass(frozen=True)
class Problem:
    """Something wrong in one cell (or row) that the user must fix in the sheet."""

    sheet: str
    cell: str | None
    value: str | None
    message: str
    field: str | None = None


@dataclass
class SheetRow:
    """One project row: canonical field -> typed value (None = the cell was empty)."""

    sheet: str
    row_number: int
    values: dict[str, object] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)


@dataclass
class ReadResult:
    sheet: str
    sheet_names: list[str]
    header_row: int
    columns: dict[str, str]
    unmapped_headers: list[str]
    rows: list[SheetRow]
    problems: list[Problem]
