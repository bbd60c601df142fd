"""Reading sheets as other people keep them: Excel tables with totals rows, sum lines,
transposed masters, data rows that look like headers, and where each problem points."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from importers.columns import SHEET_COLUMNS
from importers.options import ReadOptions
from importers.results import ReadResult, WorkbookError
from importers.workbook import read_workbook
from tests.importer_fixtures import entries, replace_entries
from tests.real_sheets import (
    DANISH_HEADERS,
    DANISH_ROWS,
    plain_sheet,
    table_with_totals,
    totals_line_without_table,
    transposed_sheet,
)


def projects(result: ReadResult) -> list[dict[str, Any]]:
    return [row.values for row in result.rows]


def names(result: ReadResult) -> list[object]:
    return [row.values["name"] for row in result.rows]


@pytest.mark.parametrize("date_1904", [False, True])
def test_an_excel_table_with_a_totals_row_imports_every_project_and_no_total(
    date_1904: bool,
) -> None:
    result = read_workbook(table_with_totals(date_1904=date_1904))
    assert result.problems == []
    assert names(result) == [r[0] for r in DANISH_ROWS]
    assert [row.values["start_date"] for row in result.rows] == [r[4] for r in DANISH_ROWS]
    assert [row.values["budget_dkk"] for row in result.rows] == [r[5] for r in DANISH_ROWS]
    assert result.skipped == [
        f"Række {len(DANISH_ROWS) + 2} er tabellens sumrække og er sprunget over."
    ]


def test_a_table_below_a_title_uses_its_own_header_row_and_nothing_outside_it() -> None:
    notes = [["Porteføljeoversigt, kvartal 3"], ["Projekt", "Udarbejdet af"], []]
    result = read_workbook(table_with_totals(before=notes))
    assert result.header_row == len(notes) + 1
    assert names(result) == [r[0] for r in DANISH_ROWS]
    assert result.problems == []


def test_a_sum_line_without_a_table_is_skipped_and_said() -> None:
    result = read_workbook(totals_line_without_table())
    assert result.problems == []
    assert names(result) == [r[0] for r in DANISH_ROWS]
    line = len(DANISH_ROWS) + 2
    assert result.skipped == [f"Række {line} ligner en sumrække og er sprunget over."]


def test_a_sum_typed_in_as_a_number_is_a_sum_line_too() -> None:
    total = sum(r[5] for r in DANISH_ROWS)
    blank = [None] * (len(DANISH_HEADERS) - 1)
    result = read_workbook(plain_sheet([DANISH_HEADERS, *DANISH_ROWS, [*blank, total]]))
    assert result.problems == []
    assert len(result.rows) == len(DANISH_ROWS)
    assert len(result.skipped) == 1


def test_a_nameless_row_with_a_typed_value_is_still_a_problem() -> None:
    blank = [None] * (len(DANISH_HEADERS) - 1)
    result = read_workbook(plain_sheet([DANISH_HEADERS, *DANISH_ROWS, [*blank, 999]]))
    assert [p.cell for p in result.problems] == [f"A{len(DANISH_ROWS) + 2}"]
    assert result.skipped == []


def test_a_transposed_sheet_reads_the_same_projects_as_its_twin() -> None:
    twin = read_workbook(plain_sheet([DANISH_HEADERS, *DANISH_ROWS]))
    result = read_workbook(transposed_sheet())
    assert result.transposed and not twin.transposed
    assert result.problems == [] and twin.problems == []
    assert projects(result) == projects(twin)
    # Each value's cell is the real one: project 2 is column C, its budget on row 6.
    assert result.rows[1].cells["budget_dkk"] == "C6"
    assert [p.header for p in result.placements] == DANISH_HEADERS


def test_a_bad_value_in_a_transposed_sheet_points_at_its_cell() -> None:
    rows = [list(r) for r in DANISH_ROWS]
    rows[2][4] = "engang i foråret"
    result = read_workbook(transposed_sheet(rows=rows))
    assert [(p.cell, p.field) for p in result.problems] == [("D5", "start_date")]


def test_a_transposed_sheet_without_a_name_row_is_refused_saying_what_was_seen() -> None:
    headers = ["Afdeling", "Fase", "Startdato", "Budget (kr.)"]
    rows = [r[2:] for r in DANISH_ROWS]
    with pytest.raises(WorkbookError) as caught:
        read_workbook(transposed_sheet(headers, rows))
    message = str(caught.value)
    assert "nedad i kolonne A" in message and "“Startdato”" in message


def test_a_data_row_reading_project_under_a_real_header_is_not_the_header() -> None:
    # Only the name column's header is known; the data row below reads "Projekt" and
    # "Afdeling", two known header words, so it would win on words alone.
    header = ["Projektnavn", "Enhed", "Dato", "Kr"]
    rows = [
        ["Bilagsapp", "Økonomi", date(2024, 3, 1), 450_000],
        ["Projekt", "Afdeling", date(2024, 5, 1), 10_000],
        ["Kørselsapp", "Teknik", date(2024, 6, 1), 20_000],
    ]
    result = read_workbook(plain_sheet([header, *rows]))
    assert result.header_row == 1
    assert names(result) == ["Bilagsapp", "Projekt", "Kørselsapp"]
    assert [p.header for p in result.placements] == header


def test_a_header_below_a_title_line_still_wins() -> None:
    title = ["Projekt"]  # a title saying what the sheet is, over the real header
    result = read_workbook(plain_sheet([title, [], DANISH_HEADERS, *DANISH_ROWS]))
    assert result.header_row == 3
    assert names(result) == [r[0] for r in DANISH_ROWS]


def test_a_bad_date_in_column_l_is_reported_at_its_cell() -> None:
    headers = [h for _f, h in SHEET_COLUMNS]
    end = headers.index("Slutdato")
    assert end == 11  # column L
    row: list[Any] = [None] * len(headers)
    row[1], row[end] = "Bilagsapp", "til sommer"
    result = read_workbook(plain_sheet([headers, ["85.1", "Ok"], row]))
    assert [(p.cell, p.field, p.value) for p in result.problems] == [
        ("L3", "end_date", "til sommer")
    ]


def test_placements_list_every_column_and_how_it_was_placed() -> None:
    header = ["Projektnavn", "Forklaring", "Afdeling", "Noter", "Budget (kr.)"]
    data = plain_sheet([header, ["Bilagsapp", "x", "Økonomi", "y", 1000]])
    result = read_workbook(data, options=ReadOptions(mapping={"Noter": "ignore"}))
    shown = [(p.column, p.header, p.field, p.how) for p in result.placements]
    assert shown == [
        ("A", "Projektnavn", "name", "matched"),
        ("B", "Forklaring", None, "unknown"),
        ("C", "Afdeling", "department", "matched"),
        ("D", "Noter", None, "ignored"),
        ("E", "Budget (kr.)", "budget_dkk", "matched"),
    ]
    mapped = read_workbook(data, mapping={"B": "description"}, options=ReadOptions())
    assert [(p.column, p.field, p.how) for p in mapped.placements][1] == (
        "B",
        "description",
        "mapped",
    )
    assert mapped.rows[0].values["description"] == "x"


def test_a_mapping_that_names_no_header_is_refused_listing_the_headers() -> None:
    data = plain_sheet([DANISH_HEADERS, *DANISH_ROWS])
    with pytest.raises(WorkbookError) as caught:
        read_workbook(data, options=ReadOptions(mapping={"Forventet slut": "end_date"}))
    assert "Projektnavn" in str(caught.value)


def test_value_mappings_and_unknown_values_come_through_the_options() -> None:
    header = ["Projektnavn", "Status"]
    data = plain_sheet([header, ["A", "On Track"], ["B", "On Track"], ["C", "Wobbly"]])
    plain = read_workbook(data)
    assert plain.unknown_values["status"]["Wobbly"] == 1
    assert plain.unknown_values["status"].get("On Track", 2) == 2
    chosen = ReadOptions(values={"status": {"On Track": "green", "Wobbly": ""}})
    result = read_workbook(data, options=chosen)
    assert result.problems == []
    assert [r.values["status"] for r in result.rows] == ["green", "green", None]


def test_unreadable_text_is_left_blank_as_a_warning_when_chosen() -> None:
    header = ["Projektnavn", "Startdato"]
    data = plain_sheet([header, ["A", "NA"], ["B", date(2024, 1, 2)]])
    refused = read_workbook(data)
    assert [p.cell for p in refused.problems] == ["B2"]
    result = read_workbook(data, options=ReadOptions(blank_unparsable=frozenset({"start_date"})))
    assert result.problems == []
    assert [w.cell for w in result.warnings] == ["B2"]
    assert [r.values["start_date"] for r in result.rows] == [None, date(2024, 1, 2)]


@pytest.mark.parametrize(
    "doctype",
    ['<!DOCTYPE table [<!ENTITY e "x">]>', '<!DOCTYPE table SYSTEM "file:///etc/passwd">'],
)
def test_a_table_part_with_a_doctype_is_refused_as_hostile(doctype: str) -> None:
    data = table_with_totals()
    part = entries(data)["xl/tables/table1.xml"].decode()
    head, _, rest = part.partition("?>")
    hostile = replace_entries(data, {"xl/tables/table1.xml": f"{head}?>{doctype}{rest}".encode()})
    with pytest.raises(WorkbookError) as caught:
        read_workbook(hostile)
    assert "sikkerhedshensyn" in str(caught.value)


def test_a_huge_table_part_is_refused_before_it_is_parsed() -> None:
    data = table_with_totals()
    part = entries(data)["xl/tables/table1.xml"]
    noise = os.urandom(3 * 1024 * 1024).hex().encode()  # 6 MB that do not deflate much
    padded = part.replace(b"</table>", b"<!--" + noise + b"--></table>")
    with pytest.raises(WorkbookError) as caught:
        read_workbook(replace_entries(data, {"xl/tables/table1.xml": padded}))
    assert "beskadiget" in str(caught.value)


def test_subtotals_and_a_grand_total_typed_as_numbers_are_all_skipped() -> None:
    blank = [None] * (len(DANISH_HEADERS) - 1)
    first, second = DANISH_ROWS[:2], DANISH_ROWS[2:]
    sub1, sub2 = sum(r[5] for r in first), sum(r[5] for r in second)
    sheet = [DANISH_HEADERS, *first, [*blank, sub1], *second, [*blank, sub2], [*blank, sub1 + sub2]]
    result = read_workbook(plain_sheet(sheet))
    assert result.problems == []
    assert names(result) == [r[0] for r in DANISH_ROWS]
    assert len(result.skipped) == 3


def test_money_in_a_foreign_currency_without_a_rate_is_a_problem_on_its_header() -> None:
    data = plain_sheet([["Projektnavn", "Budget (£m)"], ["Bilagsapp", 34]])
    refused = read_workbook(data)
    assert [(p.cell, p.field) for p in refused.problems] == [("B1", "budget_dkk")]
    assert "budget_dkk" not in refused.rows[0].values  # not read, so nothing is blanked
    rate = Decimal("8.65")
    result = read_workbook(data, options=ReadOptions(rates={"GBP": rate}))
    assert result.problems == []
    assert result.rows[0].values["budget_dkk"] == int(34 * 1_000_000 * rate)
