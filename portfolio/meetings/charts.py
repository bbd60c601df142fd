"""The pack's charts as pure data: each one's plotly figure (HTML, PDF, DOCX images) and the
numbers behind it (the text alternative, and the tables XLSX draws its native charts from)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from portfolio import charts
from portfolio.charts import DANISH, STATUS_KEYS, Category, ChartText, Figure
from portfolio.domain import Phase, Scope, label
from portfolio.finance.charts import waterfall_description, waterfall_figure, waterfall_steps
from portfolio.meetings.finance_item import FinancePool
from portfolio.meetings.pack import Pack, PackProject
from portfolio.rollout.charts import gantt_columns, gantt_description, gantt_figure, gantt_table


@dataclass(frozen=True)
class PackChart:
    id: str  # "pack-scope"
    title: str  # Danish, e.g. "Projekter efter projekttype"
    figure: Figure
    columns: list[str]  # the table's header: the category, then one column per series
    rows: list[tuple[str, list[int]]]  # category label, then one number per series
    description: str  # the chart in words, for screen readers and the DOCX alt text
    status_keys: tuple[str, ...] = STATUS_KEYS  # the series, for colours (XLSX)


def _status_columns(text: ChartText) -> list[str]:
    return [text.status[s] for s in STATUS_KEYS]


def _by(
    chart_id: str,
    title: str,
    projects: Sequence[PackProject],
    key: str,
    categories: Sequence[Category],
    column: str,
    text: ChartText,
) -> PackChart:
    values: Counter[tuple[str, str]] = Counter(
        (getattr(p, key) or "", p.status or charts.NO_STATUS) for p in projects
    )
    figure = charts.status_bars(values, categories, filter_key=key, text=text, keep_empty=False)
    rows = []
    for cat in categories:
        counts = [values.get((cat.value, s), 0) for s in STATUS_KEYS]
        if any(counts):
            rows.append((cat.label, counts))
    description = "; ".join(
        f"{name}: "
        + ", ".join(f"{text.status[s]} {n}" for s, n in zip(STATUS_KEYS, counts, strict=True) if n)
        for name, counts in rows
    )
    return PackChart(
        id=chart_id,
        title=title,
        figure=figure,
        columns=[column, *_status_columns(text)],
        rows=rows,
        description=_(
            "Søjlediagram, %(title)s: %(summary)s.",
            title=title,
            summary=description or _("ingen projekter"),
        ),
    )


def pack_charts(pack: Pack, text: ChartText = DANISH) -> list[PackChart]:
    """The overview charts of the pack: the traffic light (with the change since the last
    meeting) and projects by type, department and phase, split by status."""
    projects = pack.projects
    current = pack.status_counts
    lights = charts.traffic_lights(current, pack.previous_status, pack.previous_meeting_date, text)
    light_rows = [(light.label, [light.count]) for light in lights]
    light_columns = [_("Status"), _("Antal")]
    if pack.previous_status is not None:
        light_columns.append(_("Ved sidste møde"))
        light_rows = [
            (light.label, [light.count, pack.previous_status.get(light.status, 0)])
            for light in lights
        ]
    traffic = PackChart(
        id="pack-traffic-light",
        title=_("Trafiklys"),
        figure=charts.traffic_light_chart(lights, text),
        columns=light_columns,
        rows=light_rows,
        description=_(
            "Søjlediagram, %(title)s: %(summary)s.",
            title=_("Trafiklys"),
            summary="; ".join(light.text for light in lights),
        ),
        status_keys=("count",),
    )
    departments = sorted({p.department for p in projects if p.department}, key=str.casefold)
    department_cats = [Category(d, d) for d in departments] + [Category("", _("Uden afdeling"))]
    scope = _by(
        "pack-scope",
        _("Projekter efter projekttype"),
        projects,
        "scope",
        [Category(s.value, label(s)) for s in Scope],
        _("Projekttype"),
        text,
    )
    department = _by(
        "pack-department",
        _("Projekter efter afdeling"),
        projects,
        "department",
        department_cats,
        _("Afdeling"),
        text,
    )
    phase = _by(
        "pack-phase",
        _("Projekter efter fase"),
        projects,
        "phase",
        [Category(p.value, label(p)) for p in Phase],
        _("Fase"),
        text,
    )
    return [traffic, scope, department, phase]


# --- the rollout item's Bilag -----------------------------------------------------------------


@dataclass(frozen=True)
class RolloutChart:
    """An app's Gantt (portfolio/rollout/charts.py) and its text alternative, a row per
    department with the dates written out."""

    id: str  # "pack-rollout-gantt-1"
    title: str
    figure: Figure
    columns: list[str]
    rows: list[list[str]]
    description: str

    def as_pack_chart(self) -> PackChart:
        """The shape the chart-image renderer (exporters/chromium.py) takes."""
        return PackChart(
            id=self.id,
            title=self.title,
            figure=self.figure,
            columns=self.columns,
            rows=[],
            description=self.description,
        )


def rollout_charts(pack: Pack, text: ChartText = DANISH) -> list[RolloutChart]:
    """A Gantt per app of the pack's rollout item, drawn as of the day the plan was taken (a
    published pack's "today" line stays where it was); none without the item."""
    if pack.rollout is None:
        return []
    plan = pack.rollout.plan
    cells = plan.cells()
    found = []
    for number, app in enumerate(plan.apps, start=1):
        mine = sorted(
            (c for c in cells if c["project"] == app), key=lambda c: str(c["department"]).casefold()
        )
        title = _("Udrulning af %(app)s pr. afdeling", app=app)
        found.append(
            RolloutChart(
                id=f"pack-rollout-gantt-{number}",
                title=title,
                figure=gantt_figure(mine, today=plan.taken_on, title=title, text=text),
                columns=gantt_columns(),
                rows=gantt_table(mine, text),
                description=gantt_description(app, mine, text),
            )
        )
    return found


# --- the pool orientation's Bilag ---------------------------------------------------------------


def pool_chart(pool: FinancePool, chart_id: str, text: ChartText = DANISH) -> PackChart:
    """The pool from its deposits through grants, releases and returns to its balance: the
    pool page's waterfall, from the figures frozen with the pack."""
    figures = pool.figures
    title = _("Puljens midler: %(pool)s", pool=pool.name)
    return PackChart(
        id=chart_id,
        title=title,
        figure=waterfall_figure(figures, title=title, text=text),
        columns=[_("Post"), _("Beløb (kr.)")],
        rows=[(s.label, [s.amount]) for s in waterfall_steps(figures)],
        description=waterfall_description(pool.name, figures, text),
        status_keys=("amount",),
    )


def finance_charts(pack: Pack, text: ChartText = DANISH) -> list[PackChart]:
    """The pool orientation's chart (its Bilag); none without the item."""
    if pack.pool_orientation is None:
        return []
    return [pool_chart(pack.pool_orientation.pool, "pack-pool-orientation-chart", text)]
