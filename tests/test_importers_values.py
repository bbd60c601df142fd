"""Cell values: dates, kroner, traffic lights and enum words as people really write them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from importers.values import (
    CellProblem,
    date_value,
    enum_value,
    long_text,
    money_value,
    optional_text,
    plain_text,
    single_text,
)
from importers.workbook import read_workbook
from tests.importer_fixtures import openpyxl_sheet


@pytest.mark.parametrize(
    "raw",
    [
        "22-10-2020",
        "22.10.2020",
        "22/10/2020",
        " 22. 10. 2020 ",
        "2020-10-22",
        "2020-10-22T00:00:00",
        "22-10-20",
        "22. oktober 2020",
        "22 okt. 2020",
        "October 22, 2020",
        datetime(2020, 10, 22, 14, 30),
        date(2020, 10, 22),
        44126,  # Excel's day number, typed into a cell without date format
        44126.6,
    ],
)
def test_dates_in_every_usual_spelling(raw: object) -> None:
    assert date_value(raw) == date(2020, 10, 22)


@pytest.mark.parametrize("raw", ["31-02-2020", "10/22/2020", "snart", "Q3 2021", 2024, True])
def test_a_wrong_date_is_a_problem_with_the_format_to_use(raw: object) -> None:
    with pytest.raises(CellProblem) as problem:
        date_value(raw)
    assert "dd-mm-åååå" in str(problem.value)


@pytest.mark.parametrize("raw", [None, "", "  ", "-", "—", "nan", "N/A"])
def test_empty_words_are_empty(raw: object) -> None:
    assert single_text(raw or "") is None
    assert date_value(raw or "") is None
    assert money_value(raw or "") is None


@pytest.mark.parametrize(
    ("raw", "kroner"),
    [
        (1_250_000, 1_250_000),
        (1_250_000.5, 1_250_001),
        ("1.250.000 kr.", 1_250_000),
        ("1.250.000,50", 1_250_001),
        ("1.250.000,-", 1_250_000),
        ("kr. 1.250.000", 1_250_000),
        ("1 250 000 kr", 1_250_000),
        ("1,5 mio.", 1_500_000),
        ("1,5 mio. kr.", 1_500_000),
        ("2 mia. kr.", 2_000_000_000),
        ("250 t.kr.", 250_000),
        ("250 tkr", 250_000),
        ("DKK 1,250,000", 1_250_000),
        ("1,250,000.50", 1_250_001),
        ("ca. 600.000 kr.", 600_000),
        ("600000", 600_000),
        ("0", 0),
    ],
)
def test_kroner_as_numbers_and_danish_text(raw: object, kroner: int) -> None:
    assert money_value(raw) == kroner


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1,250", "kan betyde både"),
        ("500 EUR", "ikke et beløb"),
        ("ukendt", "ikke et beløb"),
        ("-50.000", "negativt"),
        (date(2020, 1, 1), "ikke et beløb"),
        (float("nan"), "ikke et beløb"),
    ],
)
def test_a_wrong_amount_is_a_problem(raw: object, message: str) -> None:
    with pytest.raises(CellProblem) as problem:
        money_value(raw)
    assert message in str(problem.value)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Grøn", "green"),
        ("GUL", "yellow"),
        ("rød", "red"),
        ("G", "green"),
        ("Y", "yellow"),
        ("R", "red"),
        ("Green", "green"),
        ("Amber", "yellow"),
        ("Yellow", "yellow"),
        ("Red", "red"),
        # Amber/Green and Amber/Red (a five-step rating) are no longer folded silently: see
        # tests/test_importers_columns_values.py, where they are suggested and mapped.
        ("🟢", "green"),
        ("🟡", "yellow"),
        ("🟠", "yellow"),
        ("🔴", "red"),
        ("🟢 Grøn", "green"),
        ("green", "green"),
        (";#Rød;#", "red"),
    ],
)
def test_traffic_lights_in_danish_english_letters_and_emoji(raw: str, status: str) -> None:
    assert enum_value("status", raw, "“Status”") == status


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("scope", "Nationalt skal-projekt", "national"),
        ("scope", "Nationalt", "national"),
        ("scope", "national", "national"),
        ("scope", "Fælles for hele kommunen", "municipal"),
        ("scope", "Fælles", "municipal"),
        ("scope", "Tværgående", "municipal"),
        ("scope", "Afdelingsprojekt", "department"),
        ("scope", "Afdeling", "department"),
        ("scope", "Lokal", "department"),
        ("kind", "Strategisk", "strategic"),
        ("kind", "operationelt", "operational"),
        ("kind", "Operational", "operational"),
        ("phase", "Idé", "idea"),
        ("phase", "Ide", "idea"),
        ("phase", "Analyse", "analysis"),
        ("phase", "Udbud", "procurement"),
        ("phase", "Anskaffelse", "procurement"),
        ("phase", "Implementering", "implementation"),
        ("phase", "Gennemførelse", "implementation"),
        ("phase", "Realisering", "benefits"),
        ("phase", "Gevinstrealisering", "benefits"),
        ("phase", "Lukket", "completed"),
        ("phase", "Afsluttet", "completed"),
        ("phase", "På pause", "paused"),
        ("phase", "Sat i bero", "paused"),
        ("phase", "Stoppet", "stopped"),
        ("phase", "Fase 3: Gennemførelse", "implementation"),
        ("phase", "1. Idé", "idea"),
    ],
)
def test_scope_kind_and_phase_words(field: str, raw: str, value: str) -> None:
    assert enum_value(field, raw, "“x”") == value


@pytest.mark.parametrize(
    ("field", "raw", "allowed"),
    [
        ("status", "Blå", "Grøn, Gul eller Rød"),
        (
            "scope",
            "KOMBIT",
            "Nationalt skal-projekt, Fælles for hele kommunen eller Afdelingsprojekt",
        ),
        ("phase", "Design", "Idé, Analyse, Anskaffelse, Gennemførelse"),
        ("status", "Ikke grøn", "Grøn, Gul eller Rød"),
    ],
)
def test_an_unknown_word_names_the_allowed_values(field: str, raw: str, allowed: str) -> None:
    with pytest.raises(CellProblem) as problem:
        enum_value(field, raw, "“Status”")
    assert f"“{raw}”" in str(problem.value) and allowed in str(problem.value)


def test_sharepoint_people_and_choices() -> None:
    assert single_text("Peter Damgaard;#12") == "Peter Damgaard"
    assert single_text("12;#Peter Damgaard;#15;#Karen Holm") == "Peter Damgaard"
    assert single_text(";#Budget;#Tid;#") == "Budget"
    assert long_text(";#Budget;#Tid;#") == "Budget, Tid"
    # In free text and names ";#" is just text: only lookup columns use SharePoint's encoding.
    assert long_text("Se punkt 3;#4") == "Se punkt 3;#4"
    assert plain_text("Fase 2;#ny") == "Fase 2;#ny"
    assert single_text("2020;#2021") == "2020"  # no id pattern: values stay values


def test_people_are_tidied_but_names_and_comments_keep_what_was_written() -> None:
    assert single_text("  Peter \n Damgaard ") == "Peter Damgaard"
    assert single_text("-") is None and optional_text("nan") is None
    assert long_text(" Linje 1_x000D_\nLinje 2 ") == "Linje 1\nLinje 2"
    assert single_text(85.13) == "85.13" and single_text(2020.0) == "2020"
    # What the export writes must read back unchanged (export -> import changes nothing).
    assert plain_text(" Fælles  om   Målet ") == "Fælles  om   Målet"
    assert plain_text("Digital\nPost") == "Digital Post"
    assert plain_text("-") == "-" and long_text("–") == "–" and long_text("nan") == "nan"


def test_values_read_through_a_workbook_become_typed_or_problems() -> None:
    data = openpyxl_sheet(
        [
            ["Projektnavn", "Status", "Startdato", "Budget", "Procesejer", "Kommentar"],
            ["A", "🔴", "22.10.2020", "1,5 mio.", "Peter;#3", "  "],
            ["B", "Blå", "32-10-2020", "mange penge", "-", None],
        ]
    )
    result = read_workbook(data)
    assert result.rows[0].values == {
        "name": "A",
        "status": "red",
        "start_date": date(2020, 10, 22),
        "budget_dkk": 1_500_000,
        "process_owner": "Peter",
        "status_comment": None,
    }
    # A bad cell leaves its field out (unknown), an empty one is None.
    assert result.rows[1].values == {"name": "B", "process_owner": None, "status_comment": None}
    assert [(p.cell, p.value, p.field) for p in result.problems] == [
        ("B3", "Blå", "status"),
        ("C3", "32-10-2020", "start_date"),
        ("D3", "mange penge", "budget_dkk"),
    ]
    assert result.problems[0].message == (
        "“Blå” er ikke en gyldig værdi i kolonnen “Status” – brug Grøn, Gul eller Rød."
    )
    assert all(p.sheet == "Portefølje" for p in result.problems)


def test_a_long_raw_value_is_shortened_in_the_problem() -> None:
    data = openpyxl_sheet([["Projektnavn", "Status"], ["A", "x" * 500]])
    problem = read_workbook(data).problems[0]
    assert problem.value is not None and len(problem.value) == 101 and problem.value.endswith("…")


def test_too_long_names_are_problems_not_database_errors() -> None:
    data = openpyxl_sheet([["Projektnavn"], ["x" * 301]])
    result = read_workbook(data)
    assert result.rows == [] and "højst have 300 tegn" in result.problems[0].message
