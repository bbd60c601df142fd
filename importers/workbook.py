"""Reading the portfolio sheet from an .xlsx file into typed rows and problems."""

from __future__ import annotations

import os
import zipfile
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from openpyxl.utils.cell import get_column_letter

from importers.container import MAX_BYTES, open_package, read_source
from importers.fields import link_error
from importers.headers import HeaderRow, Mapping, resolve_header
from importers.openpyxl_adapter import Book, Worksheet, link_targets, read_book
from importers.options import ReadOptions
from importers.results import Placement, Problem, ReadResult, SheetRow, WorkbookError
from importers.sheetxml import (
    MAX_EMPTY_RUN,
    CellError,
    MissingCachedValue,
    SheetStream,
    Table,
    read_shared_strings,
    read_tables,
)
from importers.values import (
    MONEY_FIELDS,
    TOTAL_WORDS,
    CellProblem,
    ColumnProblem,
    Converter,
    UnknownValue,
    Unparsable,
    converter_for,
    shorten,
    squash,
)

__all__ = ["Problem", "ReadResult", "SheetRow", "WorkbookError", "read_workbook"]

# The header is looked for among the first rows that have anything in them.
HEADER_SCAN_ROWS = 30
# A municipality's portfolio has hundreds of projects; this bounds a hostile sheet's cost.
MAX_ROWS = 50_000
MAX_SHEET_ROW = 1_048_576

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
    options: ReadOptions | None = None,
    max_bytes: int = MAX_BYTES,
) -> ReadResult:
    """Reads the portfolio sheet; raises WorkbookError when the file cannot be used at all.

    `sheet` picks a sheet by name (hidden ones too); otherwise the visible sheet whose header
    matches best is used. `options` carries the user's choices (column mapping by header text,
    unique prefix or column letter, value mappings, rates, columns left blank when unreadable);
    `mapping` is the older way to give the column mapping and is merged into them.
    The format is told from the bytes, whatever the file is called.
    """
    options = options or ReadOptions()
    if mapping:
        options = replace(options, mapping={**options.mapping, **mapping})
    data = read_source(source, max_bytes)
    chosen = Mapping(dict(options.mapping))  # refuses a field that does not exist, at once
    package = open_package(data)
    try:
        try:
            book = read_book(data)
        except Exception as exc:  # openpyxl raises many types on malformed parts; all the same
            raise translate_error(exc) from exc
        try:
            return _Reader(book, package, chosen, options).read(sheet)
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


# The first columns looked at for field names written downwards (a transposed sheet).
TRANSPOSED_LABEL_COLUMNS = 3


@dataclass
class _Header:
    """A candidate header (a row, or a column of a transposed sheet) and the user's part in it."""

    found: HeaderRow

    @property
    def score(self) -> int:
        return self.found.score


@dataclass
class _Scan:
    """A sheet's first rows, read while looking for its header; the stream goes on from there."""

    sheet: Worksheet
    stream: SheetStream
    rows: Iterator[tuple[int, list[tuple[int, object]]]]
    seen: list[tuple[int, list[tuple[int, object]]]]
    header: _Header | None
    table: Table | None = None
    transposed: _Header | None = None  # field names down a column, one project per column

    @property
    def score(self) -> int:
        best = self.header.score if self.header else 0
        return max(best, self.transposed.score if self.transposed else 0)


@dataclass
class _Row:
    number: int
    values: dict[str, object]
    problems: list[Problem]
    refs: dict[str, str] | None = None  # field -> cell, when not "<column letter><number>"


@dataclass
class _Collected:
    """What converting the cells gathered besides values and problems."""

    warnings: list[Problem] = field(default_factory=list)
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    columns: list[Problem] = field(default_factory=list)  # on a header cell: the whole column


class _Reader:
    def __init__(
        self, book: Book, package: zipfile.ZipFile, mapping: Mapping, options: ReadOptions
    ) -> None:
        self.book = book
        self.package = package
        self.mapping = mapping
        self.options = options
        self.worksheets = book.worksheets
        self.names = [ws.title for ws in self.worksheets]
        self.strings: list[str] = []
        strings_path = book.shared_strings
        if strings_path is not None and strings_path in package.namelist():
            with package.open(strings_path) as source:
                self.strings = read_shared_strings(source)
        self.collected = _Collected()

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
            if best.score == 0:
                raise self._no_header(scans, explicit=sheet is not None)
            header = best.header
            if best.transposed is not None and (
                header is None or best.transposed.score > header.score
            ):
                return self._read_transposed(best, best.transposed)
            if header is None:  # the transposed reading is the only one
                raise self._no_header(scans, explicit=sheet is not None)
            self.mapping.check(header.found)
            return self._read_rows(best, header)
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

    def _resolve(self, number: int, cells: list[tuple[int, object]]) -> _Header:
        """Which column holds which field, if this row were the header (the user's mapping
        applied leniently: it is checked strictly on the row finally chosen)."""
        return _Header(resolve_header(number, cells, self.mapping))

    def _scan(self, ws: Worksheet) -> _Scan:
        tables = read_tables(self.package, ws.path)
        stream = self._open(ws)
        rows = stream.rows()
        seen: list[tuple[int, list[tuple[int, object]]]] = []
        best: _Header | None = None
        # A table's header row may stand further down than the rows usually looked at.
        reach = max((t.min_row for t in tables), default=0)
        for number, cells in rows:
            seen.append((number, cells))
            if any(isinstance(value, str) for _col, value in cells):
                header = self._resolve(number, cells)
                if header.score > (best.score if best else 0) and not (
                    best is not None and _is_data_of(cells, best.found)
                ):
                    best = header
            if len(seen) >= HEADER_SCAN_ROWS and number >= reach:
                break
        table, in_table = self._table_header(tables, seen)
        if table is not None and in_table is not None and in_table.score > 0:
            return _Scan(ws, stream, rows, seen, in_table, table)
        return _Scan(ws, stream, rows, seen, best, None, self._transposed(seen))

    def _table_header(
        self, tables: list[Table], seen: list[tuple[int, list[tuple[int, object]]]]
    ) -> tuple[Table | None, _Header | None]:
        """The table whose header names the most fields: its own header row is the header."""
        by_number = dict(seen)
        best: tuple[Table | None, _Header | None] = (None, None)
        for table in tables:
            inside: list[tuple[int, object]] = [
                (col, value)
                for col, value in by_number.get(table.min_row, [])
                if table.min_col <= col <= table.max_col and isinstance(value, str)
            ]
            if table.header_rows == 0 or not inside:
                inside = [(table.min_col + i, n) for i, n in enumerate(table.column_names) if n]
            header = self._resolve(table.first_data_row - 1, inside)
            if best[1] is None or header.score > best[1].score:
                best = (table, header)
        return best

    def _transposed(self, seen: list[tuple[int, list[tuple[int, object]]]]) -> _Header | None:
        """Field names down one of the first columns, as a header read downwards."""
        best: _Header | None = None
        for label in range(1, TRANSPOSED_LABEL_COLUMNS + 1):
            down = [(number, v) for number, cells in seen for col, v in cells if col == label]
            if len(down) < 2:
                continue
            header = self._resolve(label, down)
            # Two fields at least: a single "Projektnavn" over a list of names is a column.
            if len(header.found.columns) >= 2 and (best is None or header.score > best.score):
                best = header
        return best

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
        for scan in scans:
            down = scan.transposed
            if down is not None and len(down.found.columns) >= 2:
                letter = get_column_letter(down.found.row)
                shown = [down.found.texts[r] for r in sorted(down.found.columns.values())]
                return WorkbookError(
                    f"Arket “{scan.sheet.title}” ser ud til at have felterne nedad i kolonne "
                    f"{letter} ({_quoted(shown[:5], 'og')}) med ét projekt pr. kolonne, men "
                    f"ingen af rækkerne er projektnavnet ({NO_NAME}) – tilføj en række "
                    "“Projektnavn” i kolonne "
                    f"{letter}, eller vend arket, så hvert projekt står i sin egen række."
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

    # -- converting cells ------------------------------------------------------------------

    def _specs(
        self, title: str, header: HeaderRow, header_cell: Callable[[int], str]
    ) -> dict[int, tuple[str, Converter]]:
        """Column (row, if transposed) -> its field and the converter for its cells. A column
        that cannot be read as it stands (money in a foreign currency with no rate) is a
        problem on its header cell, and its cells are left out."""
        specs: dict[int, tuple[str, Converter]] = {}
        for field_name, col in sorted(header.columns.items(), key=lambda item: item[1]):
            try:
                convert = self._converter(field_name, f"“{header.texts[col]}”", header)
            except ColumnProblem as problem:
                ref = header_cell(col)
                self.collected.columns.append(
                    Problem(title, ref, header.texts[col], str(problem), field_name)
                )
                continue
            specs[col] = (field_name, convert)
        return specs

    def _converter(self, field: str, label: str, header: HeaderRow) -> Converter:
        return converter_for(
            field,
            label,
            unit=header.units.get(field, 1),
            epoch=self.book.epoch,
            options=self.options,
            currency=header.currencies.get(field),
        )

    def _cell_problem(
        self, title: str, ref: str, field: str, raw: object, problem: CellProblem
    ) -> Problem | None:
        """The problem for a cell that could not be converted; None when it is left blank
        (the user chose so for this column) and only said as a warning."""
        found = Problem(title, ref, shorten(raw), str(problem), field)
        if isinstance(problem, Unparsable) and field in self.options.blank_unparsable:
            self.collected.warnings.append(found)
            return None
        if isinstance(problem, UnknownValue):
            counts = self.collected.unknown.setdefault(field, {})
            counts[problem.text] = counts.get(problem.text, 0) + 1
        return found

    def _convert(
        self,
        title: str,
        cells: list[tuple[int, object]],
        specs: dict[int, tuple[str, Converter]],
        template: dict[str, object],
        ref: Callable[[str, int], str],
    ) -> tuple[dict[str, object], list[Problem]]:
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
                problems.append(self._special(title, ref(field, col), field, raw))
                continue
            try:
                values[field] = convert(raw)
            except CellProblem as problem:
                found = self._cell_problem(title, ref(field, col), field, raw, problem)
                if found is None:
                    values[field] = None
                else:
                    del values[field]
                    problems.append(found)
        return values, problems

    # -- the data rows ---------------------------------------------------------------------

    def _read_rows(self, scan: _Scan, chosen: _Header) -> ReadResult:
        header = chosen.found
        title = scan.sheet.title
        stream = scan.stream
        by_column = sorted((col, field) for field, col in header.columns.items())
        letters = {field: get_column_letter(col) for col, field in by_column}
        specs = self._specs(title, header, lambda col: f"{get_column_letter(col)}{header.row}")
        template: dict[str, object] = {field: None for field, _convert in specs.values()}
        stream.wanted = set(specs)
        table = scan.table
        first = table.first_data_row if table else header.row + 1
        last = table.last_data_row if table else MAX_SHEET_ROW
        end = table.max_row if table else MAX_SHEET_ROW
        collected = self.collected

        rows: list[_Row] = []
        later = (item for item in scan.seen if item[0] > header.row)
        for number, cells in chain(later, scan.rows):
            if number < first:
                continue
            if number > last:
                if number <= end and any(col in specs for col, _v in cells):
                    collected.skipped.append(
                        f"Række {number} er tabellens sumrække og er sprunget over."
                    )
                    continue
                break
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
                    problems.append(self._special(title, f"{letters[field]}{number}", field, raw))
                    continue
                try:
                    values[field] = convert(raw)
                except CellProblem as problem:
                    ref = f"{letters[field]}{number}"
                    found = self._cell_problem(title, ref, field, raw, problem)
                    if found is None:
                        values[field] = None
                    else:
                        del values[field]
                        problems.append(found)
            if problems or any(v is not None for v in values.values()):
                rows.append(_Row(number, values, problems))
                if len(rows) > MAX_ROWS:
                    raise self._too_many(title)

        merged = self._apply_merges(stream, rows, header, letters)
        self._apply_hyperlinks(scan, rows, letters)
        self._check_links(title, rows, letters, merged)
        result_rows, problems = self._check_rows(title, rows, letters, merged, stream.formula_rows)
        beyond = stream.beyond
        cols = [col for col, _value in beyond[1] if col in specs] if beyond else []
        if beyond and cols and table is None:
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
        return self._result(title, chosen, result_rows, problems, get_column_letter)

    def _read_transposed(self, scan: _Scan, detected: _Header) -> ReadResult:
        """One project per column: the label column's rows are the fields."""
        title = scan.sheet.title
        label = detected.found.row
        stream = scan.stream
        stream.wanted = None
        every = list(scan.seen)
        for item in scan.rows:
            every.append(item)
            if len(every) > MAX_ROWS:
                raise self._too_many(title)
        # The field names may go on below the rows first looked at.
        down = [(number, v) for number, cells in every for col, v in cells if col == label]
        chosen = self._resolve(label, down)
        self.mapping.check(chosen.found)
        header = chosen.found
        rows_of = dict(header.columns)  # field -> sheet row
        specs = self._specs(title, header, lambda number: f"{get_column_letter(label)}{number}")
        by_project: dict[int, list[tuple[int, object]]] = {}
        for number, cells in every:
            if number not in specs:
                continue
            for col, raw in cells:
                if col > label:
                    by_project.setdefault(col, []).append((number, raw))
        if len(by_project) > MAX_ROWS:
            raise self._too_many(title)
        template: dict[str, object] = {field: None for field, _convert in specs.values()}

        def ref_for(project: int) -> Callable[[str, int], str]:
            letter = get_column_letter(project)
            return lambda field, _number: f"{letter}{rows_of[field]}"

        rows: list[_Row] = []
        for project in sorted(by_project):
            ref = ref_for(project)
            values, problems = self._convert(title, by_project[project], specs, template, ref)
            if problems or any(v is not None for v in values.values()):
                refs = {field: ref(field, 0) for field in rows_of}
                rows.append(_Row(project, values, problems, refs))
        letters = dict.fromkeys(rows_of, "")  # the rows' own refs are used
        self._check_links(title, rows, letters, {})
        result_rows, problems = self._check_rows(title, rows, letters, {}, set())
        result = self._result(title, chosen, result_rows, problems, str)
        result.transposed = True
        return result

    def _too_many(self, title: str) -> WorkbookError:
        return WorkbookError(
            f"Arket “{title}” har mere end {_thousands(MAX_ROWS)} projektrækker – "
            "del det op, eller slet rækker, der ikke er projekter."
        )

    def _result(
        self,
        title: str,
        chosen: _Header,
        rows: list[SheetRow],
        problems: list[Problem],
        position: Callable[[int], str],
    ) -> ReadResult:
        header = chosen.found
        fields = {col: field for field, col in header.columns.items()}
        placements: list[Placement] = []
        for col in sorted(header.texts):
            field_name = fields.get(col)
            text = header.texts[col]
            how = header.how.get(col, "unknown")
            placements.append(Placement(position(col), text, field_name, how))
        collected = self.collected
        return ReadResult(
            sheet=title,
            sheet_names=list(self.names),
            header_row=header.row,
            columns={field: header.texts[col] for col, field in sorted(fields.items())},
            unmapped_headers=list(header.unmapped),
            rows=rows,
            problems=[*collected.columns, *problems],
            warnings=collected.warnings,
            placements=placements,
            unknown_values=collected.unknown,
            skipped=collected.skipped,
        )

    @staticmethod
    def _special(title: str, ref: str, field: str, raw: object) -> Problem:
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
                ref = merged.get((row.number, "link")) or _ref(row, "link", letter)
                if ref not in reported:  # a merged cell is one problem, not one per row
                    reported.add(ref)
                    row.problems.append(Problem(title, ref, shorten(link), str(error), "link"))

    def _check_rows(
        self,
        title: str,
        rows: list[_Row],
        letters: dict[str, str],
        merged: dict[tuple[int, str], str],
        formula_rows: set[int],
    ) -> tuple[list[SheetRow], list[Problem]]:
        """Skips sum lines, requires a name, and refuses a case number used twice."""
        result: list[SheetRow] = []
        problems: list[Problem] = []
        first_case: dict[str, int] = {}
        # The budgets since the last sum line and in all, to know a sum typed as a number.
        running = everything = 0
        for row in rows:
            name, case = row.values.get("name"), row.values.get("case_number")
            if _is_total(row.values) or _is_sum_line(row, formula_rows, (running, everything)):
                if row.refs is None:
                    self.collected.skipped.append(
                        f"Række {row.number} ligner en sumrække og er sprunget over."
                    )
                else:
                    self.collected.skipped.append(
                        f"Kolonne {get_column_letter(row.number)} ligner en sum og er "
                        "sprunget over."
                    )
                running = 0
                continue
            budget = row.values.get("budget_dkk")
            if isinstance(budget, int):
                running += budget
                everything += budget
            problems.extend(row.problems)
            if row.refs is not None:
                cells = dict(row.refs)
            else:
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


def _is_data_of(cells: list[tuple[int, object]], header: HeaderRow) -> bool:
    """A row under a header that holds numbers or dates in the header's columns is one of its
    data rows, whatever its texts say (a project called "Project" is no header)."""
    used = header.texts
    return any(col in used and not isinstance(value, str) for col, value in cells)


def _ref(row: _Row, field: str, letter: str) -> str:
    return row.refs[field] if row.refs is not None else f"{letter}{row.number}"


def _is_sum_line(row: _Row, formula_rows: set[int], sums: tuple[int, int]) -> bool:
    """A line with no name and no case number whose only values are formulas, or only
    amounts adding up to the projects above it: the sheet's totals, not a project."""
    values = row.values
    if "name" not in values or values["name"] is not None:
        return False
    if values.get("case_number") is not None or "case_number" in {p.field for p in row.problems}:
        return False
    if row.number in formula_rows and row.refs is None:
        return True
    filled = {field for field, value in values.items() if value is not None}
    if row.problems or not filled or not filled <= set(MONEY_FIELDS):
        return False
    return any(total > 0 and all(values[field] == total for field in filled) for total in sums)


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
