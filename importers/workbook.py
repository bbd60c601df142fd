"""Reading the portfolio sheet from an .xlsx file into typed rows and problems."""

from __future__ import annotations

import os
import zipfile
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from openpyxl.utils.cell import get_column_letter

from importers.container import MAX_BYTES, open_package, read_source
from importers.fields import link_error
from importers.headers import HeaderRow, Mapping, resolve_header
from importers.openpyxl_adapter import Book, Worksheet, link_targets, read_book
from importers.results import Problem, ReadResult, SheetRow, WorkbookError
from importers.sheetxml import (
    MAX_EMPTY_RUN,
    CellError,
    MissingCachedValue,
    SheetStream,
    read_shared_strings,
)
from importers.values import (
    TOTAL_WORDS,
    CellProblem,
    Converter,
    converter_for,
    shorten,
    squash,
)

__all__ = ["Problem", "ReadResult", "SheetRow", "WorkbookError", "read_workbook"]

# The header is looked for among the first rows that have anything in them.
HEADER_SCAN_ROWS = 30
# A municipality's portfolio has hundreds of projects; this bounds a hostile sheet's cost.
MAX_ROWS = 50_000

SECURITY = (
    "Filen indeholder XML-konstruktioner (DTD-entiteter), som afvises af sikkerhedshensyn – "
    "åbn den i Excel, gem den igen som Excel-projektmappe (.xlsx), og prøv igen."
)
CORRUPT = (
    "Filen er beskadiget og kan ikke læses som regneark – åbn den i Excel, gem den igen som "
    "Excel-projektmappe (.xlsx), og prøv igen."
)
NO_NAME = "fx “Projektnavn” eller “Projekt”"


def read_workbook(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    max_bytes: int = MAX_BYTES,
) -> ReadResult:
    """Reads the portfolio sheet; raises WorkbookError when the file cannot be used at all.

    `sheet` picks a sheet by name (hidden ones too); otherwise the visible sheet whose header
    matches best is used. `mapping` maps header texts to fields ("" or "ignore" skips one).
    The format is told from the bytes, whatever the file is called.
    """
    data = read_source(source, max_bytes)
    chosen = Mapping(mapping)
    package = open_package(data)
    try:
        try:
            book = read_book(data)
        except Exception as exc:  # openpyxl raises many types on malformed parts; all the same
            raise translate_error(exc) from exc
        try:
            return _Reader(book, package, chosen).read(sheet)
        except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            # Met while streaming a sheet: damaged XML or zip data, or defusedxml refusing.
            raise translate_error(exc) from exc
    finally:
        package.close()


def translate_error(exc: BaseException) -> WorkbookError:
    seen: BaseException | None = exc
    while seen is not None:
        # defusedxml's errors (EntitiesForbidden, DTDForbidden, ...) all live in its module.
        if type(seen).__module__.startswith("defusedxml"):
            return WorkbookError(SECURITY)
        seen = seen.__cause__ or seen.__context__
    return WorkbookError(CORRUPT)


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _quoted(names: list[str], last: str = "eller") -> str:
    shown = [f"“{n}”" for n in names]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" {last} " + shown[-1]


@dataclass
class _Scan:
    """A sheet's first rows, read while looking for its header; the stream goes on from there."""

    sheet: Worksheet
    stream: SheetStream
    rows: Iterator[tuple[int, list[tuple[int, object]]]]
    seen: list[tuple[int, list[tuple[int, object]]]]
    header: HeaderRow | None

    @property
    def score(self) -> int:
        return self.header.score if self.header else 0


@dataclass
class _Row:
    number: int
    values: dict[str, object]
    problems: list[Problem]


class _Reader:
    def __init__(self, book: Book, package: zipfile.ZipFile, mapping: Mapping) -> None:
        self.book = book
        self.package = package
        self.mapping = mapping
        self.worksheets = book.worksheets
        self.names = [ws.title for ws in self.worksheets]
        self.strings: list[str] = []
        strings_path = book.shared_strings
        if strings_path is not None and strings_path in package.namelist():
            with package.open(strings_path) as source:
                self.strings = read_shared_strings(source)

    # -- choosing the sheet and its header -------------------------------------------------

    def read(self, sheet: str | None) -> ReadResult:
        if not self.worksheets:
            raise WorkbookError(
                "Filen indeholder ingen regneark med celler – vælg porteføljearket (.xlsx)."
            )
        if sheet is not None:
            candidates = [self._find(sheet)]
        else:
            candidates = [ws for ws in self.worksheets if ws.state == "visible"]
            candidates = candidates or self.worksheets
        scans: list[_Scan] = []
        try:
            for ws in candidates:
                scans.append(self._scan(ws))
            best = max(scans, key=lambda s: s.score)  # the first of equals wins
            if best.header is None or best.score == 0:
                raise self._no_header(scans, explicit=sheet is not None)
            return self._read_rows(best, best.header)
        finally:
            for scan in scans:
                scan.stream.close()

    def _find(self, name: str) -> Worksheet:
        for ws in self.worksheets:
            if ws.title == name:
                return ws
        wanted = " ".join(name.split()).casefold()
        for ws in self.worksheets:
            if " ".join(ws.title.split()).casefold() == wanted:
                return ws
        if name in self.book.sheet_names:
            raise WorkbookError(
                f"Arket “{name}” er et diagramark uden tabel – vælg et af arkene "
                f"{_quoted(self.names)}."
            )
        raise WorkbookError(
            f"Arket “{name}” findes ikke i filen – vælg et af arkene {_quoted(self.names)}."
        )

    def _open(self, ws: Worksheet) -> SheetStream:
        try:
            source = self.package.open(ws.path)
        except KeyError:
            raise WorkbookError(CORRUPT) from None
        try:
            return SheetStream(
                source,
                title=ws.title,
                shared_strings=self.strings,
                epoch=self.book.epoch,
                date_styles=self.book.date_styles,
                duration_styles=self.book.duration_styles,
            )
        except BaseException:
            source.close()
            raise

    def _scan(self, ws: Worksheet) -> _Scan:
        stream = self._open(ws)
        rows = stream.rows()
        seen: list[tuple[int, list[tuple[int, object]]]] = []
        best: HeaderRow | None = None
        for number, cells in rows:
            seen.append((number, cells))
            if any(isinstance(value, str) for _col, value in cells):
                header = resolve_header(number, cells, self.mapping)
                if header.score > (best.score if best else 0):
                    best = header
            if len(seen) >= HEADER_SCAN_ROWS:
                break
        return _Scan(ws, stream, rows, seen, best)

    def _no_header(self, scans: list[_Scan], *, explicit: bool) -> WorkbookError:
        if not explicit:
            for ws in self.worksheets:
                if ws.state == "visible":
                    continue
                scan = self._scan(ws)
                scan.stream.close()
                if scan.score:
                    return WorkbookError(
                        f"Ingen af de synlige ark har en kolonne med projektnavn ({NO_NAME}), "
                        f"men det skjulte ark “{ws.title}” har – vælg det ark, hvis det er det "
                        "rigtige."
                    )
        if len(scans) == 1:
            scan = scans[0]
            found = self._header_texts(scan)
            among = f" blandt overskrifterne {_quoted(found, 'og')}" if found else ""
            return WorkbookError(
                f"Arket “{scan.sheet.title}” har ingen kolonne med projektnavn ({NO_NAME})"
                f"{among} – omdøb kolonnen, eller knyt den til projektnavn manuelt."
            )
        return WorkbookError(
            f"Ingen af arkene {_quoted([s.sheet.title for s in scans])} har en overskriftsrække "
            f"med en kolonne for projektnavn ({NO_NAME}) – tilføj overskrifterne, eller vælg "
            "arket og kolonnerne manuelt."
        )

    def _header_texts(self, scan: _Scan) -> list[str]:
        """The texts of the row that looks most like a header, to show the user."""
        best: list[str] = []
        for _number, cells in scan.seen:
            texts = [" ".join(v.split()) for _c, v in cells if isinstance(v, str) and v.strip()]
            if len(texts) > len(best):
                best = texts
        return best[:8]

    # -- the data rows ---------------------------------------------------------------------

    def _read_rows(self, scan: _Scan, header: HeaderRow) -> ReadResult:
        title = scan.sheet.title
        stream = scan.stream
        by_column = sorted((col, field) for field, col in header.columns.items())
        letters = {field: get_column_letter(col) for col, field in by_column}
        specs: dict[int, tuple[str, Converter]] = {
            col: (
                field,
                converter_for(
                    field,
                    f"“{header.texts[col]}”",
                    unit=header.units.get(field, 1),
                    epoch=self.book.epoch,
                ),
            )
            for col, field in by_column
        }
        template: dict[str, object] = {field: None for _col, field in by_column}
        stream.wanted = set(specs)

        rows: list[_Row] = []
        later = (item for item in scan.seen if item[0] > header.row)
        for number, cells in chain(later, scan.rows):
            values = template.copy()
            problems: list[Problem] = []
            for col, raw in cells:
                spec = specs.get(col)
                if spec is None:
                    continue
                field, convert = spec
                kind = raw.__class__
                if kind is MissingCachedValue or kind is CellError:
                    del values[field]
                    problems.append(self._special(title, letters[field], number, field, raw))
                    continue
                try:
                    values[field] = convert(raw)
                except CellProblem as problem:
                    del values[field]
                    ref = f"{letters[field]}{number}"
                    problems.append(Problem(title, ref, shorten(raw), str(problem), field))
            if problems or any(v is not None for v in values.values()):
                rows.append(_Row(number, values, problems))
                if len(rows) > MAX_ROWS:
                    raise WorkbookError(
                        f"Arket “{title}” har mere end {_thousands(MAX_ROWS)} projektrækker – "
                        "del det op, eller slet rækker, der ikke er projekter."
                    )

        merged = self._apply_merges(stream, rows, header, letters)
        self._apply_hyperlinks(scan, rows, letters)
        self._check_links(title, rows, letters, merged)
        result_rows, problems = self._check_rows(title, rows, letters, merged)
        beyond = stream.beyond
        cols = [col for col, _value in beyond[1] if col in specs] if beyond else []
        if beyond and cols:
            ref = f"{get_column_letter(cols[0])}{beyond[0]}"
            problems.append(
                Problem(
                    title,
                    ref,
                    None,
                    f"Der står data i {ref} efter mere end {_thousands(MAX_EMPTY_RUN)} tomme "
                    "rækker, og den del af arket er ikke læst – slet de tomme rækker, og prøv "
                    "igen.",
                    None,
                )
            )
        return ReadResult(
            sheet=title,
            sheet_names=list(self.names),
            header_row=header.row,
            columns={field: header.texts[col] for col, field in by_column},
            unmapped_headers=list(header.unmapped),
            rows=result_rows,
            problems=problems,
        )

    @staticmethod
    def _special(title: str, letter: str, number: int, field: str, raw: object) -> Problem:
        ref = f"{letter}{number}"
        if isinstance(raw, MissingCachedValue):
            message = (
                f"Formlen i {ref} har ingen gemt værdi – åbn og gem filen i Excel, og prøv igen."
            )
            return Problem(title, ref, None, message, field)
        message = f"Cellen viser fejlen {raw} – ret formlen eller værdien i Excel, og prøv igen."
        return Problem(title, ref, str(raw), message, field)

    @staticmethod
    def _apply_merges(
        stream: SheetStream, rows: list[_Row], header: HeaderRow, letters: dict[str, str]
    ) -> dict[tuple[int, str], str]:
        """A value merged down over several rows (e.g. one department for a block) applies
        to each of them; returns (row, field) -> the cell the value came from."""
        merged: dict[tuple[int, str], str] = {}
        if not stream.merges or not rows:
            return merged
        rows.sort(key=lambda row: row.number)
        fields = {col: field for field, col in header.columns.items()}
        numbers = [row.number for row in rows]
        by_number = {row.number: row for row in rows}
        for min_col, min_row, _max_col, max_row in stream.merges:
            field = fields.get(min_col)
            source = by_number.get(min_row)
            if field is None or source is None or min_row <= header.row:
                continue
            origin = f"{letters[field]}{min_row}"
            start, stop = bisect_right(numbers, min_row), bisect_left(numbers, max_row + 1)
            for row in rows[start:stop]:
                # Only the top-left cell shows in Excel; anything hidden under it is void.
                row.problems = [p for p in row.problems if p.field != field]
                if field in source.values:
                    row.values[field] = source.values[field]
                else:
                    row.values.pop(field, None)
                merged[(row.number, field)] = origin
        return merged

    def _apply_hyperlinks(self, scan: _Scan, rows: list[_Row], letters: dict[str, str]) -> None:
        """A linked cell's target is the link: in the link column, else on the project name."""
        links = scan.stream.hyperlinks
        if not links or not ({"link", "name"} & letters.keys()):
            return
        targets = link_targets(self.package, scan.sheet.path)
        if not targets:
            return
        link_letter, name_letter = letters.get("link"), letters.get("name")
        for row in rows:
            for letter in (link_letter, name_letter):
                if letter is None:
                    continue
                target = targets.get(links.get(f"{letter}{row.number}", ""))
                if target and (letter == link_letter or row.values.get("link") is None):
                    # A target that is no web address (mailto:, file:, javascript:) is not
                    # taken; the cell's own text is then checked like any other link.
                    if link_error(target) is None:
                        row.values["link"] = target
                    break

    @staticmethod
    def _check_links(
        title: str, rows: list[_Row], letters: dict[str, str], merged: dict[tuple[int, str], str]
    ) -> None:
        """A link must be an http(s) address: anything else is a problem on its cell."""
        letter = letters.get("link")
        if letter is None:
            return
        reported: set[str] = set()
        for row in rows:
            link = row.values.get("link")
            if not isinstance(link, str):
                continue
            error = link_error(link)
            if error is not None:
                del row.values["link"]
                ref = merged.get((row.number, "link"), f"{letter}{row.number}")
                if ref not in reported:  # a merged cell is one problem, not one per row
                    reported.add(ref)
                    row.problems.append(Problem(title, ref, shorten(link), str(error), "link"))

    @staticmethod
    def _check_rows(
        title: str,
        rows: list[_Row],
        letters: dict[str, str],
        merged: dict[tuple[int, str], str],
    ) -> tuple[list[SheetRow], list[Problem]]:
        """Skips sum lines, requires a name, and refuses a case number used twice."""
        result: list[SheetRow] = []
        problems: list[Problem] = []
        first_case: dict[str, int] = {}
        for row in rows:
            name, case = row.values.get("name"), row.values.get("case_number")
            if _is_total(row.values):
                continue
            problems.extend(row.problems)
            cells = {field: f"{letters[field]}{row.number}" for field in letters}
            if merged:
                for field in letters:
                    cells[field] = merged.get((row.number, field), cells[field])
            if "name" not in row.values:
                continue  # its own problem says why
            if name is None:
                problems.append(
                    Problem(
                        title,
                        cells.get("name"),
                        None,
                        "Rækken mangler et projektnavn – skriv projektets navn, eller slet rækken.",
                        "name",
                    )
                )
                continue
            if isinstance(case, str):
                key = " ".join(case.split()).casefold()
                if key in first_case:
                    problems.append(
                        Problem(
                            title,
                            cells.get("case_number"),
                            shorten(case),
                            f"Sagsnummeret står også i række {first_case[key]} – hvert projekt "
                            "skal have sit eget sagsnummer.",
                            "case_number",
                        )
                    )
                else:
                    first_case[key] = row.number
            result.append(SheetRow(title, row.number, row.values, cells))
        return result, problems


def _is_total(values: dict[str, object]) -> bool:
    """The sheet's sum line ("I alt" over a SUM), which is not a project.

    A project row says what kind of project it is; a sum line does not, so a project that
    happens to be called "Total" is still read.
    """
    name = values.get("name")
    text = name if name is not None else values.get("case_number")
    # Sum lines are short; checking the length first keeps this off the per-row cost.
    if not (isinstance(text, str) and len(text) <= 12 and squash(text) in TOTAL_WORDS):
        return False
    return all(values.get(field) is None for field in ("scope", "kind", "phase"))
