"""The one place using openpyxl's private reader API: a workbook's sheets, epoch, date styles."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Worksheet:
    title: str
    state: str  # "visible", "hidden" or "veryHidden"
    path: str  # the sheet's XML inside the package


@dataclass(frozen=True)
class Book:
    worksheets: list[Worksheet]
    sheet_names: list[str]  # chart sheets too
    epoch: datetime
    date_styles: set[int]  # cell style ids whose number format is a date
    duration_styles: set[int]  # ... or a duration
    shared_strings: str | None  # the shared string table's path, if there is one


def read_book(data: bytes) -> Book:
    """What load_workbook(read_only=True) reads of the book, without the parts never used here
    (properties, theme, defined names, shared strings). Raises openpyxl's own errors."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import SHARED_STRINGS

    with _quiet():
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            reader.read_manifest()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            reader.read_worksheets()
            book = reader.wb
            strings = reader.package.find(SHARED_STRINGS)
            return Book(
                worksheets=[
                    Worksheet(ws.title, ws.sheet_state, ws._worksheet_path)
                    for ws in book.worksheets
                ],
                sheet_names=list(book.sheetnames),
                epoch=book.epoch,
                date_styles=set(book._date_formats),
                duration_styles=set(book._timedelta_formats),
                shared_strings=strings.PartName.lstrip("/") if strings is not None else None,
            )
        finally:
            reader.archive.close()


def link_targets(package: zipfile.ZipFile, sheet_path: str) -> dict[str, str]:
    """The sheet's external hyperlink targets by relationship id."""
    from openpyxl.packaging.relationship import get_dependents, get_rels_path

    rels_path = get_rels_path(sheet_path)
    if rels_path not in package.namelist():
        return {}
    with _quiet():
        rels = get_dependents(package, rels_path)
    return {
        rel.Id: rel.Target for rel in rels if rel.TargetMode == "External" and rel.Id and rel.Target
    }


@contextmanager
def _quiet() -> Iterator[None]:
    # openpyxl warns about parts it drops that we never use (data-validation extensions, a
    # missing default style); expected here, they must not reach the user. catch_warnings is
    # process-wide, which is acceptable for these short sections.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        yield
