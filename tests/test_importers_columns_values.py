"""Issue 13, columns and values: headers as other organisations write them, the user's mapping
by text, prefix or letter, value maps for enum words, five-step ratings, units and currencies
for money, and the texts that are no amount or date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importers.columns import (
    FIELDS,
    HEADER_SYNONYMS,
    SHEET_COLUMNS,
    VALUE_LABELS,
    VALUE_SUGGESTIONS,
)
from importers.headers import Mapping, match_header, resolve_header, resolve_mapping
from importers.options import ReadOptions
from importers.results import WorkbookError
from importers.values import (
    CellProblem,
    ColumnProblem,
    MissingRate,
    UnknownValue,
    Unparsable,
    converter_for,
    match_enum,
    money_value,
)
from importers.workbook import read_workbook
from tests.real_sheets import ENGLISH_HEADERS, english_portfolio, plain_sheet


def convert(field: str, header: str, raw: object, **options: object) -> object:
    """One cell through its column's converter, as the reader does."""
    return converter_for(field, f"“{header}”", options=ReadOptions(**options))(raw)  # type: ignore[arg-type]


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Forventet slut", "end_date"),
        ("Forventet afslutning", "end_date"),
        ("Slut", "end_date"),
        ("Go-live", "end_date"),
        ("Go live date", "end_date"),
        ("Project - End Date (Latest Approved End Date)", "end_date"),
        ("Project - Start Date (Latest Approved Start Date)", "start_date"),
        ("Start Date\n(latest approved)", "start_date"),
        ("Lead", "project_lead"),
        ("Responsible", "project_lead"),
        ("Responsible Lead", "project_lead"),
        ("Responsible Lead\nName of the person running it day to day", "project_lead"),
        ("Owner", "process_owner"),
        ("SRO", "process_owner"),
        ("Senior Responsible Owner (SRO)", "process_owner"),
        ("Description / Aims", "description"),
        ("Description / Aims\n(what the project is for)", "description"),
        ("Latest update", "status_comment"),
        ("Latest Update\r\nWhat has changed since last month", "status_comment"),
        ("RAG", "status"),
        ("DCA", "status"),
        ("Delivery confidence", "status"),
        ("Delivery Confidence Assessment (DCA)\nRating at last review", "status"),
        ("RAG – overall rating", "status"),
        ("Use Case Name", "name"),
        ("Project - Name", "name"),
        ("Projekt: Fase", "phase"),
        ("Stage [see tab 2]", "phase"),
        ("Slutdato (forventet)", "end_date"),
        ("  SAGS NR  ", "case_number"),
    ],
)
def test_a_header_in_other_words_or_with_an_explanation_names_its_field(
    header: str, field: str
) -> None:
    found = match_header(header)
    assert found is not None and found.field == field


@pytest.mark.parametrize(
    "header",
    [
        "Ansvarlig chef",
        "Budgetansvarlig",
        "Noter",
        "Risici",
        "Project - Risk owner",
        "Projekt: Risici",
    ],
)
def test_headers_that_only_look_alike_still_name_nothing(header: str) -> None:
    assert match_header(header) is None


def test_an_exact_header_beats_one_recognised_only_after_cleaning() -> None:
    cells: list[tuple[int, object]] = [
        (1, "Projektnavn"),
        (2, "Status\n(as of last board)"),
        (3, "RAG"),
    ]
    header = resolve_header(1, cells, Mapping(None))
    assert header.columns == {"name": 1, "status": 3}
    assert header.unmapped == ["Status (as of last board)"]


@pytest.mark.parametrize(
    ("header", "unit", "currency"),
    [
        ("Budget (kr.)", 1, None),
        ("Budget (t.kr.)", 1_000, None),
        ("Budget (mio. kr.)", 1_000_000, None),
        ("Budget i 1.000 kr.", 1_000, None),
        ("Budget (£m)", 1_000_000, "GBP"),
        ("Whole Life Cost\n(£m)", 1_000_000, "GBP"),
        ("Budget ($)", 1, "USD"),
        ("Budget (€k)", 1_000, "EUR"),
        ("Budget (EUR)", 1, "EUR"),
        ("Total cost (£000s)", 1_000, "GBP"),
        ("Budget (latest approved)", 1, None),
    ],
)
def test_a_money_header_states_its_unit_and_currency(
    header: str, unit: int, currency: str | None
) -> None:
    found = match_header(header)
    assert found is not None and found.field == "budget_dkk"
    assert (found.unit, found.currency) == (unit, currency)


# --- the user's mapping: text, prefix or column letter -------------------------------------

TEXTS = {
    1: "Use Case Name",
    2: "Project - Start Date (Latest Approved Start Date)",
    3: "Project - End Date (Latest Approved End Date)",
    5: "Notes",
}


def test_a_mapping_names_a_column_by_text_prefix_or_letter() -> None:
    mapping = {
        "use case name": "name",  # the text, case and spacing do not count
        "Project - Start": "start_date",  # a prefix only one header has
        "C": "end_date",  # a column letter
        "D": "budget_dkk",  # a letter for a column with no header at all
        "Notes": "",  # ignore
    }
    assert resolve_mapping(TEXTS, mapping) == {
        1: "name",
        2: "start_date",
        3: "end_date",
        4: "budget_dkk",
        5: "ignore",
    }


def test_a_mapping_naming_no_header_lists_the_headers() -> None:
    with pytest.raises(WorkbookError) as error:
        resolve_mapping(TEXTS, {"Forventet slut": "end_date"})
    message = str(error.value)
    assert message.startswith("Overskriften “Forventet slut” findes ikke i arket")
    for col, text in TEXTS.items():
        assert f"“{text}”" in message and f"{'ABCDE'[col - 1]}: “{text}”" in message


def test_an_ambiguous_prefix_is_refused_with_the_headers_it_fits() -> None:
    with pytest.raises(WorkbookError) as error:
        resolve_mapping(TEXTS, {"Project -": "start_date"})
    assert str(error.value) == (
        "“Project -” passer på flere overskrifter (“Project - Start Date (Latest Approved Start "
        "Date)”, “Project - End Date (Latest Approved End Date)”) – skriv mere af overskriften, "
        "eller brug kolonnens bogstav (fx “L=end_date”)."
    )


def test_a_mapping_to_an_unknown_field_or_two_fields_for_one_column_is_refused() -> None:
    with pytest.raises(WorkbookError) as unknown:
        resolve_mapping(TEXTS, {"Notes": "boss"})
    assert "“boss”" in str(unknown.value) and "end_date" in str(unknown.value)
    with pytest.raises(WorkbookError) as twice:
        resolve_mapping(TEXTS, {"A": "name", "Use Case": "description"})
    assert "Kolonne A er knyttet til både “name” og “description”" in str(twice.value)


def test_a_candidate_row_passes_over_keys_it_lacks_and_the_old_mapping_class_still_works() -> None:
    assert resolve_mapping(TEXTS, {"Forventet slut": "end_date", "A": "name"}, strict=False) == {
        1: "name"
    }
    mapping = Mapping({"Ansvarlig  chef": "process_owner", "Noter": ""})
    assert mapping.match("ansvarlig chef").field == "process_owner"  # type: ignore[union-attr]
    assert mapping.match("Noter") == "ignore"
    assert mapping.match("Projektnavn").field == "name"  # type: ignore[union-attr]
    assert Mapping({"A": "name"}).match("Afdeling").field == "department"  # type: ignore[union-attr]
    header = resolve_header(
        3, [(1, "Aktivitet"), (2, "Ansvarlig  chef"), (4, "Noter")], Mapping({"A": "name"})
    )
    assert header.columns == {"name": 1}
    assert header.how == {1: "mapped"}
    with pytest.raises(WorkbookError, match="“Forventet slut” findes ikke"):
        Mapping({"Forventet slut": "end_date"}).check(header)


def test_a_mapping_by_letter_and_prefix_reads_through_the_workbook() -> None:
    data = plain_sheet(
        [
            ["Aktivitet", "Project - Start Date (Latest Approved Start Date)", None, "Kassen"],
            ["Bilagsapp", date(2024, 3, 1), date(2025, 6, 30), 250],
        ]
    )
    result = read_workbook(
        data,
        options=ReadOptions(mapping={"Akt": "name", "C": "end_date", "Kassen": "ignore"}),
    )
    assert result.rows[0].values == {
        "name": "Bilagsapp",
        "start_date": date(2024, 3, 1),
        "end_date": date(2025, 6, 30),
    }
    with pytest.raises(WorkbookError, match="“Forventet slut” findes ikke i arket"):
        read_workbook(
            data, options=ReadOptions(mapping={"Akt": "name", "Forventet slut": "end_date"})
        )


# --- enum values: value maps, suggestions, five-step ratings --------------------------------


@pytest.mark.parametrize(
    ("field", "text", "suggestion"),
    [
        ("status", "On Track", "green"),
        ("status", "Amber/Green", "yellow"),
        ("status", "Amber-Green", "yellow"),
        ("status", "Amber/Red", "red"),
        ("status", "Red/Amber", "red"),
        ("status", "NA", ""),
        ("status", "Blå", None),
        ("phase", "In Progress", "implementation"),
        ("phase", "Not Started", "idea"),
        ("phase", "a) Pre-deployment – design and build", "analysis"),
        ("phase", "Design", None),
        ("scope", "KOMBIT", None),
    ],
)
def test_an_unknown_enum_word_is_raised_with_a_suggestion_where_one_makes_sense(
    field: str, text: str, suggestion: str | None
) -> None:
    with pytest.raises(UnknownValue) as error:
        convert(field, "Kolonne", text)
    assert (error.value.field, error.value.text, error.value.suggestion) == (
        field,
        text,
        suggestion,
    )
    assert isinstance(error.value, CellProblem)
    message = str(error.value)
    assert f"“{text}” er ikke en gyldig værdi i kolonnen “Kolonne”" in message
    if suggestion:
        assert "(forslag: " in message
    elif suggestion == "":
        assert "(forslag: lad feltet stå tomt)" in message
    else:
        assert "forslag" not in message


def test_every_suggestion_is_a_value_and_no_suggested_word_is_already_known() -> None:
    for field, suggestions in VALUE_SUGGESTIONS.items():
        for word, value in suggestions.items():
            assert value == "" or value in VALUE_LABELS[field], (field, word)
            assert match_enum(field, word) is None, (field, word)


def test_a_value_map_is_matched_without_regard_to_case_and_spaces_and_wins() -> None:
    values = {"status": {"on track": "green", " NA ": "", "Amber": "red", "Ikke vurderet": "Gul"}}
    status = converter_for("status", "“RAG”", options=ReadOptions(values=values))
    assert status("ON  TRACK") == "green"
    assert status("OnTrack") == "green"
    assert status("na") is None
    assert status("Amber") == "red"  # the user's own meaning of the word goes first
    assert status("Ikke vurderet") == "yellow"  # a target may be a Danish label
    assert status("Grøn") == "green"  # words the importer knows still work
    with pytest.raises(UnknownValue):
        status("Purple")


def test_a_value_map_to_no_valid_value_is_refused_when_the_column_is_set_up() -> None:
    with pytest.raises(WorkbookError) as error:
        converter_for("phase", "“Stage”", options=ReadOptions(values={"phase": {"Live": "live"}}))
    assert str(error.value).startswith(
        "Værdien “Live” i kolonnen “Stage” er knyttet til “live”, som ikke er en gyldig værdi"
    )


FIVE_STEPS = ["Green", "Amber/Green", "Amber", "Amber/Red", "Red"]


def test_a_five_step_rating_is_never_folded_into_three_silently() -> None:
    status = converter_for("status", "“DCA”")
    unknown: dict[str, str | None] = {}
    read: dict[str, object] = {}
    for step in FIVE_STEPS:
        try:
            read[step] = status(step)
        except UnknownValue as error:
            unknown[step] = error.suggestion
    assert read == {"Green": "green", "Amber": "yellow", "Red": "red"}
    assert unknown == {"Amber/Green": "yellow", "Amber/Red": "red"}
    # The user takes the suggestions: now all five steps read, as the user chose.
    chosen = ReadOptions(values={"status": {k: v or "" for k, v in unknown.items()}})
    mapped = converter_for("status", "“DCA”", options=chosen)
    assert [mapped(step) for step in FIVE_STEPS] == ["green", "yellow", "yellow", "red", "red"]


# --- money: units, currencies and rates -----------------------------------------------------

GBP = {"GBP": Decimal("8.65")}


def test_a_column_in_pounds_needs_a_rate_and_is_never_read_as_kroner() -> None:
    with pytest.raises(ColumnProblem) as error:
        converter_for("budget_dkk", "“Budget (£m)”", unit=1_000_000)
    assert str(error.value) == "Kolonnen “Budget (£m)” er i GBP: angiv en kurs (--rate GBP=8.65)."
    assert isinstance(error.value, WorkbookError)
    assert (error.value.field, error.value.currency) == ("budget_dkk", "GBP")
    # The unit is read from the header when the caller passes none, as for a hand mapping.
    for unit in (1, 1_000_000):
        budget = converter_for(
            "budget_dkk", "“Budget (£m)”", unit=unit, options=ReadOptions(rates=GBP)
        )
        assert budget(34) == 34 * 1_000_000 * Decimal("8.65") == 294_100_000
        assert budget(1.5) == 12_975_000
        assert budget("34") == 294_100_000
        assert budget("£34m") == 294_100_000
        assert budget(None) is None
    lower = converter_for("budget_dkk", "“Budget (£m)”", options=ReadOptions(rates={"gbp": 8.65}))  # type: ignore[dict-item]
    assert lower(2) == 17_300_000


def test_an_amount_in_dollars_in_a_kroner_column_needs_a_rate() -> None:
    budget = converter_for("budget_dkk", "“Budget (kr.)”")
    with pytest.raises(MissingRate) as error:
        budget("$2,400,000")
    assert str(error.value) == (
        "“$2,400,000” er ikke et beløb i kroner, men i USD: angiv en kurs (--rate USD=6.85)."
    )
    assert budget("2.400.000 kr.") == 2_400_000
    rated = converter_for(
        "budget_dkk", "“Budget (kr.)”", options=ReadOptions(rates={"USD": Decimal("6.85")})
    )
    assert rated("$2,400,000") == 16_440_000
    assert rated("USD 1,500") == 10_275
    assert rated("1.250.000 kr.") == 1_250_000  # kroner stay kroner
    assert rated(1_250_000) == 1_250_000
    with pytest.raises(MissingRate):
        rated("£34m")


@pytest.mark.parametrize(
    ("header", "raw", "kroner"),
    [
        ("Budget (t.kr.)", 250, 250_000),
        ("Budget (t.kr.)", "1.250", 1_250_000),
        ("Budget (mio. kr.)", 1.5, 1_500_000),
        ("Budget (mio. kr.)", "2,5", 2_500_000),
        ("Budget i 1.000 kr.", 75, 75_000),
        ("Budget (kr.)", "1,5 mio. kr.", 1_500_000),
    ],
)
def test_a_danish_unit_in_the_header_is_applied(header: str, raw: object, kroner: int) -> None:
    found = match_header(header)
    assert found is not None
    assert converter_for("budget_dkk", f"“{header}”", unit=found.unit)(raw) == kroner


def test_a_euro_column_reads_with_a_rate_through_the_workbook() -> None:
    data = plain_sheet([["Projektnavn", "Budget (€k)"], ["Bilagsapp", 200]])
    refused = read_workbook(data)
    assert [(p.cell, p.message) for p in refused.problems] == [
        ("B1", "Kolonnen “Budget (€k)” er i EUR: angiv en kurs (--rate EUR=7.46).")
    ]
    assert "budget_dkk" not in refused.rows[0].values  # never read as kroner
    result = read_workbook(data, options=ReadOptions(rates={"EUR": Decimal("7.46")}))
    assert result.rows[0].values["budget_dkk"] == 1_492_000


def test_money_value_keeps_its_old_calls() -> None:
    assert money_value("250 t.kr.") == 250_000
    assert money_value(250, 1_000) == 250_000
    with pytest.raises(CellProblem, match="ikke et beløb"):
        money_value("500 EUR")


# --- text that is no amount or date ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["NA", "Exempt under Section 43 of the FOI Act", "Included in 1.1", "Ongoing", "TBC", "ukendt"],
)
@pytest.mark.parametrize("field", ["budget_dkk", "end_date"])
def test_text_that_is_no_amount_or_date_is_unparsable(field: str, text: str) -> None:
    with pytest.raises(Unparsable) as error:
        convert(field, "Kolonne", text)
    assert (error.value.field, error.value.text) == (field, text)
    assert f"“{text}” er ikke" in str(error.value)


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("budget_dkk", "1,250"),
        ("budget_dkk", "-50.000"),
        ("end_date", "31-02-2020"),
        ("end_date", 2024),
    ],
)
def test_a_value_written_wrong_is_a_problem_but_not_unparsable(field: str, raw: object) -> None:
    with pytest.raises(CellProblem) as error:
        convert(field, "Kolonne", raw)
    assert not isinstance(error.value, Unparsable)


def test_an_english_sheet_reads_with_rates_value_maps_and_blank_unparsable() -> None:
    data = english_portfolio()
    options = ReadOptions(
        values={
            "status": {"Amber/Green": "yellow", "Amber/Red": "red"},
            "phase": {"In Progress": "implementation", "Not Started": "idea"},
        },
        rates=GBP,
        blank_unparsable=frozenset({"budget_dkk"}),
    )
    result = read_workbook(data, options=options)
    assert result.problems == []
    by_name = {row.values["name"]: row.values for row in result.rows}
    assert by_name["Digital Case Management"]["budget_dkk"] == 294_100_000
    assert by_name["Digital Case Management"]["status"] == "yellow"
    assert by_name["Digital Case Management"]["end_date"] == date(2026, 3, 31)
    assert by_name["Legacy Exit"]["status"] == "red"
    assert by_name["Legacy Exit"]["phase"] == "idea"
    assert by_name["Legacy Exit"].get("budget_dkk") is None
    assert [w.value for w in result.warnings] == ["Exempt under Section 43 of the FOI Act"]


# --- the property: any column order, any spelling from the synonym table --------------------

OWN = dict(SHEET_COLUMNS)
EXPLANATIONS = ["", "\n(see guidance tab)", "\nAs agreed at the last board", " [optional]"]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_orders_and_spellings_resolve_to_the_same_fields(data: st.DataObject) -> None:
    fields = data.draw(st.permutations(FIELDS))
    cells: list[tuple[int, object]] = []
    gap = 0
    for number, field in enumerate(fields, start=1):
        spelling = data.draw(st.sampled_from((OWN[field], *HEADER_SYNONYMS[field])))
        prefix = data.draw(st.sampled_from(["", "Project - "])) if spelling[0].isupper() else ""
        explanation = data.draw(st.sampled_from(EXPLANATIONS))
        case = data.draw(st.sampled_from([str, str.upper, str.lower]))
        gap += data.draw(st.integers(0, 2))  # spacer columns
        cells.append((number + gap, case(prefix + spelling) + explanation))
    header = resolve_header(1, cells, Mapping(None))
    assert {
        field: col for col, field in ((c, f) for (c, _t), f in zip(cells, fields, strict=True))
    } == header.columns
    assert header.unmapped == []


def test_the_english_fixture_headers_resolve_as_the_synonym_table_says() -> None:
    header = resolve_header(1, list(enumerate(ENGLISH_HEADERS, start=1)), Mapping(None))
    assert set(header.columns) == {
        "name",
        "process_owner",
        "project_lead",
        "phase",
        "status",
        "status_comment",
        "start_date",
        "end_date",
        "budget_dkk",
        "description",
    }
    assert header.currencies == {"budget_dkk": "GBP"}
    assert header.units == {"budget_dkk": 1_000_000}
