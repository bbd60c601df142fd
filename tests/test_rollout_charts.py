"""The rollout's charts as pure functions: Gantt per app, coverage over time, their tables."""

from __future__ import annotations

import html
import json
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go

from portfolio.charts import to_json
from portfolio.domain import RolloutState
from portfolio.rollout import charts

TODAY = date(2026, 5, 4)


def _cell(department: str, state: RolloutState = RolloutState.not_started, **values: Any) -> dict:
    cell: dict[str, Any] = {
        "project": values.pop("project", "Bilagsapp"),
        "department": department,
        "state": state,
        "planned_start": None,
        "planned_go_live": None,
        "baseline_go_live": None,
        "actual_go_live": None,
        "implementation_weeks": 4,
        "users": 100,
        "blocker": None,
    }
    cell.update(values)
    return cell


def _valid(figure: go.Figure) -> dict:
    go.Figure(figure.to_dict())  # plotly.py's validation: every property is one plotly.js knows
    spec: dict = json.loads(to_json(figure))
    return spec


CELLS = [
    _cell(
        "Økonomi & Stab",
        RolloutState.live,
        planned_start=date(2026, 3, 2),
        planned_go_live=date(2026, 3, 27),
        baseline_go_live=date(2026, 3, 27),
        actual_go_live=date(2026, 3, 30),
        users=140,
    ),
    _cell(
        "Børn & Familie",
        RolloutState.in_progress,
        planned_start=date(2026, 4, 6),
        planned_go_live=date(2026, 6, 12),
        baseline_go_live=date(2026, 5, 15),
        users=420,
    ),
    _cell("Skoler & Uddannelser", users=900),
]


def test_the_gantt_draws_bars_slips_baselines_actuals_and_today() -> None:
    spec = _valid(charts.gantt_figure(CELLS, today=TODAY, title="Udrulning af Bilagsapp"))
    names = [t["name"] for t in spec["data"]]
    assert "● I drift" in names and "◑ I gang" in names  # state as symbol and word
    # every department is a row, also the one without dates
    rows = [html.escape(c["department"], quote=False) for c in CELLS]  # plotly reads HTML
    assert spec["layout"]["yaxis"]["categoryarray"] == rows
    slip = next(t for t in spec["data"] if t["name"].startswith("Skred"))
    assert slip["y"] == ["Børn &amp; Familie"]
    assert slip["base"] == ["2026-05-15"]
    assert slip["x"] == [(date(2026, 6, 12) - date(2026, 5, 15)).days * 86_400_000]
    baseline = next(t for t in spec["data"] if t["name"] == "Oprindelig idriftsættelse")
    assert sorted(baseline["x"]) == ["2026-03-27", "2026-05-15"]
    actual = next(t for t in spec["data"] if t["name"] == "Faktisk idriftsættelse")
    assert actual["x"] == ["2026-03-30"] and actual["marker"]["symbol"] == "star"
    today_line = spec["layout"]["shapes"][0]
    assert today_line["x0"] == "2026-05-04" and today_line["line"]["dash"] == "dash"
    assert "I dag 04-05-2026" in spec["layout"]["annotations"][0]["text"]


def test_the_gantt_escapes_user_text() -> None:
    hostile = _cell(
        "<a href='//x'>Afd</a>",
        planned_start=date(2026, 3, 2),
        planned_go_live=date(2026, 4, 3),
    )
    spec = _valid(charts.gantt_figure([hostile], today=TODAY, title="<b>App</b>"))
    text = json.dumps(spec)
    assert "<a href" not in text and "<b>App" not in text
    assert "&lt;a href='//x'&gt;Afd&lt;/a&gt;" in spec["layout"]["yaxis"]["categoryarray"]


def test_the_gantt_table_has_danish_dates_and_the_slip_in_days() -> None:
    rows = charts.gantt_table(CELLS)
    assert rows[0] == [
        "Økonomi & Stab",
        "● I drift",
        "02-03-2026",
        "27-03-2026",
        "27-03-2026",
        "30-03-2026",
        "0",
    ]
    assert rows[1][-1] == "+28"
    assert rows[2][2:] == ["", "", "", "", ""]
    assert len(charts.gantt_columns()) == len(rows[0])


def test_coverage_counts_users_live_planned_and_actual() -> None:
    points = charts.coverage_series(CELLS, total_users=1460, today=TODAY)
    by_day = {p.day: p for p in points}
    assert by_day[date(2026, 3, 27)].planned == 140 / 1460
    assert by_day[date(2026, 3, 27)].actual == 0  # planned that day, live three days later
    assert by_day[date(2026, 3, 30)].actual == 140 / 1460
    assert by_day[TODAY].actual == 140 / 1460
    assert by_day[date(2026, 6, 12)].planned == (140 + 420) / 1460
    assert by_day[date(2026, 6, 12)].actual is None  # the future is not known yet
    assert [p.day for p in points] == sorted(p.day for p in points)


def test_coverage_with_several_apps_counts_users_per_app_and_leaves_out_irrelevant_ones() -> None:
    cells = [
        _cell("A", RolloutState.live, actual_go_live=TODAY - timedelta(days=1), users=100),
        _cell("B", users=100),
        _cell("A", project="Fraværsapp", users=100),
        _cell("B", RolloutState.not_relevant, project="Fraværsapp", users=100),
    ]
    points = charts.coverage_series(cells, total_users=200, today=TODAY)
    assert points[-1].actual == 100 / 300


def test_the_coverage_chart_tells_planned_from_actual_by_dash_and_label() -> None:
    spec = _valid(charts.coverage_figure(CELLS, total_users=1460, today=TODAY, title="Dækning"))
    planned, actual = spec["data"]
    assert (planned["name"], actual["name"]) == ("Planlagt", "Faktisk")
    assert planned["line"]["dash"] != actual["line"]["dash"]
    assert planned["marker"]["symbol"] != actual["marker"]["symbol"]
    assert actual["text"][-1] == "Faktisk 9,6 %"  # named at its last point, not by colour alone
    assert max(actual["x"]) == TODAY.isoformat()
    assert spec["layout"]["yaxis"]["tickformat"] == ".0%"


def test_the_coverage_table_and_description() -> None:
    points = charts.coverage_series(CELLS, total_users=1460, today=TODAY)
    table = charts.coverage_table(points)
    assert ["04-05-2026", "9,6 %", "9,6 %"] in table
    assert table[-1] == ["12-06-2026", "38,4 %", ""]
    text = charts.coverage_description(points, TODAY)
    assert "9,6 %" in text and "38,4 %" in text and "12-06-2026" in text


def test_no_users_no_division_by_zero() -> None:
    points = charts.coverage_series([_cell("A", users=None)], total_users=0, today=TODAY)
    assert points == [charts.CoveragePoint(TODAY, 0.0, 0.0)]
    _valid(charts.coverage_figure([], total_users=0, today=TODAY, title="Tom"))
    _valid(charts.gantt_figure([], today=TODAY, title="Tom"))
