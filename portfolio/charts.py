"""Pure chart builders for the overview: counts and rows in, plotly figures out; no Flask, no DB."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode

from markupsafe import Markup

from portfolio.domain import is_slipped
from portfolio.formats import danish_day, danish_money, danish_money_short, danish_number

if TYPE_CHECKING:
    import plotly.graph_objects as go

NO_STATUS = "none"
# Worst first, as the project list sorts: stacks, legends and tables follow this order.
STATUS_KEYS = ("red", "yellow", "green", NO_STATUS)
TREND_KEYS = ("red", "yellow", "green")

# The CSS badges' colours; yellow carries dark text. Never colour alone: every segment also
# has its status word as text, yellow and red have a pattern, and trend lines differ in dash
# and marker shape (the badges' ● ◆ ▲).
STATUS_COLOURS = {"green": "#1e7b3a", "yellow": "#d4a017", "red": "#b42318", NO_STATUS: "#aab1ba"}
STATUS_INK = {"green": "#ffffff", "yellow": "#1b1f24", "red": "#ffffff", NO_STATUS: "#1b1f24"}
STATUS_OUTLINE = {"green": "#14532d", "yellow": "#7a5600", "red": "#7a1610", NO_STATUS: "#545c66"}
STATUS_PATTERNS = {"green": "", "yellow": "/", "red": "x", NO_STATUS: ""}
TREND_LINE = {"green": "#1e7b3a", "yellow": "#a36b00", "red": "#b42318"}
TREND_SYMBOLS = {"green": "circle", "yellow": "diamond", "red": "triangle-up"}
TREND_DASH = {"green": "solid", "yellow": "dash", "red": "dot"}

FONT = '"Segoe UI", "DejaVu Sans", Arial, sans-serif'
INK = "#1b1f24"
MUTED = "#545c66"
GRID = "#dde1e6"
DAY_MS = 86_400_000
ROW_PX = 28  # the timeline's height per project


def _danish_status() -> dict[str, str]:
    return {"green": "Grøn", "yellow": "Gul", "red": "Rød", NO_STATUS: "Ingen status"}


@dataclass(frozen=True)
class ChartText:
    """Every word and number format a chart shows, already translated. Danish by default."""

    status: Mapping[str, str] = field(default_factory=_danish_status)
    count_axis: str = "Antal projekter"
    budget_axis: str = "Budget (kr.)"
    change: str = "{change} siden {day}"
    share: str = "{share} %"
    today: str = "I dag"
    slip: str = "Skred ud over oprindelig slutdato"
    baseline: str = "Oprindelig slutdato"
    # plotly's layout.separators: decimal mark, then thousands separator.
    separators: str = ",."
    number: Callable[[float], str] = danish_number
    money: Callable[[float], str] = danish_money
    money_short: Callable[[float], str] = danish_money_short
    day: Callable[[date], str] = danish_day


DANISH = ChartText()


@dataclass(frozen=True)
class Category:
    """One bar: `value` goes into the filter URL, `label` is what the reader sees."""

    value: str
    label: str


def escape(text: str) -> str:
    """User text for plotly, which renders <a href>, <b>, <br> … in labels and hover text.

    (The figures themselves use only <br>: plotly draws <b> and <i> with style attributes,
    which the CSP forbids.)
    """
    return html.escape(text, quote=False)


# --- shared look -------------------------------------------------------------------------------


def _layout(text: ChartText, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        # plotly.js's own plain defaults, not plotly.py's 6 kB "plotly" template in every figure
        "template": {},
        "separators": text.separators,
        "font": {"family": FONT, "size": 14, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 8, "r": 24, "t": 8, "b": 8, "pad": 4},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 0,
            "traceorder": "normal",
            "itemclick": False,
            "itemdoubleclick": False,
        },
        "hoverlabel": {"font": {"family": FONT, "size": 14}, "align": "left"},
        "uniformtext": {"minsize": 11, "mode": "hide"},
        "dragmode": False,
        "clickmode": "event",
    }
    layout.update(extra)
    return layout


def today_marks(today: date, text: ChartText) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dashed line at today across the plot, and its label ("I dag 02-12-2026") under it."""
    line = {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": today.isoformat(),
        "x1": today.isoformat(),
        "y0": 0,
        "y1": 1,
        "line": {"color": INK, "width": 2, "dash": "dash"},
    }
    note = {
        "xref": "x",
        "yref": "paper",
        "x": today.isoformat(),
        "y": 0,
        "yanchor": "top",
        "text": f"{escape(text.today)} {text.day(today)}",
        "showarrow": False,
        "bgcolor": "#ffffff",
        "font": {"size": 13},
    }
    return line, note


def timeline_layout(
    text: ChartText, rows: Sequence[str], *, yaxis: Mapping[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """A timeline's layout: bars laid over a date axis on top, a category row per item in the
    given order, the legend under the "today" label (today_marks)."""
    return _layout(
        text,
        barmode="overlay",
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -40 / (ROW_PX * max(len(rows), 1)),
            "x": 0,
            "itemclick": False,
            "itemdoubleclick": False,
        },
        xaxis={
            "type": "date",
            "side": "top",
            "gridcolor": GRID,
            "fixedrange": True,
            "automargin": True,
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(rows),
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            **(yaxis or {}),
        },
        **extra,
    )


def _marker(status: str) -> dict[str, Any]:
    return {
        "color": STATUS_COLOURS[status],
        "line": {"color": STATUS_OUTLINE[status], "width": 1},
        "pattern": {
            "shape": STATUS_PATTERNS[status],
            "fgcolor": STATUS_INK[status],
            "fgopacity": 0.45,
            "size": 9,
            "solidity": 0.2,
            "fillmode": "overlay",
        },
    }


class Figure:
    """A chart as plotly.js reads it: its traces and layout as plain JSON values.

    The pages send these as they are. plotly.py's graph object deep-copies every trace, which
    cost more than the rest of the overview, so it is built only when asked for (`data`,
    `layout`, `to_dict()`): by the tests, which validate every figure with it, and by the image
    export."""

    __slots__ = ("_graph", "spec")

    def __init__(self, data: list[dict[str, Any]], layout: dict[str, Any]) -> None:
        self.spec: dict[str, Any] = {"data": data, "layout": layout}
        self._graph: go.Figure | None = None

    @property
    def graph(self) -> Figure:
        if self._graph is None:
            import plotly.graph_objects as go  # noqa: PLC0415 - only tests and exports need it

            self._graph = go.Figure(
                data=self.spec["data"], layout=self.spec["layout"], _validate=False
            )
        return self._graph

    @property
    def data(self) -> Any:
        return self.graph.data

    @property
    def layout(self) -> Any:
        return self.graph.layout

    def to_dict(self) -> dict[str, Any]:
        return self.graph.to_dict()

    def to_json(self) -> str:
        return self.graph.to_json()


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> Figure:
    return Figure(data, layout)


@dataclass(frozen=True)
class PageChart:
    """A chart as a page shows it (templates/_macros.html chart_card): its figure JSON, what a
    screen reader hears, and its numbers as rows of text, the table that is its alternative."""

    id: str
    title: str
    figure: Markup
    label: str
    columns: list[str]
    rows: list[list[str]]
    foot: None = None  # the chart_table macro asks for it


def to_json(figure: Figure) -> str:
    """The figure as plotly.js reads it (tests check it is what plotly.py's to_json() gives)."""
    return json.dumps(figure.spec, ensure_ascii=False, separators=(",", ":"))


def safe_figure_json(figure: Figure) -> Markup:
    """The figure as JSON that is safe inside <script type="application/json">: the same
    escaping as Jinja's |tojson (no <, >, & or ' left). The overview and the pack share it."""
    safe = (
        to_json(figure)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
    return Markup(safe)  # noqa: S704 - escaped just above


def _value_axis(text: ChartText, largest: float, *, money: bool) -> dict[str, Any]:
    axis: dict[str, Any] = {
        "title": {"text": escape(text.budget_axis if money else text.count_axis)},
        "rangemode": "tozero",
        "tickformat": ",d",
        "gridcolor": GRID,
        "zerolinecolor": MUTED,
        "fixedrange": True,
        "automargin": True,
    }
    if not money and largest <= 10:
        axis["dtick"] = 1
    return axis


def signed(change: int, text: ChartText = DANISH) -> str:
    """+2, −1 or ±0."""
    if change > 0:
        return f"+{text.number(change)}"
    if change < 0:
        return f"−{text.number(-change)}"  # a real minus sign, read aloud as "minus"
    return "±0"


# --- projects (or budget) per category, split by status ---------------------------------------


def status_bars(
    values: Mapping[tuple[str, str], float],
    categories: Sequence[Category],
    *,
    filter_key: str,
    text: ChartText = DANISH,
    money: bool = False,
    keep_empty: bool = True,
) -> Figure:
    """Stacked horizontal bars: one bar per category (in the given order), one segment per status.

    `values` maps (category value, status key) to a count, or to kroner when `money`. Clicking
    a segment filters to it: its customdata is the query string, e.g. scope=national&status=red
    (empty for the category with an empty value, e.g. projects without a department).
    """
    cats = [
        c for c in categories if keep_empty or any(values.get((c.value, s), 0) for s in STATUS_KEYS)
    ]
    labels = [escape(c.label) for c in cats]
    fmt = text.money if money else text.number
    short = text.money_short if money else text.number
    data = []
    for status in STATUS_KEYS:
        amounts = [values.get((c.value, status), 0) for c in cats]
        if not any(amounts):
            continue
        name = escape(text.status[status])
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": amounts,
                "y": labels,
                "text": [f"{name} {short(a)}" if a else "" for a in amounts],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textangle": 0,
                "textfont": {"color": STATUS_INK[status]},
                "hovertext": [
                    f"{lab}<br>{name}: {fmt(a)}" for lab, a in zip(labels, amounts, strict=True)
                ],
                "hoverinfo": "text",
                # No filter can ask for "no department": such a bar is not a link.
                "customdata": [
                    urlencode({filter_key: c.value, "status": status}) if c.value else ""
                    for c in cats
                ],
                "marker": _marker(status),
            }
        )
    totals = [sum(values.get((c.value, s), 0) for s in STATUS_KEYS) for c in cats]
    layout = _layout(
        text,
        barmode="stack",
        height=110 + 46 * max(len(cats), 1),
        xaxis=_value_axis(text, max(totals, default=0), money=money),
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
    )
    return _figure(data, layout)


# --- the traffic light today, and since the end of last month -----------------------------------


@dataclass(frozen=True)
class TrafficLight:
    status: str
    label: str
    count: int
    share: int  # whole per cent of all projects shown
    change: int | None  # since the previous period; None when there is no history to compare
    figures: str  # "5 (12 %)"
    change_text: str  # "+2 siden 31-10-2026", or ""

    @property
    def text(self) -> str:
        """The whole line: "Rød: 5 (12 %), +2 siden 31-10-2026"."""
        line = f"{self.label}: {self.figures}"
        return f"{line}, {self.change_text}" if self.change_text else line


def traffic_lights(
    current: Mapping[str, int],
    previous: Mapping[str, int] | None,
    previous_day: date | None,
    text: ChartText = DANISH,
) -> list[TrafficLight]:
    """Counts, shares and the change since `previous_day`, one line per status, worst first.

    `previous` holds the statuses the history tracks (red, yellow, green); "no status" gets no
    change, because a project that did not exist yet had no status either.
    """
    total = sum(current.get(s, 0) for s in STATUS_KEYS)
    lines = []
    for status in STATUS_KEYS:
        count = current.get(status, 0)
        share = round(100 * count / total) if total else 0
        change = None
        change_text = ""
        if previous is not None and status in TREND_KEYS:
            change = count - previous.get(status, 0)
            if previous_day is not None:
                day = text.day(previous_day)
                change_text = text.change.format(change=signed(change, text), day=day)
        figures = f"{text.number(count)} ({text.share.format(share=share)})"
        lines.append(
            TrafficLight(status, text.status[status], count, share, change, figures, change_text)
        )
    return lines


def traffic_light_chart(lights: Sequence[TrafficLight], text: ChartText = DANISH) -> Figure:
    """One bar per status, its sentence (count, share, change) as the axis label."""
    labels = []
    for light in lights:
        label = f"{escape(light.label)}: {escape(light.figures)}"
        labels.append(f"{label}<br>{escape(light.change_text)}" if light.change_text else label)
    # A trace per status: plotly.js mishandles per-bar colours together with patterns.
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": escape(light.label),
            "x": [light.count],
            "y": [label],
            "text": [text.number(light.count)],
            "textposition": "auto",
            "textangle": 0,
            "insidetextfont": {"color": STATUS_INK[light.status]},
            "hovertext": [escape(light.text)],
            "hoverinfo": "text",
            "customdata": [urlencode({"status": light.status})],
            "showlegend": False,
            "marker": _marker(light.status),
        }
        for light, label in zip(lights, labels, strict=True)
    ]
    layout = _layout(
        text,
        height=110 + 56 * len(lights),
        showlegend=False,
        barmode="overlay",
        xaxis=_value_axis(text, max((light.count for light in lights), default=0), money=False),
        yaxis={
            "categoryorder": "array",
            "categoryarray": labels,
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
        },
    )
    return _figure(data, layout)


# --- the timeline ------------------------------------------------------------------------------


class TimelineRow(NamedTuple):
    id: int
    name: str
    group: str  # the value of the grouping field (scope or department name)
    status: str | None
    start: date
    end: date
    baseline_end: date | None
    url: str

    @property
    def slipped(self) -> bool:
        return is_slipped(self.end, self.baseline_end)

    @property
    def slip_start(self) -> date:
        """Where the slip begins on the bar: the baseline end, or the start if that is later."""
        return max(self.start, self.baseline_end or self.start)


def order_timeline(rows: Sequence[TimelineRow], groups: Sequence[Category]) -> list[TimelineRow]:
    """Rows by group (in the groups' order), then by start and end date."""
    rank = {g.value: i for i, g in enumerate(groups)}
    return sorted(
        rows, key=lambda r: (rank.get(r.group, len(rank)), r.start, r.end, r.name.lower(), r.id)
    )


def _shorten(name: str, limit: int = 48) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def timeline_chart(
    rows: Sequence[TimelineRow],
    groups: Sequence[Category],
    *,
    today: date,
    text: ChartText = DANISH,
) -> Figure:
    """Gantt: planned start → end per project under a heading per group, coloured by status.

    A slipped project's bar ends at its baseline end date; the slip beyond it is drawn as a thin
    hatched bar, and a tick marks every baseline end. A dashed line marks today. Clicking a
    bar opens the project (customdata is its URL).
    """
    ordered = order_timeline(rows, groups)
    group_label = {g.value: g.label for g in groups}
    keys: list[str] = []
    ticks: list[str] = []
    headings: list[int] = []  # the rows that carry a group's name
    seen_groups: list[str] = []
    for row in ordered:
        if row.group not in seen_groups:
            seen_groups.append(row.group)
            headings.append(len(keys))
            keys.append(f"g{len(seen_groups)}")
            ticks.append(escape(group_label.get(row.group, row.group).upper()))
        keys.append(f"p{row.id}")
        ticks.append(escape(_shorten(row.name)))

    def describe(row: TimelineRow) -> str:
        status = text.status[row.status or NO_STATUS]
        lines = [
            escape(row.name),
            escape(group_label.get(row.group, row.group)),
            escape(status),
            f"{text.day(row.start)} – {text.day(row.end)}",
        ]
        if row.baseline_end is not None and row.baseline_end != row.end:
            lines.append(f"{escape(text.baseline)}: {text.day(row.baseline_end)}")
        return "<br>".join(lines)

    hovers = {row.id: describe(row) for row in ordered}

    data: list[dict[str, Any]] = []
    for status in STATUS_KEYS:
        these = [r for r in ordered if (r.status or NO_STATUS) == status]
        if not these:
            continue
        name = escape(text.status[status])
        ends = [r.slip_start if r.slipped else r.end for r in these]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "base": [r.start.isoformat() for r in these],
                "x": [
                    ((end - r.start).days or 1) * DAY_MS for r, end in zip(these, ends, strict=True)
                ],
                "y": [f"p{r.id}" for r in these],
                "width": 0.7,
                "text": [name] * len(these),
                "textposition": "inside",
                "insidetextanchor": "start",
                "textangle": 0,
                "textfont": {"color": STATUS_INK[status], "size": 12},
                "hovertext": [hovers[r.id] for r in these],
                "hoverinfo": "text",
                "customdata": [r.url for r in these],
                "marker": _marker(status),
            }
        )
    slipped = [r for r in ordered if r.slipped and r.baseline_end is not None]
    if slipped:
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": escape(text.slip),
                "base": [r.slip_start.isoformat() for r in slipped],
                "x": [(r.end - r.slip_start).days * DAY_MS for r in slipped],
                "y": [f"p{r.id}" for r in slipped],
                "width": 0.35,
                "hovertext": [hovers[r.id] for r in slipped],
                "hoverinfo": "text",
                "customdata": [r.url for r in slipped],
                "marker": {
                    "color": "#ffffff",
                    "line": {"color": STATUS_OUTLINE["red"], "width": 1.5},
                    "pattern": {
                        "shape": "/",
                        "fgcolor": STATUS_OUTLINE["red"],
                        "size": 6,
                        "solidity": 0.3,
                    },
                },
            }
        )
    with_baseline = [r for r in ordered if r.baseline_end is not None]
    if with_baseline:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": escape(text.baseline),
                "x": [r.baseline_end.isoformat() for r in with_baseline if r.baseline_end],
                "y": [f"p{r.id}" for r in with_baseline],
                "marker": {"symbol": "line-ns", "size": 18, "line": {"color": INK, "width": 3}},
                "hovertext": [hovers[r.id] for r in with_baseline],
                "hoverinfo": "text",
                "customdata": [r.url for r in with_baseline],
            }
        )
    line, note = today_marks(today, text)
    layout = timeline_layout(
        text,
        keys,
        height=150 + ROW_PX * max(len(keys), 1),
        margin={"l": 8, "r": 24, "t": 40, "b": 8, "pad": 4},
        yaxis={"tickmode": "array", "tickvals": keys, "ticktext": ticks},
        uniformtext={"minsize": 10, "mode": "hide"},
        shapes=[
            *(
                {
                    "type": "rect",
                    "layer": "below",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "yref": "y",
                    "y0": i - 0.5,
                    "y1": i + 0.5,
                    "fillcolor": "#eef1f4",
                    "line": {"width": 0},
                }
                for i in headings
            ),
            line,
        ],
        annotations=[note],
    )
    return _figure(data, layout)


# --- status over time --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    label: str  # "31-10-2026", or "I dag" for the last point
    counts: Mapping[str, int]


def status_trend_chart(points: Sequence[TrendPoint], text: ChartText = DANISH) -> Figure:
    """Green, yellow and red projects at each month end: a line per status, each its own shape."""
    labels = [escape(p.label) for p in points]
    data = []
    for status in TREND_KEYS:
        name = escape(text.status[status])
        counts = [p.counts.get(status, 0) for p in points]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": labels,
                "y": counts,
                "line": {"color": TREND_LINE[status], "width": 3, "dash": TREND_DASH[status]},
                "marker": {
                    "symbol": TREND_SYMBOLS[status],
                    "size": 11,
                    "color": STATUS_COLOURS[status],
                    "line": {"color": STATUS_OUTLINE[status], "width": 1.5},
                },
                "hovertext": [
                    f"{lab}<br>{name}: {text.number(c)}"
                    for lab, c in zip(labels, counts, strict=True)
                ],
                "hoverinfo": "text",
            }
        )
    largest = max((p.counts.get(s, 0) for p in points for s in TREND_KEYS), default=0)
    layout = _layout(
        text,
        height=380,
        xaxis={"type": "category", "fixedrange": True, "automargin": True, "tickangle": -45},
        yaxis=_value_axis(text, largest, money=False),
        hovermode="closest",
    )
    return _figure(data, layout)
