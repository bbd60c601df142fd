"""Finding the header: synonyms in Danish and English, the best sheet and row, manual mapping."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from importers.columns import FIELDS, SHEET_COLUMNS
from importers.headers import match_header
from importers.workbook import WorkbookError, read_workbook
from tests.importer_fixtures import HEADERS, openpyxl_sheet, portfolio, project, row, save

SYNONYMS = {
    "case_number": ["Sagsnr.", "Sagsnummer", "Journalnr.", "Case no.", "SAGS NR", "sags-nr"],
    "name": ["Projekt", "Projektnavn", "Project Name", "PROJEKT NAVN", "Projekt-\nnavn"],
    "process_owner": ["Procesejer", "Project Owner", "Process owner"],
    "project_lead": ["Projektleder", "Project manager", "Project lead"],
    "department": ["Afdeling", "Department", "Forvaltning"],
    "scope": ["Projekttype", "Type", "Scope"],
    "kind": ["Strategisk/operationelt", "Strategisk / operationelt", "Kategori", "Kind"],
    "phase": ["Fase", "Phase", "Stage"],
    "status": ["Status", "RAG", "Trafiklys"],
    "status_comment": [
        "Statuskommentar",
        "Kommentar",
        "Status comment",
        "Bemærkninger",
        "Bemaerkninger",
    ],
    "start_date": ["Startdato", "Start", "Start date"],
    "end_date": ["Slutdato", "Slut", "End date", "Forventet slutdato", "Slutdato (forventet)"],
    "baseline_end_date": ["Oprindelig slutdato", "Baseline slutdato", "Baseline end date"],
    "budget_dkk": ["Budget (kr.)", "Budget", "Budget DKK", "budget i kr"],
    "description": ["Beskrivelse", "Description"],
    "link": ["Link", "Procesark", "URL"],
}


@pytest.mark.parametrize(
    ("header", "field"),
    [(header, field) for field, headers in SYNONYMS.items() for header in headers],
)
def test_a_synonym_names_its_field(header: str, field: str) -> None:
    match = match_header(header)
    assert match is not None and match.field == field


def test_every_field_and_the_sheets_own_headers_are_recognised() -> None:
    for field, header in SHEET_COLUMNS:
        assert match_header(header).field == field  # type: ignore[union-attr]
        assert match_header(field).field == field  # type: ignore[union-attr]
    assert set(SYNONYMS) == set(FIELDS)


@pytest.mark.parametrize(
    ("header", "unit"),
    [("Budget (t.kr.)", 1_000), ("Budget i 1.000 kr.", 1_000), ("Budget (mio. kr.)", 1_000_000)],
)
def test_a_budget_header_with_a_unit_scales_the_numbers(header: str, unit: int) -> None:
    assert match_header(header) is not None and match_header(header).unit == unit  # type: ignore[union-attr]
    data = openpyxl_sheet([["Projektnavn", header], ["Bilagsapp", 250]])
    assert read_workbook(data).rows[0].values["budget_dkk"] == 250 * unit


# "Budget (EUR)" is a budget in euro now: tests/test_importers_columns_values.py asks for a rate.
@pytest.mark.parametrize("header", ["Budgetår", "Budgetansvarlig", "Ansvarlig chef", "Noter"])
def test_headers_that_only_look_alike_are_left_unmapped(header: str) -> None:
    assert match_header(header) is None
    data = openpyxl_sheet([["Projektnavn", header], ["Bilagsapp", "x"]])
    result = read_workbook(data)
    assert result.unmapped_headers == [header]
    assert set(result.rows[0].values) == {"name"}


def test_the_header_is_found_below_a_merged_title_and_between_spacer_columns() -> None:
    def layout(ws: object) -> None:
        ws.merge_cells("A1:F1")  # type: ignore[attr-defined]

    data = openpyxl_sheet(
        [
            ["Sagsnr.", None, "Projektnavn", None, "Fase", "Ansvarlig chef"],
            ["85.13.00-P20-1-20", None, "Bilagsapp", None, "Idé", "Peter"],
        ],
        before=[["IT-projektportefølje – udtræk 22-10-2020"], ["Opdateret af IT"]],
        tweak=layout,
    )
    result = read_workbook(data)
    assert result.header_row == 3
    assert result.columns == {"case_number": "Sagsnr.", "name": "Projektnavn", "phase": "Fase"}
    assert result.unmapped_headers == ["Ansvarlig chef"]
    assert result.rows[0].values == {
        "case_number": "85.13.00-P20-1-20",
        "name": "Bilagsapp",
        "phase": "idea",
    }
    assert result.rows[0].cells == {"case_number": "A4", "name": "C4", "phase": "E4"}


def test_the_best_visible_sheet_is_chosen_and_hidden_helpers_are_ignored() -> None:
    wb = Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "Forside"
    notes.append(["Projekt", "Dato"])  # a weak header: name only
    notes.append(["Om arket", "2020"])
    helper = wb.create_sheet("Lister")
    helper.append(HEADERS)  # the best header of all, but hidden
    helper.append(row(name="Skjult"))
    helper.sheet_state = "hidden"
    main = wb.create_sheet("Portefølje")
    main.append(["Projektnavn", "Fase", "Status"])
    main.append(["Bilagsapp", "Idé", "Grøn"])
    data = save(wb)

    result = read_workbook(data)
    assert result.sheet == "Portefølje"
    assert result.sheet_names == ["Forside", "Lister", "Portefølje"]
    assert [r.values["name"] for r in result.rows] == ["Bilagsapp"]

    chosen = read_workbook(data, sheet="Lister")
    assert [r.values["name"] for r in chosen.rows] == ["Skjult"]
    assert read_workbook(data, sheet="  forside ").sheet == "Forside"


def test_an_unknown_sheet_name_lists_the_sheets() -> None:
    with pytest.raises(WorkbookError) as error:
        read_workbook(portfolio(project()), sheet="Ark2")
    assert str(error.value) == (
        "Arket “Ark2” findes ikke i filen – vælg et af arkene “Portefølje”."
    )


def test_a_sheet_without_a_name_column_is_refused_with_the_headers_it_has() -> None:
    data = openpyxl_sheet([["Aktivitet", "Ansvarlig", "Fase"], ["Bilagsapp", "Peter", "Idé"]])
    for chosen in (None, "Portefølje"):
        with pytest.raises(WorkbookError) as error:
            read_workbook(data, sheet=chosen)
        assert str(error.value) == (
            "Arket “Portefølje” har ingen kolonne med projektnavn (fx “Projektnavn” eller "
            "“Projekt”) blandt overskrifterne “Aktivitet”, “Ansvarlig” og “Fase” – omdøb "
            "kolonnen, eller knyt den til projektnavn manuelt."
        )
    wb = Workbook()
    wb.active.append(["Noter"])  # type: ignore[union-attr]
    wb.create_sheet("Ark2").append(["Aktivitet"])
    with pytest.raises(WorkbookError) as both:
        read_workbook(save(wb))
    assert str(both.value).startswith("Ingen af arkene “Sheet” eller “Ark2” har")
    # ... and the user can say which column is the name.
    mapped = read_workbook(data, mapping={"Aktivitet": "name", "Ansvarlig": "project_lead"})
    assert mapped.rows[0].values == {"name": "Bilagsapp", "project_lead": "Peter", "phase": "idea"}


def test_a_header_only_on_a_hidden_sheet_is_pointed_out() -> None:
    wb = Workbook()
    visible = wb.active
    assert visible is not None
    visible.append(["Noter"])
    hidden = wb.create_sheet("Data")
    hidden.append(["Projektnavn"])
    hidden.append(["Bilagsapp"])
    hidden.sheet_state = "hidden"
    with pytest.raises(WorkbookError) as error:
        read_workbook(save(wb))
    assert "det skjulte ark “Data”" in str(error.value)


def test_manual_mapping_places_ignores_and_overrides_columns() -> None:
    data = openpyxl_sheet(
        [
            ["Projektnavn", "Ansvarlig chef", "Status", "Noter"],
            ["Bilagsapp", "Peter Damgaard", "Kører fint", "intern"],
        ]
    )
    result = read_workbook(
        data,
        mapping={"ansvarlig  chef": "process_owner", "Status": "status_comment", "Noter": ""},
    )
    assert result.columns == {
        "name": "Projektnavn",
        "process_owner": "Ansvarlig chef",
        "status_comment": "Status",
    }
    assert result.unmapped_headers == []
    assert result.rows[0].values["status_comment"] == "Kører fint"
    with pytest.raises(WorkbookError) as error:
        read_workbook(data, mapping={"Ansvarlig chef": "boss"})
    assert "“boss”" in str(error.value)


def test_two_columns_for_one_field_keep_the_better_and_list_the_other() -> None:
    data = openpyxl_sheet(
        [["Projekt", "RAG", "Projektnavn", "Status"], ["P-1", "Red", "Bilagsapp", "Grøn"]]
    )
    result = read_workbook(data)
    assert result.columns == {"name": "Projektnavn", "status": "Status"}
    assert result.unmapped_headers == ["Projekt", "RAG"]
    assert result.rows[0].values == {"name": "Bilagsapp", "status": "green"}
