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


@dataclass(frozen=True)
class Placement:
    """How one column of the sheet was placed: its letter (a row number, for a transposed
    sheet), its header, the field it fills, and how it was chosen."""

    column: str
    header: str
    field: str | None
    how: str  # "matched", "mapped" (by the user), "ignored", "unknown"


@dataclass
class ReadResult:
    sheet: str
    sheet_names: list[str]
    header_row: int
    columns: dict[str, str]
    unmapped_headers: list[str]
    rows: list[SheetRow]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)  # read, but the user should know
    placements: list[Placement] = field(default_factory=list)
    # field -> {a value the importer does not know: how many rows hold it}, for value mapping
    unknown_values: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # Danish lines: totals rows left out …
    transposed: bool = False  # one project per column, fields down the first column
