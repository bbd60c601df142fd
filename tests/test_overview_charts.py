"""The chart builders alone: counts and rows in, plotly figures out, checked on the figure."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import parse_qs

import plotly.graph_objects as go
import pytest

from portfolio import charts
from portfolio.charts import Category, TimelineRow

PHASES = [
    Category("idea", "Idé"),
    Category("analysis", "Analyse"),
    Category("procurement", "Anskaffelse"),
    Category("implementation", "Gennemførelse"),
    Category("benefits", "Gevinstrealisering"),
    Category("completed", "Afsluttet"),
    Category("paused", "Sat i bero"),
    Category("stopped", "Stoppet"),
]
SCOPES = [
    Category("national", "Nationalt skal-projekt"),
    Category("municipal", "Fælles for hele kommunen"),
    Category("department", "Afdelingsprojekt"),
]
EVIL = '<a href="javascript:alert(1)">x</a>'
TODAY = date(2026, 11, 22)


def _by_name(figure: go.Figure) -> dict[str, go.bar.Bar]:
    return {trace.name: trace for trace in figure.data}


def _valid(figure: go.Figure) -> None:
    """plotly's own validation (skipped when the overview builds figures, for speed)."""
    go.Figure(figure.to_dict())
    # and the fast JSON is the JSON plotly would have written
    assert json.loads(charts.to_json(figure)) == json.loads(figure.to_json())


def _timeline_rows() -> list[TimelineRow]:
    return [
        TimelineRow(
            1, "Bilagsapp", "municipal", "yellow",
            date(2026, 1, 1), date(2027, 3, 31), date(2026, 12, 31), "/projekter/1",
        ),
        TimelineRow(
            2, "Nyt ESDH", "national", "red",
            date(2025, 6, 1), date(2026, 12, 31), date(2026, 12, 31), "/projekter/2",
        ),
        TimelineRow(
            3, "Chromebooks", "department", None,
            date(2025, 8, 1), date(2026, 8, 15), None, "/projekter/3",
        ),
        TimelineRow(
            4, "Kørselsapp", "municipal", "green",
            date(2025, 5, 1), date(2026, 9, 30), date(2026, 9, 30), "/projekter/4",
        ),
    ]  # fmt: skip


# --- stacked status bars -----------------------------------------------------------------------


def test_status_bars_keep_the_given_order_and_the_counts_per_status() -> None:
    counts = {
        ("completed", "none"): 4,
        ("analysis", "red"): 2,
        ("analysis", "green"): 3,
        ("implementation", "yellow"): 5,
        ("idea", "none"): 1,
    }
    figure = charts.status_bars(counts, PHASES, filter_key="phase")
    _valid(figure)
    assert figure.layout.barmode == "stack"
    assert {t.type for t in figure.data} == {"bar"}
    # every phase, in the lifecycle's order (first on top), whatever order the counts came in
    assert list(figure.data[0].y) == [c.label for c in PHASES]
    assert figure.layout.yaxis.autorange == "reversed"
    traces = _by_name(figure)
    # worst first, and only statuses that occur
    assert [t.name for t in figure.data] == ["Rød", "Gul", "Grøn", "Ingen status"]
    for name, key in (
        ("Rød", "red"),
        ("Gul", "yellow"),
        ("Grøn", "green"),
        ("Ingen status", "none"),
    ):
        expected = [counts.get((c.value, key), 0) for c in PHASES]
        assert list(traces[name].x) == expected
    assert sum(sum(t.x) for t in figure.data) == sum(counts.values())


def test_status_bars_can_leave_out_empty_categories() -> None:
    figure = charts.status_bars(
        {("analysis", "red"): 1}, PHASES, filter_key="phase", keep_empty=False
    )
    assert list(figure.data[0].y) == ["Analyse"]
    assert len(figure.data) == 1


def test_a_click_on_a_segment_carries_its_filter() -> None:
    figure = charts.status_bars(
        {("national", "red"): 2, ("municipal", "green"): 1}, SCOPES, filter_key="scope"
    )
    red = _by_name(figure)["Rød"]
    assert parse_qs(red.customdata[0]) == {"scope": ["national"], "status": ["red"]}
    departments = [Category("Børn & Familie", "Børn & Familie"), Category("", "Uden afdeling")]
    figure = charts.status_bars(
        {("Børn & Familie", "green"): 1, ("", "green"): 2}, departments, filter_key="department"
    )
    green = figure.data[0]
    assert parse_qs(green.customdata[0]) == {"department": ["Børn & Familie"], "status": ["green"]}
    # no filter can ask for projects without a department: that bar is not a link
    assert green.customdata[1] == ""


def test_status_is_never_shown_by_colour_alone() -> None:
    counts = {("national", s): 1 for s in ("red", "yellow", "green", "none")}
    traces = _by_name(charts.status_bars(counts, SCOPES, filter_key="scope"))
    assert traces["Rød"].marker.color == "#b42318"
    assert traces["Grøn"].marker.color == "#1e7b3a"
    assert traces["Gul"].marker.color == charts.STATUS_COLOURS["yellow"]
    # yellow and red carry a pattern; every segment says its status in words
    assert traces["Gul"].marker.pattern.shape == "/"
    assert traces["Rød"].marker.pattern.shape == "x"
    assert traces["Rød"].text[0] == "Rød 1"
    assert traces["Gul"].textfont.color == "#1b1f24"  # dark text on yellow


def test_danish_labels_and_number_formats() -> None:
    counts = {("national", "green"): 1_250_000, ("national", "red"): 450_000}
    figure = charts.status_bars(counts, SCOPES, filter_key="scope", money=True)
    traces = _by_name(figure)
    assert figure.layout.separators == ",."  # decimal comma, thousands dot
    assert figure.layout.xaxis.title.text == "Budget (kr.)"
    assert figure.layout.xaxis.tickformat == ",d"
    assert traces["Grøn"].text[0] == "Grøn 1,3 mio. kr."
    assert traces["Rød"].text[0] == "Rød 450 t.kr."
    assert traces["Grøn"].hovertext[0] == "Nationalt skal-projekt<br>Grøn: 1.250.000 kr."
    assert charts.danish_number(1234567.5, 1) == "1.234.567,5"
    assert charts.danish_day(date(2020, 10, 22)) == "22-10-2020"
    counted = charts.status_bars({("national", "green"): 3}, SCOPES, filter_key="scope")
    assert counted.layout.xaxis.title.text == "Antal projekter"
    assert counted.layout.xaxis.dtick == 1  # no "0,5 projekter" ticks


def test_other_words_can_be_passed_in() -> None:
    english = charts.ChartText(
        status={"green": "Green", "yellow": "Amber", "red": "Red", "none": "No status"},
        count_axis="Projects",
        separators=".,",
    )
    figure = charts.status_bars(
        {("national", "yellow"): 2}, SCOPES, filter_key="scope", text=english
    )
    assert figure.data[0].name == "Amber"
    assert figure.layout.xaxis.title.text == "Projects"
    assert figure.layout.separators == ".,"


def test_user_text_is_escaped_for_plotly() -> None:
    departments = [Category(EVIL, EVIL)]
    figure = charts.status_bars({(EVIL, "red"): 1}, departments, filter_key="department")
    _valid(figure)
    assert figure.data[0].y[0] == '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;'
    assert "<a" not in charts.to_json(figure)
    # the filter value stays the real name, URL-encoded, never rendered by plotly
    assert parse_qs(figure.data[0].customdata[0])["department"] == [EVIL]


# --- the traffic light -------------------------------------------------------------------------


def test_traffic_light_counts_shares_and_change_since_last_month() -> None:
    lights = charts.traffic_lights(
        {"red": 5, "yellow": 11, "green": 20, "none": 5},
        {"red": 3, "yellow": 12, "green": 20},
        date(2026, 10, 31),
    )
    by_status = {light.status: light for light in lights}
    assert [light.status for light in lights] == ["red", "yellow", "green", "none"]
    assert by_status["red"].text == "Rød: 5 (12 %), +2 siden 31-10-2026"
    assert by_status["yellow"].text == "Gul: 11 (27 %), −1 siden 31-10-2026"
    assert by_status["green"].text == "Grøn: 20 (49 %), ±0 siden 31-10-2026"
    # a project that did not exist had no status either: no change to report for "none"
    assert by_status["none"].text == "Ingen status: 5 (12 %)"
    assert by_status["none"].change is None
    assert by_status["red"].change == 2


def test_traffic_light_chart_says_each_line_and_filters_by_status() -> None:
    lights = charts.traffic_lights(
        {"red": 1, "green": 3}, {"red": 0, "green": 1}, date(2026, 10, 31)
    )
    figure = charts.traffic_light_chart(lights)
    _valid(figure)
    assert [t.x[0] for t in figure.data] == [1, 0, 3, 0]
    assert figure.data[0].y[0] == "Rød: 1 (25 %)<br>+1 siden 31-10-2026"
    assert figure.layout.yaxis.categoryarray[2] == "Grøn: 3 (75 %)<br>+2 siden 31-10-2026"
    assert [t.customdata[0] for t in figure.data] == [
        "status=red", "status=yellow", "status=green", "status=none"
    ]  # fmt: skip
    assert figure.data[0].marker.pattern.shape == "x"


def test_traffic_light_of_an_empty_selection() -> None:
    lights = charts.traffic_lights({}, None, None)
    assert [light.share for light in lights] == [0, 0, 0, 0]
    assert lights[0].text == "Rød: 0 (0 %)"


# --- the timeline ------------------------------------------------------------------------------


def test_timeline_groups_rows_and_shows_slips_against_the_baseline() -> None:
    rows = _timeline_rows()
    figure = charts.timeline_chart(rows, SCOPES, today=TODAY)
    _valid(figure)
    assert figure.layout.xaxis.type == "date"
    assert figure.layout.barmode == "overlay"
    # a heading per group, in the groups' order, and the projects by start date under it
    assert list(figure.layout.yaxis.ticktext) == [
        "NATIONALT SKAL-PROJEKT",
        "Nyt ESDH",
        "FÆLLES FOR HELE KOMMUNEN",
        "Kørselsapp",
        "Bilagsapp",
        "AFDELINGSPROJEKT",
        "Chromebooks",
    ]
    assert list(figure.layout.yaxis.categoryarray) == ["g1", "p2", "g2", "p4", "p1", "g3", "p3"]
    traces = _by_name(figure)
    # the slipped project's bar stops at its baseline; the slip is its own, hatched bar
    yellow = traces["Gul"]
    assert yellow.base[0] == "2026-01-01"
    assert yellow.x[0] == (date(2026, 12, 31) - date(2026, 1, 1)).days * charts.DAY_MS
    slip = traces["Skred ud over oprindelig slutdato"]
    assert list(slip.y) == ["p1"]
    assert slip.base[0] == "2026-12-31"
    assert slip.x[0] == 90 * charts.DAY_MS
    assert slip.marker.pattern.shape == "/"
    baseline = traces["Oprindelig slutdato"]
    assert baseline.type == "scatter"
    assert set(baseline.y) == {"p1", "p2", "p4"}
    # on plan: the bar runs to the end date
    assert traces["Rød"].x[0] == (date(2026, 12, 31) - date(2025, 6, 1)).days * charts.DAY_MS
    # bars say their status, and a click opens the project
    assert traces["Rød"].text[0] == "Rød"
    assert traces["Rød"].customdata[0] == "/projekter/2"
    assert "Oprindelig slutdato: 31-12-2026" in yellow.hovertext[0]
    # today as a dashed line, with its date
    today = [s for s in figure.layout.shapes if s.type == "line"][0]
    assert today.x0 == today.x1 == "2026-11-22"
    assert figure.layout.annotations[0].text == "I dag 22-11-2026"


def test_timeline_by_department_and_escaped_names() -> None:
    rows = [
        TimelineRow(
            7, EVIL, "Børn & Familie", "green", date(2026, 1, 1), date(2026, 6, 1), None, "/p/7"
        ),
        TimelineRow(8, "Intet", "", "green", date(2026, 1, 1), date(2026, 6, 1), None, "/p/8"),
    ]
    groups = [Category("Børn & Familie", "Børn & Familie"), Category("", "Uden afdeling")]
    figure = charts.timeline_chart(rows, groups, today=TODAY)
    _valid(figure)
    ticks = list(figure.layout.yaxis.ticktext)
    assert ticks == [
        "BØRN &amp; FAMILIE",
        '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;',
        "UDEN AFDELING",
        "Intet",
    ]
    serialised = charts.to_json(figure)
    assert "<a" not in serialised
    assert "javascript:alert(1)" in serialised  # as harmless text
    assert figure.data[0].hovertext[0].startswith("&lt;a href=")


def test_timeline_order_is_the_groups_then_the_dates() -> None:
    ordered = charts.order_timeline(_timeline_rows(), SCOPES)
    assert [r.id for r in ordered] == [2, 4, 1, 3]


# --- status over time --------------------------------------------------------------------------


def test_trend_chart_has_a_line_per_colour_with_its_own_shape() -> None:
    points = [
        charts.TrendPoint("30-09-2026", {"green": 4, "yellow": 1}),
        charts.TrendPoint("31-10-2026", {"green": 3, "yellow": 1, "red": 1}),
        charts.TrendPoint("I dag", {"green": 2, "red": 3, "none": 9}),
    ]
    figure = charts.status_trend_chart(points)
    _valid(figure)
    traces = _by_name(figure)
    assert set(traces) == {"Rød", "Gul", "Grøn"}
    assert {t.mode for t in figure.data} == {"lines+markers"}
    assert list(traces["Rød"].x) == ["30-09-2026", "31-10-2026", "I dag"]
    assert list(traces["Rød"].y) == [0, 1, 3]
    assert list(traces["Grøn"].y) == [4, 3, 2]
    assert traces["Grøn"].marker.symbol == "circle"
    assert traces["Gul"].marker.symbol == "diamond"
    assert traces["Rød"].marker.symbol == "triangle-up"
    assert len({t.line.dash for t in figure.data}) == 3


@pytest.mark.parametrize(
    "figure",
    [
        charts.status_bars({}, SCOPES, filter_key="scope"),
        charts.timeline_chart([], SCOPES, today=TODAY),
        charts.status_trend_chart([]),
    ],
)
def test_empty_input_still_makes_a_valid_figure(figure: go.Figure) -> None:
    _valid(figure)


def test_figures_carry_no_plotly_py_template() -> None:
    figure = charts.status_bars({("national", "red"): 1}, SCOPES, filter_key="scope")
    # plotly.js's own plain defaults; plotly.py's template would add 6 kB to every chart
    assert json.loads(charts.to_json(figure))["layout"]["template"] == {}


def test_month_end_labels_are_danish_dates() -> None:
    assert charts.danish_day(date(2026, 2, 28) + timedelta(days=1)) == "01-03-2026"
