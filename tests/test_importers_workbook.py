"""Reading whole workbooks: Excel tables, 1904 dates, formulas, merged cells, links, problems."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl.xml
from openpyxl.styles import Font

from importers.workbook import read_workbook
from tests.importer_fixtures import (
    HEADERS,
    MAIN_NS,
    inline_row,
    openpyxl_sheet,
    portfolio,
    project,
    replace_entries,
    save,
    sheet_xml,
    xlsxwriter_book,
)


def test_the_sheets_own_layout_reads_back_as_canonical_values(tmp_path: Path) -> None:
    data = portfolio(
        project(start_date=datetime(2020, 10, 22), link="https://kommune.sharepoint.com/p/1"),
        project(
            case_number="85.13.00-P20-2-20",
            name="Kørselsapp",
            scope="Nationalt skal-projekt",
            kind="Strategisk",
            phase="Idé",
            status=None,
            budget_dkk=None,
        ),
    )
    path = tmp_path / "portefolje.xlsx"
    path.write_bytes(data)
    for source in (data, path, str(path), io.BytesIO(data)):
        result = read_workbook(source)
        assert (result.sheet, result.header_row, result.problems) == ("Portefølje", 1, [])
        assert list(result.columns.values()) == HEADERS
        first, second = result.rows
        assert first.values["status"] == "yellow" and first.values["scope"] == "municipal"
        assert first.values["start_date"] == date(2020, 10, 22)
        assert first.values["budget_dkk"] == 450_000
        assert second.values["scope"] == "national" and second.values["kind"] == "strategic"
        # present but empty: the cell was blank
        assert second.values["status"] is None and second.values["budget_dkk"] is None
        assert second.row_number == 3 and second.cells["status"] == "I3"


def test_an_excel_table_from_xlsxwriter_with_a_total_row() -> None:
    def build(wb: object) -> None:
        ws = wb.add_worksheet("Projekter")  # type: ignore[attr-defined]
        money = wb.add_format({"num_format": '#,##0 "kr."'})  # type: ignore[attr-defined]
        ws.write("A1", "Porteføljeoversigt", wb.add_format({"bold": True}))  # type: ignore[attr-defined]
        ws.add_table(
            "A3:D6",
            {
                "data": [
                    ["85.13.00-P20-1-20", "Bilagsapp", "Grøn", 450_000],
                    ["85.13.00-P20-2-20", "Kørselsapp", "Amber", 1_200_000],
                ],
                "columns": [
                    {"header": "Sagsnr.", "total_string": "I alt"},
                    {"header": "Projekt"},
                    {"header": "RAG"},
                    {"header": "Budget (kr.)", "total_function": "sum", "format": money},
                ],
                "total_row": True,
            },
        )

    result = read_workbook(xlsxwriter_book(build))
    assert result.sheet == "Projekter" and result.header_row == 3
    assert result.problems == []
    assert [
        (r.values["name"], r.values["status"], r.values["budget_dkk"]) for r in result.rows
    ] == [
        ("Bilagsapp", "green", 450_000),
        ("Kørselsapp", "yellow", 1_200_000),
    ]


def test_the_1904_date_system_and_serial_numbers_follow_the_workbook() -> None:
    def build(wb: object) -> None:
        ws = wb.add_worksheet()  # type: ignore[attr-defined]
        day = wb.add_format({"num_format": "dd-mm-yyyy"})  # type: ignore[attr-defined]
        ws.write_row(0, 0, ["Projektnavn", "Startdato", "Slutdato"])
        ws.write(1, 0, "Bilagsapp")
        ws.write_datetime(1, 1, datetime(2020, 10, 22), day)
        ws.write_number(1, 2, 42664)  # a bare day number in the 1904 system

    result = read_workbook(xlsxwriter_book(build, date_1904=True))
    values = result.rows[0].values
    assert values["start_date"] == date(2020, 10, 22)
    # 42664 days after 1904-01-01; read in the 1900 system it would be 2016-10-21.
    assert values["end_date"] == date(2020, 10, 22)


def test_formulas_use_their_cached_values() -> None:
    def build(wb: object) -> None:
        ws = wb.add_worksheet()  # type: ignore[attr-defined]
        ws.write_row(0, 0, ["Projektnavn", "Budget", "Status"])
        ws.write_formula("A2", '="Bilag"&"sapp"', None, "Bilagsapp")
        ws.write_formula("B2", "=400000+50000", None, 450_000)
        ws.write_formula("C2", '=IF(B2>0,"Grøn","Rød")', None, "Grøn")

    result = read_workbook(xlsxwriter_book(build))
    assert result.problems == []
    assert result.rows[0].values == {"name": "Bilagsapp", "budget_dkk": 450_000, "status": "green"}


def test_only_a_formula_saved_as_empty_text_counts_as_empty() -> None:
    # Excel marks a formula whose value is "" with t="str"; <v/> alone (openpyxl, and
    # xlsxwriter given value="") cannot be told from "never calculated", so it is a problem.
    cells = (
        '<c r="A2" t="inlineStr"><is><t>Bilagsapp</t></is></c>'
        '<c r="B2" t="str"><f>""</f><v></v></c>'
        '<c r="C2"><f>1+1</f><v/></c>'
        '<c r="D2"><f>1+1</f></c>'
    )
    xml = sheet_xml(inline_row(1, "Projektnavn", "Kommentar", "Budget", "Slutdato"))
    xml = xml.replace(b"</sheetData>", f'<row r="2">{cells}</row></sheetData>'.encode())
    data = replace_entries(portfolio(project()), {"xl/worksheets/sheet1.xml": xml})
    result = read_workbook(data)
    assert result.rows[0].values == {"name": "Bilagsapp", "status_comment": None}
    assert [p.cell for p in result.problems] == ["C2", "D2"]


def test_a_formula_without_a_cached_value_is_a_problem_never_a_blank() -> None:
    data = openpyxl_sheet(
        [
            ["Projektnavn", "A", "B", "Budget"],
            *[[f"P{i}", 1, 2, 100] for i in range(1, 11)],
            ["Bilagsapp", 1, 2, "=B12+C12"],  # openpyxl stores no value for a formula
        ]
    )
    result = read_workbook(data)
    assert [(p.cell, p.field, p.message) for p in result.problems] == [
        (
            "D12",
            "budget_dkk",
            "Formlen i D12 har ingen gemt værdi – åbn og gem filen i Excel, og prøv igen.",
        )
    ]
    assert "budget_dkk" not in result.rows[-1].values


def test_excel_error_values_are_problems() -> None:
    def build(wb: object) -> None:
        ws = wb.add_worksheet()  # type: ignore[attr-defined]
        ws.write_row(0, 0, ["Projektnavn", "Budget"])
        ws.write(1, 0, "Bilagsapp")
        ws.write_formula("B2", "=1/0", None, "#DIV/0!")

    result = read_workbook(xlsxwriter_book(build))
    assert [(p.cell, p.value) for p in result.problems] == [("B2", "#DIV/0!")]
    assert "fejlen #DIV/0!" in result.problems[0].message


def test_a_value_merged_down_applies_to_every_row_of_the_range() -> None:
    def merge(ws: object) -> None:
        ws.merge_cells("B2:B4")  # type: ignore[attr-defined]
        ws.merge_cells("A6:C6")  # a merged note row across columns is one cell, not three

    data = openpyxl_sheet(
        [
            ["Projektnavn", "Afdeling", "Fase"],
            ["Bilagsapp", "Økonomi & Stab", "Idé"],
            ["Kørselsapp", None, "Analyse"],
            ["Fraværsapp", None, "Idé"],
            ["Skoleportal", "Skoler & Uddannelser", "Idé"],
            ["Kvalitetskontrol", None, None],
        ],
        tweak=merge,
    )
    result = read_workbook(data)
    assert [(r.values["name"], r.values["department"]) for r in result.rows] == [
        ("Bilagsapp", "Økonomi & Stab"),
        ("Kørselsapp", "Økonomi & Stab"),
        ("Fraværsapp", "Økonomi & Stab"),
        ("Skoleportal", "Skoler & Uddannelser"),
        ("Kvalitetskontrol", None),
    ]
    assert result.rows[2].cells["department"] == "B2"
    assert result.problems == []


def test_hyperlinks_give_the_link_column_and_linked_names_their_target() -> None:
    def links(ws: object) -> None:
        ws["B2"].hyperlink = "https://kommune.sharepoint.com/procesark/1"  # type: ignore[index]
        ws["A3"].hyperlink = "https://kommune.sharepoint.com/procesark/2"  # type: ignore[index]

    data = openpyxl_sheet(
        [["Projektnavn", "Procesark"], ["Bilagsapp", "Procesark"], ["Kørselsapp", None]],
        tweak=links,
    )
    rows = read_workbook(data).rows
    assert rows[0].values["link"] == "https://kommune.sharepoint.com/procesark/1"
    assert rows[1].values["link"] == "https://kommune.sharepoint.com/procesark/2"


def test_empty_rows_are_skipped_and_rows_without_a_name_are_problems() -> None:
    data = openpyxl_sheet(
        [
            ["Sagsnr.", "Projektnavn", "Fase"],
            ["85.13.00-P20-1-20", "Bilagsapp", "Idé"],
            [None, None, None],
            ["-", "  ", None],
            ["85.13.00-P20-2-20", None, "Analyse"],
            ["85.13.00-P20-1-20", "Kopi af bilagsapp", "Idé"],
            [None, "I alt", None],
        ]
    )
    result = read_workbook(data)
    assert [r.row_number for r in result.rows] == [2, 6]  # the "I alt" line is no project
    assert [(p.cell, p.field, p.message) for p in result.problems] == [
        ("B5", "name", "Rækken mangler et projektnavn – skriv projektets navn, eller slet rækken."),
        (
            "A6",
            "case_number",
            "Sagsnummeret står også i række 2 – hvert projekt skal have sit eget sagsnummer.",
        ),
    ]


def test_openpyxl_reads_xml_through_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True


def test_a_styled_libreoffice_like_sheet_reads_without_warnings() -> None:
    def style(ws: object) -> None:
        for cell in ws[1]:  # type: ignore[index]
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"  # type: ignore[attr-defined]
        ws.auto_filter.ref = "A1:C3"  # type: ignore[attr-defined]

    data = openpyxl_sheet(
        [["Projektnavn", "Fase", "Slutdato"], ["Bilagsapp", "Idé", "2020-10-22"]], tweak=style
    )
    assert read_workbook(data).rows[0].values["end_date"] == date(2020, 10, 22)


def test_a_workbook_saved_with_openpyxl_round_trips_through_save() -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(portfolio(project())))
    assert read_workbook(save(wb)).rows[0].values["name"] == "Bilagsapp"


def test_a_stylesheet_without_named_styles_is_read_without_openpyxl_warnings() -> None:
    # Several generators omit <cellStyles>; openpyxl then warns "Workbook contains no default
    # style", which the reader expects and keeps from the user (pytest turns warnings to errors).
    styles = (
        f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="1">'
        '<numFmt numFmtId="164" formatCode="dd-mm-yyyy"/></numFmts>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/>'
        "</cellXfs></styleSheet>"
    ).encode()
    xml = sheet_xml(
        inline_row(1, "Projektnavn", "Startdato")
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>Bilagsapp</t></is></c>'
        '<c r="B2" s="1"><v>44126</v></c></row>',
        after='<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        "<x14:dataValidations/></ext></extLst>",
    )
    data = replace_entries(
        portfolio(project()), {"xl/styles.xml": styles, "xl/worksheets/sheet1.xml": xml}
    )
    result = read_workbook(data)
    assert result.rows[0].values == {"name": "Bilagsapp", "start_date": date(2020, 10, 22)}


def test_rich_text_cells_read_as_their_plain_text() -> None:
    def build(wb: object) -> None:
        ws = wb.add_worksheet()  # type: ignore[attr-defined]
        bold = wb.add_format({"bold": True})  # type: ignore[attr-defined]
        ws.write_row(0, 0, ["Projektnavn", "Statuskommentar"])
        ws.write_rich_string("A2", bold, "Bilags", "app")
        ws.write_rich_string("B2", "Afventer ", bold, "leverandør", ".")

    values = read_workbook(xlsxwriter_book(build)).rows[0].values
    assert values == {"name": "Bilagsapp", "status_comment": "Afventer leverandør."}
