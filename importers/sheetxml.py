"""Streaming one worksheet's XML once: cell values, merged ranges and hyperlinks."""

# Why not openpyxl's read-only worksheet: with data_only=True it cannot tell a formula without a
# cached value from an empty cell (and without it gives formulas instead of values), it does not
# expose merged ranges, and it pads every missing row up to the sheet's declared dimension (a
# formatted cell at row 1,048,576 means a million rows). A full (non read-only) load would give
# merges, but loads everything into memory. So the sheet XML is walked here once, with
# openpyxl's date helpers: each cell's <v> and <f> are seen together, and <mergeCell> and
# <hyperlink> are picked up on the way.

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from xml.etree.ElementTree import iterparse as plain_iterparse

from defusedxml.ElementTree import fromstring as guarded_fromstring
from defusedxml.ElementTree import iterparse as guarded_iterparse
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601

from importers.results import WorkbookError

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
ROW, CELL, VALUE, FORMULA = MAIN + "row", MAIN + "c", MAIN + "v", MAIN + "f"
INLINE, TEXT, RUN = MAIN + "is", MAIN + "t", MAIN + "r"
MERGE_CELL, HYPERLINK, STRING_ITEM = MAIN + "mergeCell", MAIN + "hyperlink", MAIN + "si"

# After this many empty rows in a row the table has ended; a stray formatted cell at row
# 1,048,576 must not make us walk a million rows.
MAX_EMPTY_RUN = 1_000
# Past that point only this many more row elements are looked at, to tell the user about data
# that would otherwise be silently left out; the rest of the XML is only scanned as bytes.
LOOKAHEAD_ROWS = 1_000
MAX_MERGES = 100_000
MAX_HYPERLINKS = 100_000
# The XML declaration and comments before the root element must fit in this.
PROLOG_BYTES = 64 * 1024
# What follows </sheetData> (merges, hyperlinks, formatting) is read at most this far.
MAX_TAIL_BYTES = 16 * 1024 * 1024
_DIGITS = "0123456789"
_TAIL_MERGE = re.compile(
    rb"<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\""
)
_TAIL_LINK = re.compile(rb"<(?:[\w.-]+:)?hyperlink\b([^>]*)>")
_END_OF_DATA = re.compile(rb"</(?:[\w.-]+:)?sheetData>")
_ATTR = re.compile(rb"([\w.:-]+)=\"([^\"]*)\"")
CORRUPT = (
    "Filen er beskadiget (arket {sheet} kan ikke læses) – åbn den i Excel, gem den igen som "
    "Excel-projektmappe (.xlsx), og prøv igen."
)


class CellError(str):
    """An Excel error value such as #REF! or #N/A shown in the cell."""

    __slots__ = ()


class MissingCachedValue:
    """A formula cell saved without its computed value (e.g. written by a script)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_CACHED_VALUE"


NO_CACHED_VALUE = MissingCachedValue()


class _ChunkReader:
    """Hands the XML to the parser and remembers the last chunk, for the byte scan."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.last = b""
        self._head = source.read(PROLOG_BYTES)
        self.plain = _plain_prolog(self._head)

    def read(self, size: int = -1) -> bytes:
        if self._head:
            self.last, self._head = self._head, b""
        else:
            self.last = self.source.read(size)
        return self.last


def iterparse_for(reader: _ChunkReader) -> Callable[[Any], Iterator[tuple[str, Any]]]:
    """The stdlib's C parser when the prolog plainly has no DOCTYPE, else defusedxml's.

    Entity tricks (billion laughs, external entities) need a DOCTYPE, which can only stand
    before the root element; the C parser reads the 10,000-row sheet in a third less time
    (benchmarks/import_10k.py). Anything unclear (another encoding, a prolog we cannot read)
    goes to defusedxml, which refuses entities.
    """
    return plain_iterparse if reader.plain else guarded_iterparse  # type: ignore[return-value]


def _plain_prolog(head: bytes) -> bool:
    """True if the XML before the root element is only declarations, comments and space."""
    i = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while i < len(head):
        if head[i] in b" \t\r\n":
            i += 1
        elif head.startswith(b"<?", i):
            end = head.find(b"?>", i + 2)
            if end < 0:
                return False
            i = end + 2
        elif head.startswith(b"<!--", i):
            end = head.find(b"-->", i + 4)
            if end < 0:
                return False
            i = end + 3
        else:
            return head.startswith(b"<", i) and head[i + 1 : i + 2].isalpha()
    return False


class SheetStream:
    """The rows of one worksheet as (row number, [(column, raw value), ...]), non-empty only.

    Set `wanted` to the column numbers of interest once the header is known; other cells are
    then skipped without being decoded. Merged ranges and hyperlinks are complete once the
    rows are exhausted.
    """

    def __init__(
        self,
        source: IO[bytes],
        *,
        title: str,
        shared_strings: list[str],
        epoch: datetime,
        date_styles: set[int],
        duration_styles: set[int],
    ) -> None:
        self.title = title
        self.wanted: set[int] | None = None
        self.merges: list[tuple[int, int, int, int]] = []
        self.hyperlinks: dict[str, str] = {}  # cell -> relationship id ("" if inside the file)
        # The first row with data after a long empty run, where reading stopped.
        self.beyond: tuple[int, list[tuple[int, object]]] | None = None
        # Rows whose every cell read holds a formula (a sum line, when it has no name).
        self.formula_rows: set[int] = set()
        self._only_formulas = False
        self._source = source
        self._reader = _ChunkReader(source)
        self._shared = shared_strings
        self._epoch = epoch
        self._date_styles = {str(s) for s in date_styles}
        self._duration_styles = {str(s) for s in duration_styles}
        self._columns: dict[str, int] = {}
        # A portfolio repeats few dates many times; a converted date is immutable, so reuse it.
        self._dates: dict[tuple[str, bool], object] = {}

    def close(self) -> None:
        self._source.close()

    def corrupt(self) -> WorkbookError:
        return WorkbookError(CORRUPT.format(sheet=f"“{self.title}”"))

    # -- rows ------------------------------------------------------------------------------

    def rows(self) -> Iterator[tuple[int, list[tuple[int, object]]]]:
        row_number = 0
        last_data = 0
        lookahead = -1  # >= 0 once past a long empty run: row elements still to peek at
        reader = self._reader
        for _event, element in iterparse_for(reader)(reader):
            tag = element.tag
            if tag == ROW:
                r = element.get("r")
                row_number = self._row_number(r) if r is not None else row_number + 1
                cells = self._cells(element)
                element.clear()
                if lookahead < 0 and row_number - last_data <= MAX_EMPTY_RUN:
                    if cells:
                        last_data = row_number
                        if self._only_formulas:
                            self.formula_rows.add(row_number)
                        yield row_number, cells
                    continue
                if cells:
                    self.beyond = (row_number, cells)
                    break
                if lookahead < 0:
                    lookahead = LOOKAHEAD_ROWS
                lookahead -= 1
                if lookahead == 0:
                    break
            elif tag == MERGE_CELL:
                self._add_merge(element.get("ref"))
                element.clear()
            elif tag == HYPERLINK:
                self._add_hyperlink(element.get("ref"), element.get(REL_ID) or "")
                element.clear()
        else:
            return
        self._scan_tail()

    def _row_number(self, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise self.corrupt() from None
            if not number.is_integer():
                raise self.corrupt() from None
            return int(number)

    def _column(self, letters: str) -> int:
        try:
            col = self._columns[letters] = column_index_from_string(letters)
        except ValueError:
            raise self.corrupt() from None
        return col

    def _cells(self, row: Any) -> list[tuple[int, object]]:
        cells: list[tuple[int, object]] = []
        wanted = self.wanted
        columns = self._columns
        col = 0
        only_formulas = True
        for cell in row:
            if cell.tag != CELL:
                continue
            ref = cell.get("r")
            if ref is None:
                col += 1
            else:
                letters = ref.rstrip(_DIGITS)
                col = columns.get(letters) or self._column(letters)
            if wanted is not None and col not in wanted:
                continue
            value = self._value(cell)
            if value is not None:
                cells.append((col, value))
                # <f> then <v>: two children; a formula saved without its value has one.
                if only_formulas and len(cell) < 2 and value.__class__ is not MissingCachedValue:
                    only_formulas = False
        self._only_formulas = only_formulas
        return cells

    def _value(self, cell: Any) -> object:
        kind = cell.get("t")
        if kind == "inlineStr":
            node = cell.find(INLINE)
            if node is None:
                return None
            return _inline_text(node) or None
        text = cell.findtext(VALUE)
        if not text:
            # <v/> after <f> means no value was saved; t="str" with <v></v> is a formula whose
            # value is the empty text.
            if cell.find(FORMULA) is not None and (text is None or kind != "str"):
                return NO_CACHED_VALUE
            return None
        try:
            if kind is None or kind == "n":
                number = float(text) if "." in text or "E" in text or "e" in text else int(text)
                style = cell.get("s")
                if style is not None and style in self._date_styles:
                    key = (text, style in self._duration_styles)
                    if key not in self._dates:
                        try:
                            self._dates[key] = from_excel(number, self._epoch, timedelta=key[1])
                        except (OverflowError, ValueError):
                            # Out of Excel's date range: the date column reports it.
                            self._dates[key] = number
                    return self._dates[key]
                return number
            if kind == "s":
                return self._shared[int(text)]
            if kind == "str":
                return text
            if kind == "b":
                return text in ("1", "true")
            if kind == "e":
                return CellError(text)
            if kind == "d":
                return from_ISO8601(text)
        except (ValueError, IndexError, OverflowError):
            raise self.corrupt() from None
        return text

    # -- merged ranges and hyperlinks ------------------------------------------------------

    def _add_merge(self, ref: str | None) -> None:
        if ref is None or len(self.merges) >= MAX_MERGES:
            return
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            return
        if min_col and min_row and max_col and max_row and max_row > min_row:
            self.merges.append((min_col, min_row, max_col, max_row))

    def _add_hyperlink(self, ref: str | None, rel_id: str) -> None:
        if ref is None or len(self.hyperlinks) >= MAX_HYPERLINKS:
            return
        if ":" not in ref:
            self.hyperlinks[ref] = rel_id
            return
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            return
        if not (min_col and min_row and max_col and max_row):
            return
        for col in range(min_col, min(max_col, min_col + 100) + 1):
            letter = get_column_letter(col)
            for row in range(min_row, min(max_row, min_row + 10_000) + 1):
                if len(self.hyperlinks) >= MAX_HYPERLINKS:
                    return
                self.hyperlinks[f"{letter}{row}"] = rel_id

    def _scan_tail(self) -> None:
        """After stopping early: find merges and hyperlinks in the raw bytes that are left.

        Parsing the rest would mean building every remaining (empty) row element; skipping
        to </sheetData> as bytes costs only the inflation.
        """
        buffer = self._reader.last
        while True:
            found = _END_OF_DATA.search(buffer)
            if found:
                end = found.end()
                break
            chunk = self._source.read(1024 * 1024)
            if not chunk:
                return
            buffer = buffer[-64:] + chunk
        tail = buffer[end:] + self._source.read(MAX_TAIL_BYTES)
        for match in _TAIL_MERGE.finditer(tail):
            self._add_merge(match[1].decode("ascii"))
        for match in _TAIL_LINK.finditer(tail):
            attrs = {
                k.decode("ascii", "replace"): v.decode("utf-8", "replace")
                for k, v in _ATTR.findall(match[1])
            }
            ref = attrs.get("ref")
            rel_id = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            if ref:
                self._add_hyperlink(ref, rel_id)


def read_shared_strings(source: IO[bytes]) -> list[str]:
    """The workbook's shared string table as plain texts, read like the sheets (openpyxl's
    reader builds a rich-text object per string)."""
    reader = _ChunkReader(source)
    strings: list[str] = []
    for _event, element in iterparse_for(reader)(reader):
        if element.tag == STRING_ITEM:
            strings.append(_inline_text(element))
            element.clear()
    return strings


def _inline_text(node: Any) -> str:
    """The text of a string item, rich-text runs joined and phonetic hints left out."""
    if len(node) == 1 and node[0].tag == TEXT:
        return node[0].text or ""
    parts = []
    for child in node:
        if child.tag == TEXT:
            parts.append(child.text or "")
        elif child.tag == RUN:
            text = child.find(TEXT)
            if text is not None:
                parts.append(text.text or "")
    return "".join(parts)


# -- Excel tables (Insert > Table) -----------------------------------------------------------

TABLE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
TABLE_COLUMN = MAIN + "tableColumn"
# A table part or a sheet's relationships are a few kilobytes; these bound a hostile file.
MAX_PART_BYTES = 4 * 1024 * 1024
MAX_TABLES = 100
PART_TOO_LARGE = (
    "Filen er beskadiget (en tabeldefinition i den er urimeligt stor) – åbn den i Excel, gem "
    "den igen som Excel-projektmappe (.xlsx), og prøv igen."
)


@dataclass(frozen=True)
class Table:
    """An Excel table on a sheet: its range, how many header and totals rows it has, and its
    column names (the header cells' texts, also when the header row is hidden)."""

    name: str
    min_col: int
    min_row: int
    max_col: int
    max_row: int
    header_rows: int
    totals_rows: int
    column_names: tuple[str, ...]

    @property
    def first_data_row(self) -> int:
        return self.min_row + self.header_rows

    @property
    def last_data_row(self) -> int:
        return self.max_row - self.totals_rows


def _read_part(package: zipfile.ZipFile, path: str) -> Any:
    """A small XML part, parsed with DTDs and entities refused (raises ValueError then)."""
    info = package.getinfo(path)
    if info.file_size > MAX_PART_BYTES:
        raise WorkbookError(PART_TOO_LARGE)
    with package.open(info) as source:
        data = source.read(MAX_PART_BYTES + 1)
    return guarded_fromstring(data, forbid_dtd=True)


def _count(text: str | None, default: int) -> int:
    try:
        return max(0, int(text)) if text is not None else default
    except ValueError:
        return default


def read_tables(package: zipfile.ZipFile, sheet_path: str) -> list[Table]:
    """The tables on a sheet, found through the sheet's relationships (each <tablePart> of
    the sheet names one), in the order they are listed. A damaged table part is left out:
    the sheet is then read as a plain range."""
    folder, name = posixpath.split(sheet_path)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    names = set(package.namelist())
    if rels_path not in names:
        return []
    tables: list[Table] = []
    for rel in _read_part(package, rels_path).iter(PACKAGE_REL):
        if rel.get("Type") != TABLE_REL or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(folder, target))
        if path not in names or len(tables) >= MAX_TABLES:
            continue
        table = _read_table(_read_part(package, path))
        if table is not None:
            tables.append(table)
    return tables


def _read_table(root: Any) -> Table | None:
    try:
        min_col, min_row, max_col, max_row = range_boundaries(root.get("ref") or "")
    except (ValueError, TypeError):
        return None
    if not (min_col and min_row and max_col and max_row):
        return None
    names = tuple(
        " ".join((column.get("name") or "").replace("_x000a_", " ").split())
        for column in root.iter(TABLE_COLUMN)
    )
    return Table(
        name=root.get("displayName") or root.get("name") or "",
        min_col=min_col,
        min_row=min_row,
        max_col=max_col,
        max_row=max_row,
        header_rows=min(_count(root.get("headerRowCount"), 1), 1),
        totals_rows=_count(root.get("totalsRowCount"), 0),
        column_names=names,
    )
