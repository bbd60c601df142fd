"""The overview Chefforum reads: charts of the portfolio and the project table, one filter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    get_template_attribute,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup, escape

from portfolio import charts, static_assets
from portfolio.blueprints import url_with
from portfolio.charts import NO_STATUS, STATUS_KEYS, TREND_KEYS, Category, ChartText
from portfolio.db import get_session, utcnow
from portfolio.domain import FIELD_LABELS, Kind, Phase, Scope, label
from portfolio.finance.totals import money_totals
from portfolio.i18n import chart_text
from portfolio.overview.services import ProjectRow, month_ends, overview_projects, status_at, tally
from portfolio.projects import services as svc
from portfolio.projects.models import OVERVIEW_FIELDS, ProjectCreate, value_type

bp = Blueprint("overview", __name__, url_prefix="/overblik")

GROUPS = ("scope", "department")
# A Gantt of a thousand rows helps nobody; beyond this the page says how to narrow it down.
TIMELINE_LIMIT = 150


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    numeric: bool = False


@dataclass
class Chart:
    """One chart on the page: its figure, what a screen reader hears, and its data as a table."""

    id: str
    title: str
    figure: Markup
    label: str
    click: str  # "filter": a click filters the page; "link": it opens a project; "none"
    columns: list[str]
    rows: list[list[Cell]]
    foot: list[Cell] | None = None
    note: str = ""
    wide: bool = False
    controls: list[tuple[str, str, bool]] = field(default_factory=list)  # (text, href, current)


def project_urls() -> Callable[[int], str]:
    """project id -> its page; url_for for each of 1,000 rows would cost 15 ms."""
    prefix = url_for("projects.detail", project_id=0).removesuffix("0")
    return lambda project_id: f"{prefix}{project_id}"


def _today() -> tuple[date, ZoneInfo]:
    tz = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return datetime.now(tz).date(), tz


# --- the tables behind the charts -----------------------------------------------------------


def _status_table(
    values: Mapping[tuple[str, str], float],
    categories: Sequence[Category],
    key: str,
    text: ChartText,
    *,
    money: bool,
) -> tuple[list[list[Cell]], list[Cell]]:
    fmt = text.money if money else text.number
    rows = []
    column_totals = dict.fromkeys(STATUS_KEYS, 0.0)
    for cat in categories:
        amounts = [values.get((cat.value, s), 0) for s in STATUS_KEYS]
        if not any(amounts):
            continue
        head = Cell(cat.label, url_with(**{key: cat.value, "status": None}) if cat.value else None)
        cells = [head]
        for status, amount in zip(STATUS_KEYS, amounts, strict=True):
            column_totals[status] += amount
            href = url_with(**{key: cat.value, "status": status}) if cat.value and amount else None
            cells.append(Cell(fmt(amount), href, numeric=True))
        cells.append(Cell(fmt(sum(amounts)), numeric=True))
        rows.append(cells)
    foot = [Cell(_("I alt"))]
    foot += [Cell(fmt(column_totals[s]), numeric=True) for s in STATUS_KEYS]
    foot.append(Cell(fmt(sum(column_totals.values())), numeric=True))
    return rows, foot


def _describe(
    title: str,
    values: Mapping[tuple[str, str], float],
    categories: Sequence[Category],
    text: ChartText,
    *,
    money: bool,
) -> str:
    """The chart in words for screen readers: each bar's total and its status split."""
    fmt = text.money if money else text.number
    parts = []
    for cat in categories:
        amounts = {s: values.get((cat.value, s), 0) for s in STATUS_KEYS}
        total = sum(amounts.values())
        if not total:
            continue
        split = ", ".join(f"{text.status[s]} {fmt(a)}" for s, a in amounts.items() if a)
        parts.append(f"{cat.label}: {fmt(total)} ({split})")
    summary = "; ".join(parts) if parts else _("ingen projekter")
    return _("Søjlediagram, %(title)s: %(summary)s.", title=title, summary=summary)


def _status_chart(
    chart_id: str,
    title: str,
    values: Mapping[tuple[str, str], float],
    categories: Sequence[Category],
    key: str,
    text: ChartText,
    *,
    money: bool = False,
    keep_empty: bool = True,
) -> Chart:
    figure = charts.status_bars(
        values, categories, filter_key=key, text=text, money=money, keep_empty=keep_empty
    )
    rows, foot = _status_table(values, categories, key, text, money=money)
    return Chart(
        id=chart_id,
        title=title,
        figure=charts.safe_figure_json(figure),
        label=_describe(title, values, categories, text, money=money),
        click="filter",
        columns=[str(FIELD_LABELS[key]), *(text.status[s] for s in STATUS_KEYS), _("I alt")],
        rows=rows,
        foot=foot,
    )


def _traffic_light_chart(
    current: Counter[str], previous: Counter[str] | None, previous_day: date, text: ChartText
) -> Chart:
    lights = charts.traffic_lights(current, previous, previous_day, text)
    title = _("Trafiklys")
    since = _("Ændring siden %(day)s", day=text.day(previous_day))
    return Chart(
        id="chart-traffic-light",
        title=title,
        figure=charts.safe_figure_json(charts.traffic_light_chart(lights, text)),
        label=_(
            "Søjlediagram, %(title)s: %(summary)s.",
            title=title,
            summary="; ".join(light.text for light in lights),
        ),
        click="filter",
        columns=[_("Status"), _("Antal"), _("Andel"), since],
        rows=[
            [
                Cell(light.label, url_with(status=light.status) if light.count else None),
                Cell(text.number(light.count), numeric=True),
                Cell(text.share.format(share=light.share), numeric=True),
                Cell(
                    "" if light.change is None else charts.signed(light.change, text), numeric=True
                ),
            ]
            for light in lights
        ],
    )


def _trend_chart(
    ends: Sequence[date], history: Sequence[Counter[str]], current: Counter[str], text: ChartText
) -> Chart:
    points = [
        charts.TrendPoint(text.day(day), counts) for day, counts in zip(ends, history, strict=True)
    ]
    points.append(charts.TrendPoint(text.today, current))
    title = _("Status over tid")
    summary = "; ".join(
        f"{p.label}: "
        + ", ".join(f"{text.status[s]} {text.number(p.counts.get(s, 0))}" for s in TREND_KEYS)
        for p in points
    )
    return Chart(
        id="chart-trend",
        title=title,
        figure=charts.safe_figure_json(charts.status_trend_chart(points, text)),
        label=_(
            "Kurvediagram, %(title)s, ved hvert månedsskifte: %(summary)s.",
            title=title,
            summary=summary,
        ),
        click="none",
        columns=[_("Dato"), *(text.status[s] for s in TREND_KEYS)],
        rows=[
            [
                Cell(p.label),
                *(Cell(text.number(p.counts.get(s, 0)), numeric=True) for s in TREND_KEYS),
            ]
            for p in points
        ],
        wide=True,
    )


def _timeline_chart(
    rows: Sequence[ProjectRow],
    group: str,
    groups: Sequence[Category],
    project_url: Callable[[int], str],
    today: date,
    text: ChartText,
) -> Chart:
    group_of = attrgetter(group)
    dated = [
        charts.TimelineRow(
            r.id,
            r.name,
            group_of(r) or "",
            r.status,
            r.start_date,
            r.end_date,
            r.baseline_end_date,
            project_url(r.id),
        )
        for r in rows
        if r.start_date and r.end_date and r.start_date <= r.end_date
    ]
    shown = charts.order_timeline(dated, groups)[:TIMELINE_LIMIT]
    notes = []
    if len(dated) > len(shown):
        notes.append(
            _(
                "Tidslinjen viser de første %(shown)d af %(total)d projekter; brug filtrene for "
                "at se de øvrige.",
                shown=len(shown),
                total=len(dated),
            )
        )
    if len(rows) > len(dated):
        notes.append(
            _("%(num)d projekter uden start- og slutdato er ikke med.", num=len(rows) - len(dated))
        )
    title = _("Tidslinje")
    slip_note = _("(skredet)")
    group_label = {g.value: g.label for g in groups}
    slipped = sum(1 for r in shown if r.slipped)
    return Chart(
        id="chart-timeline",
        title=title,
        figure=charts.safe_figure_json(
            charts.timeline_chart(shown, groups, today=today, text=text)
        ),
        label=_(
            "Tidslinje (Gantt-diagram) over %(num)d projekters planlagte start og slut, grupperet "
            "efter %(group)s og farvet efter status; %(slipped)d er skredet ud over den "
            "oprindelige slutdato. Projekterne står i tabellen under diagrammet.",
            num=len(shown),
            group=str(FIELD_LABELS[group]).lower(),
            slipped=slipped,
        ),
        click="link",
        columns=[
            str(FIELD_LABELS["name"]),
            str(FIELD_LABELS[group]),
            _("Status"),
            str(FIELD_LABELS["start_date"]),
            str(FIELD_LABELS["end_date"]),
            str(FIELD_LABELS["baseline_end_date"]),
        ],
        rows=[
            [
                Cell(r.name, r.url),
                Cell(group_label.get(r.group, r.group)),
                Cell(text.status[r.status or NO_STATUS]),
                Cell(text.day(r.start)),
                Cell(text.day(r.end)),
                Cell(
                    (text.day(r.baseline_end) if r.baseline_end else "")
                    + (f" {slip_note}" if r.slipped else "")
                ),
            ]
            for r in shown
        ],
        note=" ".join(notes),
        wide=True,
        controls=[
            (str(FIELD_LABELS[g]), url_with(group=None if g == "scope" else g), g == group)
            for g in GROUPS
        ],
    )


# The project table's columns: the fields the project model marks shown(overview=True),
# Chefforum's one-line view of each project.
TABLE_COLUMNS = OVERVIEW_FIELDS


class TableRow(NamedTuple):
    url: str
    name: str  # the row's header cell, a link to the project
    cells: Markup  # the other columns' <td> cells, in TABLE_COLUMNS order, escaped here


def _cell_writers(
    labels: Mapping[str, str], text: ChartText, slip_text: str
) -> list[Callable[[ProjectRow, Any], str]]:
    """For each column, its cell as HTML: a choice by its label (status as its badge, so never by
    colour alone), a date in Danish with the slip noted, an amount in kroner. Every value is
    escaped; a choice's label once per page, not once per row."""
    status_badge = get_template_attribute("_macros.html", "status_badge")
    badges = {
        key: f"<td>{status_badge(None if key == NO_STATUS else key)}</td>" for key in STATUS_KEYS
    }
    slip = f' <span class="slip">({escape(slip_text)})</span>'
    shown_labels = {value: f"<td>{escape(name)}</td>" for value, name in labels.items()}

    def writer(name: str) -> Callable[[ProjectRow, Any], str]:
        kind, _ = value_type(ProjectCreate.model_fields[name])
        if name == "status":
            return lambda row, value: badges[row.status_key]
        if issubclass(kind, StrEnum):
            return lambda row, value: shown_labels.get(value) or f"<td>{escape(value or '')}</td>"
        if kind is date:
            slips = name == "end_date"

            def day(row: ProjectRow, value: Any) -> str:
                shown = escape(text.day(value)) if value else ""
                if slips and row.slipped:
                    return f'<td class="nowrap">{shown}{slip}</td>'
                return f'<td class="nowrap">{shown}</td>'

            return day
        if kind is int and name.endswith("_dkk"):
            return lambda row, value: (
                f'<td class="num">{escape(text.money(value)) if value is not None else ""}</td>'
            )
        if kind in (int, float):
            return lambda row, value: f'<td class="num">{"" if value is None else value}</td>'
        return lambda row, value: f"<td>{'' if value is None else escape(value)}</td>"

    return [writer(name) for name in TABLE_COLUMNS[1:]]


def _table(
    rows: Sequence[ProjectRow],
    scopes: Sequence[Category],
    phases: Sequence[Category],
    project_url: Callable[[int], str],
    text: ChartText,
) -> list[TableRow]:
    """The project table's rows, each row's cells one piece of HTML: a thousand rows of ten
    cells cost several times more as a loop in the template."""
    labels = {c.value: c.label for c in (*scopes, *phases)}
    labels.update({k.value: str(label(k)) for k in Kind})
    writers = _cell_writers(labels, text, _("skredet"))
    return [
        TableRow(
            project_url(r.id),
            r.shown[0],
            Markup(  # noqa: S704 - every value escaped by its writer
                "".join(write(r, value) for write, value in zip(writers, r.shown[1:], strict=True))
            ),
        )
        for r in rows
    ]


@bp.get("/")
def index() -> str:
    session = get_session()
    flt = svc.ProjectFilter.from_args(request.args)
    group = request.args.get("group", "scope")
    if group not in GROUPS:
        group = "scope"
    today, tz = _today()
    text = chart_text()

    rows = overview_projects(session, flt)
    ends = month_ends(today)
    form = svc.filter_options(session)
    choices = form["choices"]

    scopes = [Category(s.value, label(s)) for s in Scope]
    phases = [Category(p.value, label(p)) for p in Phase]
    project_url = project_urls()
    departments = [Category(name, name) for name in choices["department"]]
    departments.append(Category("", _("Uden afdeling")))
    counts = tally(rows)
    current = counts.status
    history = status_at(session, flt, ends, tz, current)
    chart_list = [
        _traffic_light_chart(current, history[-1], ends[-1], text),
        _status_chart(
            "chart-scope", _("Projekter efter projekttype"), counts.scope, scopes, "scope", text
        ),
        _trend_chart(ends, history, current, text),
        _status_chart(
            "chart-department",
            _("Projekter efter afdeling"),
            counts.department,
            departments,
            "department",
            text,
            keep_empty=False,
        ),
        _status_chart(
            "chart-phase",
            _("Projekter efter fase"),
            counts.phase,
            phases,
            "phase",
            text,
        ),
        _status_chart(
            "chart-budget-scope",
            _("Budget efter projekttype"),
            counts.budget_by_scope,
            scopes,
            "scope",
            text,
            money=True,
        ),
        _status_chart(
            "chart-budget-department",
            _("Budget efter afdeling"),
            counts.budget_by_department,
            departments,
            "department",
            text,
            money=True,
            keep_empty=False,
        ),
        _timeline_chart(
            rows, group, scopes if group == "scope" else departments, project_url, today, text
        ),
    ]
    return render_template(
        "overview/index.html",
        table=_table(rows, scopes, phases, project_url, text),
        charts=chart_list,
        flt=flt,
        group=group,
        **form,
        field_labels=FIELD_LABELS,
        table_columns=TABLE_COLUMNS,
        budget_total=sum(r.budget_dkk or 0 for r in rows),
        money_totals=money_totals(session, (r.id for r in rows)),
        plotly_map_style_id=static_assets.PLOTLY_MAP_STYLE_ID,
        printed_at=utcnow(),  # the printed page says when (print.css shows it only on paper)
    )
