"""Builders for the importer tests: real .xlsx files from openpyxl and xlsxwriter, and bad ones."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from openpyxl import Workbook

from importers.columns import SHEET_COLUMNS

HEADERS = [header for _field, header in SHEET_COLUMNS]
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def row(**values: Any) -> list[Any]:
    """A data row in the sheet's own column order, from canonical field names."""
    return [values.get(field) for field, _header in SHEET_COLUMNS]


def project(**overrides: Any) -> dict[str, Any]:
    """A complete, valid project row as the Danish sheet writes it."""
    values: dict[str, Any] = {
        "case_number": "85.13.00-P20-1-20",
        "name": "Bilagsapp",
        "scope": "Fælles for hele kommunen",
        "kind": "Operationelt",
        "department": "Økonomi & Stab",
        "process_owner": "Peter Damgaard",
        "project_lead": "Rasmus Nielsen",
        "phase": "Gennemførelse",
        "status": "Gul",
        "status_comment": "Udrulning forsinket.",
        "budget_dkk": 450_000,
    }
    values.update(overrides)
    return values


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def openpyxl_sheet(
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "Portefølje",
    before: Sequence[Sequence[Any]] = (),
    tweak: Callable[[Any], None] | None = None,
) -> bytes:
    """One sheet: `before` rows (titles, notes), then `rows` (usually a header and data)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for values in (*before, *rows):
        ws.append(list(values))
    if tweak is not None:
        tweak(ws)
    return save(wb)


def portfolio(*projects: dict[str, Any], tweak: Callable[[Any], None] | None = None) -> bytes:
    """The sheet's own layout written by openpyxl: header in row 1, one row per project."""
    return openpyxl_sheet([HEADERS, *(row(**p) for p in projects)], tweak=tweak)


def xlsxwriter_book(build: Callable[[Any], None], **options: Any) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, **options})
    build(wb)
    wb.close()
    return out.getvalue()


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def replace_entries(data: bytes, replacements: dict[str, bytes]) -> bytes:
    """The same workbook with some parts' XML replaced (a sane zip, hostile content)."""
    parts = entries(data)
    parts.update(replacements)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return out.getvalue()


def sheet_xml(rows_xml: str, *, prolog: str = "", after: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'{prolog}<worksheet xmlns="{MAIN_NS}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheetData>{rows_xml}</sheetData>{after}</worksheet>"
    ).encode()


def inline_row(number: int, *texts: str) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
        for i, text in enumerate(texts)
    )
    return f'<row r="{number}">{cells}</row>'


BILLION_LAUGHS_DTD = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


# --- hand-made zips: bombs and lying headers -----------------------------------------------------


@dataclass
class RawEntry:
    """A zip entry given as already-deflated bytes, with the sizes the headers will declare."""

    name: str
    payload: bytes
    crc: int
    size: int


def deflated(name: str, content: bytes) -> RawEntry:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = compressor.compress(content) + compressor.flush()
    return RawEntry(name, payload, zlib.crc32(content), len(content))


def raw_zip(items: Iterable[RawEntry]) -> bytes:
    """A zip written byte by byte, so an entry can declare any size (zip64 where needed)."""
    out = io.BytesIO()
    central = []
    for item in items:
        offset = out.tell()
        name = item.name.encode()
        big = item.size >= 0xFFFFFFFF or len(item.payload) >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, item.size, len(item.payload)) if big else b""
        size32 = 0xFFFFFFFF if big else item.size
        csize32 = 0xFFFFFFFF if big else len(item.payload)
        version = 45 if big else 20
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                version,
                0,
                8,
                0,
                0x21,
                item.crc,
                csize32,
                size32,
                len(name),
                len(extra),
            )
        )
        out.write(name + extra + item.payload)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                version,
                version,
                0,
                8,
                0,
                0x21,
                item.crc,
                csize32,
                size32,
                len(name),
                len(extra),
                0,
                0,
                0,
                0,
                offset,
            )
            + name
            + extra
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
    )
    return out.getvalue()


def bomb_sheet(inflated_mib: int) -> RawEntry:
    """Sheet XML of `inflated_mib` MiB of empty rows, deflated to about 1/1000 of that.

    Deflating 1.5 GB takes seconds; instead one MiB is deflated and its sync-flushed block,
    which only refers back to identical data, is repeated: valid deflate, built in milliseconds.
    """
    head = sheet_xml("").split(b"<sheetData>")[0] + b"<sheetData>"
    tail = b"</sheetData></worksheet>"
    chunk = b"<row/>  " * (2**20 // 8)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head + chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
    middle = compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
    again = compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert middle == again  # the repeated block must be self-similar for the trick to hold
    last = compressor.compress(chunk + tail) + compressor.flush()
    repeats = inflated_mib - 4
    payload = first + middle * (repeats + 2) + last
    crc = zlib.crc32(head + chunk)
    for _ in range(repeats + 2):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(chunk + tail, crc)
    size = len(head) + len(tail) + len(chunk) * (repeats + 4)
    return RawEntry("xl/worksheets/sheet1.xml", payload, crc, size)


def with_sheet_entry(workbook: bytes, sheet: RawEntry) -> bytes:
    """A real workbook's parts, rezipped by hand with its first sheet replaced."""
    parts = entries(workbook)
    items = [
        sheet if name == sheet.name else deflated(name, content) for name, content in parts.items()
    ]
    return raw_zip(items)


def ole2(*stream_names: str) -> bytes:
    """The start of an OLE2 compound file naming the given streams (as .xls and encrypted
    .xlsx files do). Only the parts the importer looks at are real: the signature and the
    UTF-16 directory names."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = b"".join(
        name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64
        for name in ("Root Entry", *stream_names)
    )
    return header + directory + b"\x00" * 1024
