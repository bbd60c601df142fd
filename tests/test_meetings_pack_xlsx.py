"""The meeting pack as a workbook: the sheets a reader expects, native charts, and user text
that never becomes a formula."""

from __future__ import annotations

import dataclasses
import math
import re
import zipfile
from datetime import date
from io import BytesIO
from typing import Any

from defusedxml.ElementTree import fromstring
from openpyxl import Workbook, load_workbook

from importers.columns import SHEET_COLUMNS, SHEET_NAME
from importers.workbook import read_workbook
from portfolio.charts import STATUS_COLOURS
from portfolio.exporters.sheet import HEADER_ROW, write_portfolio_sheet
from portfolio.meetings.charts import PackChart, pack_charts
from portfolio.meetings.pack import Pack, PackMode, change_title, describe_change
from portfolio.meetings.pack_xlsx import write_pack_xlsx
from tests.pack_fixtures import FORMULA, PLOTLY_LINK, SCRIPT, make_pack

SHEETS = ["Oversigt", "Til beslutning", "Til orientering", "Ændringer", "Portefølje"]
AGENDA = ["Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag"]
NS = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}
EMU_PER_CM = 360_000
DEFAULT_ROW_CM = 0.53  # 15 pt


def _export(pack: Pack, charts: list[PackChart] | None = None) -> bytes:
    out = BytesIO()
    write_pack_xlsx(pack, pack_charts(pack) if charts is None else charts, out)
    return out.getvalue()


def _book(data: bytes) -> Workbook:
    return load_workbook(BytesIO(data))


def _rows(ws: Any, first: int = 1) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]


def _records(ws: Any) -> list[dict[str, Any]]:
    """The sheet's one table as dicts, header -> value."""
    table = next(iter(ws.tables.values()))
    cells = ws[table.ref]
    header = [c.value for c in cells[0]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]


def _decisions_pack(**changes: Any) -> Pack:
    pack = make_pack(hostile=False)
    return dataclasses.replace(
        pack, mode=PackMode.decisions, for_information=[], other_strategic=[], **changes
    )


# --- the sheets and their content ------------------------------------------------------------


def test_a_complete_pack_has_the_five_sheets_in_order() -> None:
    assert _book(_export(make_pack())).sheetnames == SHEETS


def test_overview_shows_title_date_state_and_the_agenda_item_in_order() -> None:
    pack = make_pack()
    ws = _book(_export(pack))["Oversigt"]
    assert ws["A1"].value == pack.title
    facts = {r[0]: r[1] for r in _rows(ws) if r[0] in ("Mødedato", "Status")}
    assert facts["Mødedato"].date() == pack.meeting_date
    assert ws["B2"].number_format == "dd-mm-yyyy"
    assert facts["Status"] == "Offentliggjort 01-12-2026"

    agenda = [(r[0], r[1]) for r in _rows(ws) if r[0] in AGENDA]
    assert [heading for heading, _text in agenda] == AGENDA
    assert dict(agenda) == {
        "Anledning": pack.anledning,
        "Sagsfremstilling": pack.sagsfremstilling,
        "Indstilling": pack.indstilling,
        "Beslutning": pack.beslutning,
        "Bilag": "\n".join(pack.bilag),
    }
    text_cell = next(c for c in ws["B"] if c.value == pack.sagsfremstilling)
    assert text_cell.alignment.wrap_text
    assert ws.column_dimensions["B"].width >= 60


def test_a_draft_says_so_and_a_filter_is_described() -> None:
    pack = dataclasses.replace(
        make_pack(published=False), filter_description="Afdeling: Børn & Familie"
    )
    rows = _rows(_book(_export(pack))["Oversigt"])
    assert ["Status", "Kladde"] in [r[:2] for r in rows]
    assert any("Afdeling: Børn & Familie" in r for r in rows)
    # without a filter, no such line
    plain = _rows(_book(_export(make_pack()))["Oversigt"])
    assert not any(r[0] == "Udsnit" for r in plain)


def test_the_charts_numbers_are_tables_of_numbers_on_the_overview() -> None:
    pack = make_pack()
    charts = pack_charts(pack)
    rows = _rows(_book(_export(pack, charts))["Oversigt"])
    for chart in charts:
        start = next(i for i, r in enumerate(rows) if chart.title in r)
        col = rows[start].index(chart.title)
        width = len(chart.columns)
        assert rows[start + 1][col : col + width] == chart.columns
        body = [r[col : col + width] for r in rows[start + 2 : start + 2 + len(chart.rows)]]
        assert body == [[name, *numbers] for name, numbers in chart.rows]
        assert all(isinstance(n, int) for r in body for n in r[1:])


def test_for_decision_lists_each_project_with_its_reasons_and_decisions() -> None:
    pack = make_pack()
    two = ("Sat på til beslutning", "Status rød")
    pack.for_decision[0] = dataclasses.replace(pack.for_decision[0], reasons=two)
    ws = _book(_export(pack))["Til beslutning"]
    records = _records(ws)
    assert [r["Projektnavn"] for r in records] == [i.project.name for i in pack.for_decision]
    assert [r["Begrundelse"] for r in records] == [
        "Sat på til beslutning; Status rød",
        "Nyt projekt: beslutning om opstart",
    ]
    first = records[0]
    assert first["Status"] == "Rød" and first["Fase"] == "Analyse"
    assert first["Projekttype"] == "Fælles for hele kommunen"
    assert first["Tidligere beslutning"] == pack.for_decision[0].previous_decision
    assert first["Dato for tidligere beslutning"].date() == date(2026, 10, 22)
    assert first["Beslutning"] == pack.for_decision[0].decision
    assert records[1]["Status"] == "Ingen status"
    assert ws.freeze_panes == "B2"
    assert all(c.font.b for c in ws[1] if c.value)


def test_for_information_lists_operational_then_other_strategic_without_reasons() -> None:
    pack = make_pack()
    other = dataclasses.replace(pack.for_decision[0], reasons=())
    pack = dataclasses.replace(pack, other_strategic=[other])
    records = _records(_book(_export(pack))["Til orientering"])
    expected = [i.project.name for i in [*pack.for_information, *pack.other_strategic]]
    assert [r["Projektnavn"] for r in records] == expected
    assert "Begrundelse" not in records[0]
    assert [r["Status"] for r in records[:2]] == ["Grøn", "Gul"]


def test_changes_lists_every_change_since_the_last_meeting() -> None:
    pack = make_pack()
    assert pack.changes
    ws = _book(_export(pack))["Ændringer"]
    assert ws["A1"].value == "Ændringer siden mødet 22-10-2026"
    records = _records(ws)
    assert [(r["Projekt"], r["Ændring"], r["Fra → til"]) for r in records] == [
        (c.project_name, change_title(c.kind), describe_change(c)) for c in pack.changes
    ]
    assert "Grøn → Rød" in [r["Fra → til"] for r in records]


# --- the attachment: the SharePoint sheet ------------------------------------------------------


def test_the_portfolio_sheet_is_the_sharepoint_sheet_and_reads_back() -> None:
    pack = make_pack()
    data = _export(pack)
    ws = _book(data)[SHEET_NAME]
    table = next(iter(ws.tables.values()))
    assert [c.value for c in ws[table.ref][0]] == [h for _f, h in SHEET_COLUMNS]

    # The same shape as the standalone export, cell by cell below the title.
    out = BytesIO()
    write_portfolio_sheet([p.as_row() for p in pack.projects], out)
    alone = load_workbook(BytesIO(out.getvalue()))[SHEET_NAME]
    assert table.ref == next(iter(alone.tables.values())).ref
    assert ws.freeze_panes == alone.freeze_panes
    for mine, theirs in zip(
        ws.iter_rows(min_row=HEADER_ROW), alone.iter_rows(min_row=HEADER_ROW), strict=True
    ):
        assert [(c.value, c.number_format) for c in mine] == [
            (c.value, c.number_format) for c in theirs
        ]
    rules = sorted((str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation)
    theirs_rules = sorted(
        (str(dv.sqref), dv.formula1) for dv in alone.data_validations.dataValidation
    )
    assert rules == theirs_rules and rules

    result = read_workbook(data)
    assert result.sheet == SHEET_NAME and result.problems == []
    back = {r.values["case_number"]: r.values for r in result.rows}
    assert len(back) == len(pack.projects)
    for project in pack.projects:
        row = back[project.case_number]
        for field, _header in SHEET_COLUMNS:
            assert row[field] == getattr(project, field), field


# --- native charts -----------------------------------------------------------------------------


def _chart_xml(data: bytes) -> list[Any]:
    with zipfile.ZipFile(BytesIO(data)) as z:
        names = sorted(
            (n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)),
            key=lambda n: int(re.sub(r"\D", "", n)),
        )
        return [fromstring(z.read(n)) for n in names]


def _title(chart: Any) -> str:
    return "".join(t.text or "" for t in chart.findall("c:chart/c:title//a:t", NS))


def test_each_chart_is_a_native_horizontal_bar_chart_with_its_title_and_colours() -> None:
    pack = make_pack()
    charts = pack_charts(pack)
    xml = _chart_xml(_export(pack, charts))
    assert [_title(x) for x in xml] == [c.title for c in charts]
    for chart, tree in zip(charts, xml, strict=True):
        bar = tree.find("c:chart/c:plotArea/c:barChart", NS)
        assert bar is not None, chart.title
        assert bar.find("c:barDir", NS).get("val") == "bar"
        series = bar.findall("c:ser", NS)
        assert len(series) == len(chart.columns) - 1
        colours = {e.get("val") for e in tree.iter(f"{{{NS['a']}}}srgbClr")}
        assert {STATUS_COLOURS[s].lstrip("#") for s in ("red", "yellow", "green")} <= colours
        grouping = bar.find("c:grouping", NS).get("val")
        if chart.status_keys == ("count",):
            assert grouping == "clustered"  # now next to last meeting, not added up
        else:
            assert grouping == "stacked"
            # series i is status i: red, yellow, green, none
            fills = [s.find("c:spPr/a:solidFill/a:srgbClr", NS).get("val") for s in series]
            assert fills == [STATUS_COLOURS[k].lstrip("#") for k in chart.status_keys]


def test_the_traffic_light_series_are_antal_and_last_meeting() -> None:
    pack = make_pack()
    data = _export(pack)
    rows = _rows(_book(data)["Oversigt"])
    traffic = _chart_xml(data)[0]
    refs = [s.find("c:tx/c:strRef/c:f", NS).text for s in traffic.iter(f"{{{NS['c']}}}ser")]
    names = []
    for ref in refs:
        cell = re.search(r"!\$?([A-Z]+)\$?(\d+)", ref)
        assert cell is not None
        col = ord(cell.group(1)) - ord("A")
        names.append(rows[int(cell.group(2)) - 1][col])
    assert names == ["Antal", "Ved sidste møde"]


def test_charts_sit_below_their_tables_and_never_overlap_each_other() -> None:
    pack = make_pack()
    charts = pack_charts(pack)
    data = _export(pack, charts)
    rows = _rows(_book(data)["Oversigt"])
    with zipfile.ZipFile(BytesIO(data)) as z:
        drawing = fromstring(z.read("xl/drawings/drawing1.xml"))
    anchors = drawing.findall("xdr:oneCellAnchor", NS)
    assert len(anchors) == len(charts)
    title_rows = [next(i for i, r in enumerate(rows, 1) if c.title in r) for c in charts]
    for n, (chart, anchor) in enumerate(zip(charts, anchors, strict=True)):
        top = int(anchor.find("xdr:from/xdr:row", NS).text) + 1  # 0-based in the XML
        table_end = title_rows[n] + 1 + len(chart.rows)
        assert top > table_end, chart.title
        height_rows = math.ceil(
            int(anchor.find("xdr:ext", NS).get("cy")) / EMU_PER_CM / DEFAULT_ROW_CM
        )
        if n + 1 < len(charts):
            assert top + height_rows <= title_rows[n + 1], chart.title


# --- hostile text ------------------------------------------------------------------------------


def test_no_cell_is_a_formula_and_hostile_text_reads_back_as_typed() -> None:
    pack = make_pack()
    data = _export(pack)
    with zipfile.ZipFile(BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
    book = _book(data)
    texts: dict[str, set[str]] = {}
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    texts.setdefault(cell.value, set()).add(ws.title)
                    if cell.value.startswith("="):
                        assert cell.data_type == "s"
    # a project's name and a department: wherever those projects are shown
    assert texts[FORMULA] == set(SHEETS) - {"Til orientering"}
    assert PLOTLY_LINK in texts
    assert texts[pack.title] == {"Oversigt"}
    assert SCRIPT in pack.title
    assert pack.beslutning in texts and SCRIPT in pack.beslutning


# --- decisions mode, first meeting ------------------------------------------------------------


def test_a_decisions_pack_says_operational_projects_are_not_part_of_it() -> None:
    pack = _decisions_pack()
    book = _book(_export(pack))
    assert book.sheetnames == SHEETS
    ws = book["Til orientering"]
    assert not ws.tables
    assert [r for r in _rows(ws) if any(r)] == [
        ["Operationelle projekter er ikke en del af denne mødepakke; de sendes til orientering."]
    ]
    names = [r["Projektnavn"] for r in _records(book["Til beslutning"])]
    assert names == [i.project.name for i in pack.for_decision]


def test_a_first_meeting_has_nothing_to_compare_with() -> None:
    pack = _decisions_pack(previous_meeting_date=None, changes=[], previous_status=None)
    charts = pack_charts(pack)
    data = _export(pack, charts)
    ws = _book(data)["Ændringer"]
    assert ws["A1"].value == "Første gennemgang – intet tidligere møde at sammenligne med."
    assert not ws.tables and [r for r in _rows(ws, 2) if any(r)] == []
    traffic = _chart_xml(data)[0]
    assert len(traffic.findall("c:chart/c:plotArea/c:barChart/c:ser", NS)) == 1
    assert traffic.find("c:chart/c:legend", NS) is None  # one series needs no legend
    assert len(_chart_xml(data)) == len(charts)
