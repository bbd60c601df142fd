"""Broken and hostile files: one clear Danish sentence, no traceback, bounded time and memory."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import iterparse as plain_iterparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.styles import PatternFill

from importers.sheetxml import SheetStream, _ChunkReader, iterparse_for
from importers.workbook import WorkbookError, read_workbook
from tests.importer_fixtures import (
    BILLION_LAUGHS_DTD,
    RawEntry,
    bomb_sheet,
    deflated,
    entries,
    inline_row,
    ole2,
    openpyxl_sheet,
    portfolio,
    project,
    replace_entries,
    sheet_xml,
    with_sheet_entry,
    xlsxwriter_book,
)


def refusal(data: bytes | Path, **options: object) -> str:
    with pytest.raises(WorkbookError) as error:
        read_workbook(data, **options)  # type: ignore[arg-type]
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message and message.endswith(".")
    return message


def bounded(action: Callable[[], object]) -> tuple[float, int]:
    """Seconds and peak bytes allocated while running `action`."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        action()
    except WorkbookError:
        pass
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak


def test_a_renamed_csv_says_so_and_how_to_fix_it() -> None:
    message = refusal(b"Sagsnr.;Projektnavn\n1;Bilagsapp\n")
    assert "CSV" in message and "gem den som Excel-projektmappe (.xlsx)" in message
    assert refusal("Projektnavn,Fase\nBilagsapp,Idé\n".encode("cp1252")).startswith(
        "Filen er en CSV"
    )


def test_a_legacy_xls_says_it_is_the_old_format() -> None:
    message = refusal(ole2("Workbook", "SummaryInformation"))
    assert "gamle Excel-format (.xls)" in message
    assert "gem den som Excel-projektmappe (.xlsx)" in message


def test_a_password_protected_workbook_says_so() -> None:
    # Excel wraps an encrypted .xlsx in OLE2 with these two streams.
    message = refusal(ole2("EncryptionInfo", "EncryptedPackage"))
    assert message.startswith("Filen er beskyttet med adgangskode – fjern adgangskoden")


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"", "Filen er tom"),
        (b"  \n", "Filen er tom"),
        (b"%PDF-1.7\n...", "Filen er en PDF"),
        (b"<html><body><table></table></body></html>", "Filen er en webside"),
        (bytes(range(256)) * 4, "Filen er ikke en Excel-projektmappe"),
    ],
)
def test_other_non_workbooks(data: bytes, start: str) -> None:
    assert refusal(data).startswith(start)


def test_a_truncated_workbook_is_called_damaged() -> None:
    data = portfolio(project())
    for cut in (len(data) // 2, len(data) - 10):
        assert refusal(data[:cut]).startswith("Filen er beskadiget eller ufuldstændig")


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, content in files.items():
            package.writestr(name, content)
    return out.getvalue()


def test_a_zip_that_is_not_a_workbook() -> None:
    assert refusal(_zip({"hello.txt": b"hej"})).startswith("Filen er en zip-fil, men ikke")
    ods = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    assert refusal(ods).startswith("Filen er et OpenDocument-regneark (.ods)")
    parts = entries(portfolio(project()))
    del parts["xl/workbook.xml"]
    assert refusal(_zip(parts)).startswith("Filen er en zip-fil, men ikke")


def test_damaged_xml_inside_the_zip_is_called_damaged() -> None:
    data = replace_entries(
        portfolio(project()), {"xl/worksheets/sheet1.xml": sheet_xml("<row><c>")}
    )
    assert refusal(data).startswith("Filen er beskadiget")


def test_a_billion_laughs_sheet_is_refused_quickly() -> None:
    bomb = sheet_xml(
        inline_row(1, "Projektnavn") + inline_row(2, "&lol9;"), prolog=BILLION_LAUGHS_DTD
    )
    data = replace_entries(portfolio(project()), {"xl/worksheets/sheet1.xml": bomb})
    started = time.perf_counter()
    message = refusal(data)
    assert time.perf_counter() - started < 1
    assert message.startswith("Filen indeholder XML-konstruktioner (DTD-entiteter)")


def test_a_billion_laughs_in_the_shared_strings_is_refused() -> None:
    def build(wb: object) -> None:
        wb.add_worksheet().write_row(0, 0, ["Projektnavn", "Fase"])  # type: ignore[attr-defined]

    data = xlsxwriter_book(build)
    strings = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + BILLION_LAUGHS_DTD.replace("worksheet", "sst")
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" '
        'uniqueCount="2"><si><t>Projektnavn</t></si><si><t>&lol9;</t></si></sst>'
    ).encode()
    message = refusal(replace_entries(data, {"xl/sharedStrings.xml": strings}))
    assert message.startswith("Filen indeholder XML-konstruktioner")


def test_our_own_sheet_parser_refuses_a_dtd_hidden_behind_a_comment() -> None:
    # openpyxl never sees this sheet: the reader's own fast path must not be fooled.
    xml = sheet_xml(inline_row(1, "&lol9;"), prolog="<!-- <a> -->" + BILLION_LAUGHS_DTD)
    stream = SheetStream(
        io.BytesIO(xml),
        title="Ark",
        shared_strings=[],
        epoch=datetime(1899, 12, 30),
        date_styles=set(),
        duration_styles=set(),
    )
    with pytest.raises(ValueError, match="Entit"):  # defusedxml's EntitiesForbidden
        list(stream.rows())


def test_a_zip_bomb_is_refused_before_inflating_in_little_time_and_memory() -> None:
    data = with_sheet_entry(portfolio(project()), bomb_sheet(1450))  # ~2 MB -> 1.5 GB
    assert len(data) < 3 * 2**20
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.getinfo("xl/worksheets/sheet1.xml").file_size > 1.5e9
    message = refusal(data)
    assert message.startswith("Filen afvises af sikkerhedshensyn")
    elapsed, peak = bounded(lambda: read_workbook(data))
    assert elapsed < 1 and peak < 50 * 2**20


def test_one_highly_compressed_entry_under_the_total_is_refused_by_its_ratio() -> None:
    data = with_sheet_entry(portfolio(project()), bomb_sheet(60))  # 60 MB at ~700x
    assert refusal(data).startswith("Filen afvises af sikkerhedshensyn")


def test_too_many_entries_are_refused() -> None:
    many = {f"xl/media/{i}.txt": b"" for i in range(10_001)}
    assert refusal(_zip(many)).startswith("Filen afvises af sikkerhedshensyn")


def test_an_entry_lying_about_its_size_cannot_inflate_past_its_claim() -> None:
    rows = "".join(inline_row(n, f"Projekt {n}") for n in range(2, 200_000))
    real = sheet_xml(inline_row(1, "Projektnavn") + rows)  # ~12 MB of XML
    honest = deflated("xl/worksheets/sheet1.xml", real)
    liar = RawEntry(honest.name, honest.payload, honest.crc, 4096)
    data = with_sheet_entry(portfolio(project()), liar)
    assert refusal(data).startswith("Filen er beskadiget")
    elapsed, peak = bounded(lambda: read_workbook(data))
    assert elapsed < 1 and peak < 50 * 2**20


def test_a_file_over_max_bytes_is_refused_unread(tmp_path: Path) -> None:
    data = portfolio(project())
    path = tmp_path / "stor.xlsx"
    path.write_bytes(data)
    for source in (data, path, io.BytesIO(data)):
        with pytest.raises(WorkbookError) as error:
            read_workbook(source, max_bytes=1000)
        assert str(error.value).startswith("Filen er for stor")
    assert read_workbook(data, max_bytes=len(data)).rows


def test_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    assert refusal(tmp_path / "findes-ikke.xlsx").endswith("findes ikke.")


def test_a_formatted_cell_at_the_last_row_does_not_walk_a_million_rows() -> None:
    def far_away(ws: object) -> None:
        ws.cell(1_048_576, 16).fill = PatternFill("solid", fgColor="FFFF00")  # type: ignore[attr-defined]

    data = portfolio(project(), project(case_number="2", name="Kørselsapp"), tweak=far_away)
    started = time.perf_counter()
    result = read_workbook(data)
    assert time.perf_counter() - started < 1
    assert [r.values["name"] for r in result.rows] == ["Bilagsapp", "Kørselsapp"]
    assert result.problems == []


def test_data_after_a_long_empty_stretch_is_reported_not_dropped() -> None:
    def far_away(ws: object) -> None:
        ws.cell(1_048_576, 2, "Glemt projekt")  # type: ignore[attr-defined]

    result = read_workbook(portfolio(project(), tweak=far_away))
    assert [r.values["name"] for r in result.rows] == ["Bilagsapp"]
    assert [p.cell for p in result.problems] == ["B1048576"]
    assert "efter mere end 1.000 tomme rækker" in result.problems[0].message


def test_a_note_far_below_in_a_column_that_is_not_imported_is_harmless() -> None:
    def note(ws: object) -> None:
        ws.cell(5_000, 30, "Opdateret af IT")  # type: ignore[attr-defined]

    result = read_workbook(portfolio(project(), tweak=note))
    assert [r.values["name"] for r in result.rows] == ["Bilagsapp"]
    assert result.problems == []


def test_thousands_of_styled_empty_rows_stop_the_walk_but_merges_still_count() -> None:
    def style_and_merge(ws: object) -> None:
        ws.merge_cells("E2:E3")  # type: ignore[attr-defined]
        for r in range(10, 6_000):
            ws.cell(r, 1).number_format = "0"  # type: ignore[attr-defined]

    data = portfolio(
        project(department="Børn & Familie"),
        project(case_number="2", name="Kørselsapp", department=None),
        tweak=style_and_merge,
    )
    result = read_workbook(data)
    assert [r.values["department"] for r in result.rows] == ["Børn & Familie"] * 2
    assert result.problems == []


def test_a_sheet_without_any_header_is_refused() -> None:
    data = openpyxl_sheet([[1, 2, 3], [4, 5, 6]])
    assert "projektnavn" in refusal(data)


# What may stand before a sheet's root element: each piece alone, and tricks that hide or fake
# a DOCTYPE (inside a comment or a processing instruction, split, lower case, too far in).
PROLOG_PIECES = [
    " ",
    "\r\n",
    "\t",
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
    "<?mso-application progid='Excel.Sheet'?>",
    "<?pi <!DOCTYPE worksheet> ?>",
    "<!-- plain -->",
    "<!---->",
    '<!-- <!DOCTYPE worksheet [<!ENTITY e "x">]> -->',
    "<!-- ?> -->",
    "<!DOCTYPE worksheet>",
    '<!DOCTYPE worksheet [<!ENTITY e "x">]>',
    '<!DOCTYPE worksheet SYSTEM "file:///etc/passwd">',
    "<!doctype worksheet>",
    "<!",
    "<!-",
    "<",
    "-->",
    "?>",
    "]>",
    "<!--" + "x" * 70_000 + "-->",
]
ROOT = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData/></worksheet>"
)


def _has_doctype(document: bytes) -> bool:
    """Whether expat, the parser behind both paths, meets a DOCTYPE before giving up."""
    import pyexpat

    seen: list[str] = []
    parser = pyexpat.ParserCreate()
    parser.StartDoctypeDeclHandler = lambda name, *_: seen.append(name)
    try:
        parser.Parse(document, True)
    except pyexpat.ExpatError:
        pass
    return bool(seen)


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PROLOG_PIECES), max_size=6),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-16"]),
)
def test_a_document_with_a_doctype_never_reaches_the_plain_parser(
    pieces: list[str], bom: bool, encoding: str
) -> None:
    text = "".join(pieces) + ROOT
    document = text.encode(encoding)
    if bom and encoding == "utf-8":
        document = b"\xef\xbb\xbf" + document
    if iterparse_for(_ChunkReader(io.BytesIO(document))) is plain_iterparse:
        assert not _has_doctype(document), text[:200]


def test_the_reader_takes_the_fast_parser_for_what_excel_writes() -> None:
    # Excel's own prolog has no DOCTYPE: without this the fast path would be dead code.
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + ROOT).encode()
    assert iterparse_for(_ChunkReader(io.BytesIO(document))) is plain_iterparse
    assert iterparse_for(_ChunkReader(io.BytesIO(b"<!DOCTYPE x>" + document))) is not (
        plain_iterparse
    )
