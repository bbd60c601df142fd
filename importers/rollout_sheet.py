"""Reading the rollout sheet (one row per department × app) into typed rows and problems."""

from __future__ import annotations

import math
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from openpyxl.utils.cell import get_column_letter

from importers.container import MAX_BYTES, open_package, read_source
from importers.fields import UNSTORABLE
from importers.openpyxl_adapter import Book, Worksheet, read_book
from importers.results import Problem, WorkbookError
from importers.sheetxml import (
    MAX_EMPTY_RUN,
    CellError,
    MissingCachedValue,
    SheetStream,
    read_shared_strings,
)
from importers.values import (
    CellProblem,
    date_value,
    format_text,
    long_text,
    shorten,
    single_text,
    squash,
)
from importers.workbook import translate_error

SHEET_NAME = "Udrulning"
OVERVIEW_NAME = "Oversigt"
SHEET_TITLE = "Udrulning af apps pr. afdeling"

# The sheet's columns in its own order: export writes these headers, import recognises them.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("department", "Afdeling"),
    ("project", "App"),
    ("state", "Tilstand"),
    ("planned_start", "Planlagt start"),
    ("planned_go_live", "Planlagt idriftsættelse"),
    ("baseline_go_live", "Oprindelig idriftsættelse"),
    ("actual_go_live", "Faktisk idriftsættelse"),
    ("implementation_weeks", "Implementeringstid (uger)"),
    ("users", "Brugere"),
    ("blocker", "Blokering"),
)
HEADERS: dict[str, str] = dict(COLUMNS)
KEY_FIELDS = ("department", "project")
# The cell's own fields the sheet carries (portfolio/rollout/models.py RolloutCellBase); the
# readiness checklist and the contact person are kept in Portefølje only.
VALUE_FIELDS: tuple[str, ...] = tuple(f for f, _h in COLUMNS if f not in KEY_FIELDS)
DATE_FIELDS = ("planned_start", "planned_go_live", "baseline_go_live", "actual_go_live")
NOT_IN_SHEET = frozenset({"readiness"})

# RolloutState's values and the Danish words the sheet writes (portfolio/domain.py LABELS;
# tests/test_rollout_sheet.py checks the two agree, since importers/ may not import portfolio).
STATE_LABELS: dict[str, str] = {
    "not_started": "Ikke startet",
    "preparing": "Forberedes",
    "in_progress": "I gang",
    "live": "I drift",
    "postponed": "Udskudt",
    "not_relevant": "Ikke relevant",
}
_STATE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "not_started": ("Not started", "Ikke påbegyndt"),
    "preparing": ("Preparing", "Forberedelse", "Under forberedelse"),
    "in_progress": ("In progress", "Igang", "I gang med"),
    "live": ("Live", "I produktion", "Idriftsat", "Driftsat"),
    "postponed": ("Postponed", "Udsat"),
    "not_relevant": ("Not relevant", "Ikke aktuel", "Irrelevant"),
}
_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "department": ("Department", "Afd.", "Forvaltning"),
    # Not "Projektnavn" nor "Status": the portfolio sheet's own columns must not pass for these.
    "project": ("Projekt", "Application", "Applikation"),
    "state": ("State", "Udrulningstilstand"),
    "planned_start": ("Planned start", "Start"),
    "planned_go_live": ("Planned go-live", "Planlagt go-live", "Go-live"),
    "baseline_go_live": ("Baseline go-live", "Oprindelig go-live", "Baseline"),
    "actual_go_live": ("Actual go-live", "Faktisk go-live", "I drift fra"),
    "implementation_weeks": ("Implementation weeks", "Implementeringstid", "Uger"),
    "users": ("Users", "Antal brugere"),
    "blocker": ("Blocker", "Blokeringer", "Forhindring"),
}

_Rows = Iterator[tuple[int, list[tuple[int, object]]]]
HEADER_SCAN_ROWS = 30
MAX_ROWS = 50_000
MAX_WEEKS = 520
MAX_USERS = 10_000_000
MAX_BLOCKER = 2000  # RolloutCellBase.blocker's max_length
_DIGITS = re.compile(r"\d{1,3}(?:\.\d{3})+|\d+")


def _index(table: dict[str, str], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for key, own in table.items():
        for spelling in (key, own, *synonyms.get(key, ())):
            if index.setdefault(squash(spelling), key) != key:
                raise RuntimeError(f"{spelling!r} names two values")  # a table bug
    return index


STATE_INDEX = _index(STATE_LABELS, _STATE_SYNONYMS)
HEADER_INDEX = _index(HEADERS, _HEADER_SYNONYMS)


@dataclass
class RolloutRow:
    """One row: the department and app it names, and field -> typed value (None: empty)."""

    sheet: str
    row_number: int
    department: str
    project: str
    values: dict[str, object] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)  # field -> "C7"


@dataclass
class RolloutReadResult:
    sheet: str
    header_row: int
    columns: dict[str, str]  # field -> the header as written
    rows: list[RolloutRow]
    problems: list[Problem]


def read_rollout_sheet(
    source: str | os.PathLike[str] | bytes | BinaryIO, *, max_bytes: int = MAX_BYTES
) -> RolloutReadResult:
    """Reads the rollout sheet; raises WorkbookError when the file cannot be used at all.

    The same gate as the portfolio import (size, zip bombs, DTDs, damaged parts) comes first;
    problems in single cells are returned, each naming its cell.
    """
    data = read_source(source, max_bytes)
    package = open_package(data)
    try:
        try:
            book = read_book(data)
        except Exception as exc:  # openpyxl raises many types on malformed parts; all the same
            raise translate_error(exc) from exc
        try:
            return _Reader(book, package).read()
        except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            raise translate_error(exc) from exc
    finally:
        package.close()


def state_value(raw: object) -> str | None:
    """The RolloutState value a cell means; the drop-down's words, a symbol before them, or
    the English names."""
    text = single_text(raw)
    if text is None:
        return None
    value = STATE_INDEX.get(squash(text))
    if value is None:
        allowed = list(STATE_LABELS.values())
        raise CellProblem(
            f"“{text}” er ikke en kendt tilstand – brug {', '.join(allowed[:-1])} "
            f"eller {allowed[-1]} (listen i cellen)."
        )
    return value


def whole_number(raw: object, *, header: str, least: int, most: int) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise CellProblem(f"“{format_text(raw)}” er ikke et tal – skriv et helt tal i {header}.")
    number: float | None = None
    if isinstance(raw, int | float):
        number = raw
    else:
        text = single_text(raw)
        if text is None:
            return None
        if _DIGITS.fullmatch(text):
            number = int(text.replace(".", ""))
    if number is None or not math.isfinite(number) or not float(number).is_integer():
        raise CellProblem(
            f"“{format_text(raw)}” er ikke et helt tal – skriv et helt tal i {header}, fx 12."
        )
    value = int(number)
    if not least <= value <= most:
        raise CellProblem(f"{header} skal være mellem {least} og {most:,}".replace(",", ".") + ".")
    return value


def blocker_value(raw: object) -> str | None:
    text = long_text(raw)
    if text is None:
        return None
    if "\x00" in text or re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f]", text):
        raise CellProblem(UNSTORABLE)
    if len(text) > MAX_BLOCKER:
        raise CellProblem(
            f"Blokeringen er for lang ({len(text)} tegn) – skriv højst {MAX_BLOCKER} tegn."
        )
    return text


def _convert(field_name: str, raw: object, book: Book) -> object:
    if field_name in KEY_FIELDS:
        return single_text(raw)
    if field_name == "state":
        return state_value(raw)
    if field_name in DATE_FIELDS:
        return date_value(raw, book.epoch)
    if field_name == "implementation_weeks":
        return whole_number(raw, header=f"“{HEADERS[field_name]}”", least=1, most=MAX_WEEKS)
    if field_name == "users":
        return whole_number(raw, header=f"“{HEADERS[field_name]}”", least=0, most=MAX_USERS)
    return blocker_value(raw)


class _Reader:
    def __init__(self, book: Book, package: zipfile.ZipFile) -> None:
        self.book = book
        self.package = package
        self.strings: list[str] = []
        path = book.shared_strings
        if path is not None and path in package.namelist():
            with package.open(path) as source:
                self.strings = read_shared_strings(source)

    def read(self) -> RolloutReadResult:
        sheets = self.book.worksheets
        named = [ws for ws in sheets if squash(ws.title) == squash(SHEET_NAME)]
        others = [ws for ws in sheets if ws not in named and ws.state == "visible"]
        for ws in named + others:
            stream = self._open(ws)
            try:
                rows = stream.rows()
                found = self._header(rows)
                if found is not None:
                    return self._rows(ws, stream, rows, *found)
            finally:
                stream.close()
        raise WorkbookError(
            f"Filen har intet ark med kolonnerne “{HEADERS['department']}” og "
            f"“{HEADERS['project']}” – brug arket “{SHEET_NAME}”, som Portefølje eksporterer, "
            "og prøv igen."
        )

    def _open(self, ws: Worksheet) -> SheetStream:
        try:
            source = self.package.open(ws.path)
        except KeyError:
            raise WorkbookError(
                "Filen er beskadiget og kan ikke læses som regneark – åbn den i Excel, gem den "
                "igen som Excel-projektmappe (.xlsx), og prøv igen."
            ) from None
        return SheetStream(
            source,
            title=ws.title,
            shared_strings=self.strings,
            epoch=self.book.epoch,
            date_styles=self.book.date_styles,
            duration_styles=self.book.duration_styles,
        )

    @staticmethod
    def _header(rows: _Rows) -> tuple[int, dict[int, str], dict[str, str]] | None:
        """The header row: its number, column -> field, and field -> the text written."""
        for count, (number, cells) in enumerate(rows, start=1):
            columns: dict[int, str] = {}
            texts: dict[str, str] = {}
            for col, raw in cells:
                if not isinstance(raw, str):
                    continue
                name = HEADER_INDEX.get(squash(raw))
                if name is not None and name not in texts:
                    columns[col] = name
                    texts[name] = " ".join(raw.split())
            if all(k in texts for k in KEY_FIELDS):
                return number, columns, texts
            if count >= HEADER_SCAN_ROWS:
                break
        return None

    def _rows(
        self,
        ws: Worksheet,
        stream: SheetStream,
        rows_left: _Rows,
        header_row: int,
        columns: dict[int, str],
        texts: dict[str, str],
    ) -> RolloutReadResult:
        title = ws.title
        letters = {name: get_column_letter(col) for col, name in columns.items()}
        stream.wanted = set(columns)
        problems: list[Problem] = []
        rows: list[RolloutRow] = []
        for number, cells in rows_left:
            values: dict[str, object] = dict.fromkeys(columns.values())
            row_problems: list[Problem] = []
            for col, raw in cells:
                name = columns[col]
                ref = f"{letters[name]}{number}"
                if isinstance(raw, MissingCachedValue):
                    row_problems.append(
                        Problem(
                            title,
                            ref,
                            None,
                            f"Formlen i {ref} har ingen gemt værdi – åbn og gem filen i Excel, "
                            "og prøv igen.",
                            name,
                        )
                    )
                    continue
                if isinstance(raw, CellError):
                    row_problems.append(
                        Problem(
                            title,
                            ref,
                            str(raw),
                            f"Cellen viser fejlen {raw} – ret formlen eller værdien i Excel.",
                            name,
                        )
                    )
                    continue
                try:
                    values[name] = _convert(name, raw, self.book)
                except CellProblem as problem:
                    row_problems.append(Problem(title, ref, shorten(raw), str(problem), name))
            if not row_problems and all(v is None for v in values.values()):
                continue  # an empty row (a formatted one, or a cleared one)
            department, project = values.pop("department"), values.pop("project")
            for key, value in (("department", department), ("project", project)):
                if value is None and not any(p.field == key for p in row_problems):
                    ref = f"{letters[key]}{number}"
                    row_problems.append(
                        Problem(
                            title,
                            ref,
                            None,
                            f"Rækken mangler {HEADERS[key].lower()} i {ref} – hver række er "
                            "én afdeling og én app.",
                            key,
                        )
                    )
            if values.get("state", "") is None and "state" not in {p.field for p in row_problems}:
                ref = f"{letters['state']}{number}"
                row_problems.append(
                    Problem(
                        title,
                        ref,
                        None,
                        f"Tilstanden mangler i {ref} – vælg en tilstand på listen i cellen.",
                        "state",
                    )
                )
            problems.extend(row_problems)
            if row_problems:
                continue
            rows.append(
                RolloutRow(
                    sheet=title,
                    row_number=number,
                    department=str(department),
                    project=str(project),
                    values={k: v for k, v in values.items() if k in VALUE_FIELDS},
                    cells={name: f"{letter}{number}" for name, letter in letters.items()},
                )
            )
            if len(rows) > MAX_ROWS:
                raise WorkbookError(
                    f"Arket “{title}” har mere end {MAX_ROWS:,} rækker".replace(",", ".")
                    + " – slet rækker, der ikke er udrulninger, og prøv igen."
                )
        if stream.merges:
            problems.extend(self._merged(title, stream, header_row, columns))
        beyond = stream.beyond
        if beyond is not None:
            ref = f"{get_column_letter(beyond[1][0][0])}{beyond[0]}"
            problems.append(
                Problem(
                    title,
                    ref,
                    None,
                    f"Der står data i {ref} efter mere end {MAX_EMPTY_RUN:,}".replace(",", ".")
                    + " tomme rækker, og den del af arket er ikke læst – slet de tomme rækker, "
                    "og prøv igen.",
                    None,
                )
            )
        return RolloutReadResult(
            sheet=title, header_row=header_row, columns=texts, rows=rows, problems=problems
        )

    @staticmethod
    def _merged(
        title: str, stream: SheetStream, header_row: int, columns: dict[int, str]
    ) -> list[Problem]:
        """Merged cells hide values in Excel; each row must say its own department and app."""
        found = []
        for min_col, min_row, max_col, max_row in stream.merges:
            if max_row <= header_row or not any(min_col <= c <= max_col for c in columns):
                continue
            ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
            found.append(
                Problem(
                    title,
                    ref,
                    None,
                    f"Cellerne {ref} er flettet – ophæv fletningen, så hver række har sin egen "
                    "afdeling, app og værdier, og prøv igen.",
                    None,
                )
            )
        return found
