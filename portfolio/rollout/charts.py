"""The rollout's charts, pure: cells (as services.cell_to_dict(..., json_ready=False) gives them)
in, plotly figures and the tables behind them out. The web page and the pack share them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

from portfolio.charts import (
    DANISH,
    DAY_MS,
    GRID,
    INK,
    MUTED,
    ROW_PX,
    ChartText,
    Figure,
    _figure,
    _layout,
    escape,
    timeline_layout,
    today_marks,
)
from portfolio.domain import ROLLOUT_SYMBOLS, RolloutState, label

Cell = Mapping[str, Any]

# Never colour alone: every bar also carries its state's symbol and word, and states that look
# alike in grey scale differ in pattern.
STATE_COLOURS = {
    RolloutState.not_started: "#aab1ba",
    RolloutState.preparing: "#9cc3e6",
    RolloutState.in_progress: "#2f6fb0",
    RolloutState.live: "#1e7b3a",
    RolloutState.postponed: "#d4a017",
    RolloutState.not_relevant: "#e6e9ed",
}
STATE_INK = {
    RolloutState.not_started: INK,
    RolloutState.preparing: INK,
    RolloutState.in_progress: "#ffffff",
    RolloutState.live: "#ffffff",
    RolloutState.postponed: INK,
    RolloutState.not_relevant: INK,
}
STATE_PATTERNS = {
    RolloutState.not_started: "",
    RolloutState.preparing: ".",
    RolloutState.in_progress: "/",
    RolloutState.live: "",
    RolloutState.postponed: "x",
    RolloutState.not_relevant: "",
}
SLIP_OUTLINE = "#7a1610"
PLANNED_LINE = "#2f6fb0"
ACTUAL_LINE = "#1e7b3a"


def state_text(state: RolloutState) -> str:
    """ "● I drift": the state's symbol and word."""
    return f"{ROLLOUT_SYMBOLS[state]} {label(state)}"


def _inclusive_ms(start: date, end: date) -> int:
    """A bar from the morning of `start` to the evening of `end`."""
    return (max((end - start).days, 0) + 1) * DAY_MS


def _slip(cell: Cell) -> int | None:
    planned, baseline = cell.get("planned_go_live"), cell.get("baseline_go_live")
    if planned is None or baseline is None:
        return None
    return int((planned - baseline).days)


# --- the Gantt: one app, a row per department -----------------------------------------------------


def gantt_figure(
    cells: Sequence[Cell], *, today: date, title: str, text: ChartText = DANISH
) -> Figure:
    """An app's rollout by department: a bar from planned start to planned go-live (its state as
    symbol, word and pattern), the slip beyond the baseline go-live hatched, a tick at every
    baseline go-live, a star at every actual go-live, and a dashed line for today.

    Departments keep the order given (the caller sorts); a cell without planned dates is a row
    with only its marks, so every department is listed."""
    rows = [escape(str(c["department"])) for c in cells]
    data: list[dict[str, Any]] = []

    def describe(c: Cell) -> str:
        lines = [escape(str(c["department"])), escape(state_text(c["state"]))]
        if c.get("planned_start") and c.get("planned_go_live"):
            lines.append(
                f"{escape(_('Planlagt'))}: {text.day(c['planned_start'])} – "
                f"{text.day(c['planned_go_live'])}"
            )
        if c.get("baseline_go_live"):
            baseline = text.day(c["baseline_go_live"])
            lines.append(f"{escape(_('Oprindelig idriftsættelse'))}: {baseline}")
        if c.get("actual_go_live"):
            actual = text.day(c["actual_go_live"])
            lines.append(f"{escape(_('Faktisk idriftsættelse'))}: {actual}")
        return "<br>".join(lines)

    planned = [c for c in cells if c.get("planned_start") and c.get("planned_go_live")]
    for state in RolloutState:
        these = [c for c in planned if c["state"] == state]
        if not these:
            continue
        name = escape(state_text(state))
        # A slipped bar ends at its baseline go-live; the slip is the hatched bar after it.
        ends = [
            max(c["planned_start"], c["baseline_go_live"])
            if (_slip(c) or 0) > 0
            else c["planned_go_live"]
            for c in these
        ]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "base": [c["planned_start"].isoformat() for c in these],
                "x": [
                    _inclusive_ms(c["planned_start"], e) for c, e in zip(these, ends, strict=True)
                ],
                "y": [escape(str(c["department"])) for c in these],
                "width": 0.7,
                "text": [name] * len(these),
                "textposition": "inside",
                "insidetextanchor": "start",
                "textangle": 0,
                "textfont": {"color": STATE_INK[state], "size": 12},
                "hovertext": [describe(c) for c in these],
                "hoverinfo": "text",
                "marker": {
                    "color": STATE_COLOURS[state],
                    "line": {"color": MUTED, "width": 1},
                    "pattern": {
                        "shape": STATE_PATTERNS[state],
                        "fgcolor": STATE_INK[state],
                        "fgopacity": 0.45,
                        "size": 9,
                        "solidity": 0.2,
                        "fillmode": "overlay",
                    },
                },
            }
        )
    slipped = [c for c in planned if (_slip(c) or 0) > 0]
    if slipped:
        starts = [max(c["planned_start"], c["baseline_go_live"]) for c in slipped]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": escape(_("Skred ud over oprindelig idriftsættelse")),
                "base": [s.isoformat() for s in starts],
                "x": [
                    (c["planned_go_live"] - s).days * DAY_MS
                    for c, s in zip(slipped, starts, strict=True)
                ],
                "y": [escape(str(c["department"])) for c in slipped],
                "width": 0.35,
                "hovertext": [describe(c) for c in slipped],
                "hoverinfo": "text",
                "marker": {
                    "color": "#ffffff",
                    "line": {"color": SLIP_OUTLINE, "width": 1.5},
                    "pattern": {"shape": "/", "fgcolor": SLIP_OUTLINE, "size": 6, "solidity": 0.3},
                },
            }
        )
    for key, name, marker in (
        (
            "baseline_go_live",
            _("Oprindelig idriftsættelse"),
            {"symbol": "line-ns", "size": 18, "line": {"color": INK, "width": 3}},
        ),
        (
            "actual_go_live",
            _("Faktisk idriftsættelse"),
            {
                "symbol": "star",
                "size": 14,
                "color": ACTUAL_LINE,
                "line": {"color": INK, "width": 1},
            },
        ),
    ):
        marked = [c for c in cells if c.get(key)]
        if marked:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": escape(name),
                    "x": [c[key].isoformat() for c in marked],
                    "y": [escape(str(c["department"])) for c in marked],
                    "marker": marker,
                    "hovertext": [describe(c) for c in marked],
                    "hoverinfo": "text",
                }
            )
    line, note = today_marks(today, text)
    layout = timeline_layout(
        text,
        rows,
        title={"text": escape(title), "x": 0, "xanchor": "left", "font": {"size": 16}},
        height=190 + ROW_PX * max(len(rows), 1),
        margin={"l": 8, "r": 24, "t": 80, "b": 8, "pad": 4},
        shapes=[line],
        annotations=[note],
    )
    return _figure(data, layout)


GANTT_COLUMNS = (
    "department",
    "state",
    "planned_start",
    "planned_go_live",
    "baseline_go_live",
    "actual_go_live",
    "slip",
)


def gantt_columns() -> list[str]:
    return [
        _("Afdeling"),
        _("Tilstand"),
        _("Planlagt start"),
        _("Planlagt idriftsættelse"),
        _("Oprindelig idriftsættelse"),
        _("Faktisk idriftsættelse"),
        _("Skred (dage)"),
    ]


def gantt_table(cells: Iterable[Cell], text: ChartText = DANISH) -> list[list[str]]:
    """The Gantt's text alternative: a row per department, dates written the Danish way."""

    def day(value: date | None) -> str:
        return text.day(value) if value else ""

    rows = []
    for c in cells:
        slip = _slip(c)
        rows.append(
            [
                str(c["department"]),
                state_text(c["state"]),
                day(c.get("planned_start")),
                day(c.get("planned_go_live")),
                day(c.get("baseline_go_live")),
                day(c.get("actual_go_live")),
                "" if slip is None else (f"+{slip}" if slip > 0 else str(slip)),
            ]
        )
    return rows


def gantt_description(app: str, cells: Sequence[Cell], text: ChartText = DANISH) -> str:
    live = sum(1 for c in cells if c["state"] == RolloutState.live)
    slipped = sum(1 for c in cells if (_slip(c) or 0) > 0)
    go_lives = [c["planned_go_live"] for c in cells if c.get("planned_go_live")]
    last = text.day(max(go_lives)) if go_lives else _("ingen")
    return _(
        "Gantt-diagram for %(app)s: %(num)d afdelinger, %(live)d i drift, %(slipped)d skredet "
        "ud over den oprindelige idriftsættelse; sidste planlagte idriftsættelse %(last)s. "
        "Tallene står i tabellen under diagrammet.",
        app=app,
        num=len(cells),
        live=live,
        slipped=slipped,
        last=last,
    )


# --- coverage: the share of the municipality's users live over time ------------------------------


@dataclass(frozen=True)
class CoveragePoint:
    day: date
    planned: float  # share (0–1) of users live by the plan on this day
    actual: float | None  # share actually live; None after today (not known yet)


def _planned_day(c: Cell) -> date | None:
    # A live cell counts in the plan from its planned go-live, or when it went live if unplanned.
    value: date | None = c.get("planned_go_live") or c.get("actual_go_live")
    return value


def coverage_series(cells: Sequence[Cell], *, total_users: int, today: date) -> list[CoveragePoint]:
    """The share of the municipality's users live, planned and actual, on every day either changes
    (and today). With several apps a user counts once per app: the share is of users × apps, and
    a department where an app is not relevant leaves its users out of that app's count."""
    apps = {c["project"] for c in cells}
    left_out = sum(c.get("users") or 0 for c in cells if c["state"] == RolloutState.not_relevant)
    total = max(total_users * len(apps) - left_out, 0)
    counted = [c for c in cells if c["state"] != RolloutState.not_relevant]
    days = {today}
    for c in counted:
        for key in ("planned_start", "planned_go_live", "actual_go_live"):
            if c.get(key):
                days.add(c[key])
    points = []
    for day in sorted(days):
        planned = sum(
            c.get("users") or 0 for c in counted if (d := _planned_day(c)) is not None and d <= day
        )
        actual = sum(
            c.get("users") or 0
            for c in counted
            if c.get("actual_go_live") is not None and c["actual_go_live"] <= day
        )
        points.append(
            CoveragePoint(
                day,
                planned / total if total else 0.0,
                (actual / total if total else 0.0) if day <= today else None,
            )
        )
    return points


def share_text(share: float | None) -> str:
    """0.425 -> "42,5 %" (one decimal, Danish comma); None -> ""."""
    if share is None:
        return ""
    return f"{share * 100:.1f}".replace(".", ",") + " %"


def coverage_figure(
    cells: Sequence[Cell],
    *,
    total_users: int,
    today: date,
    title: str,
    text: ChartText = DANISH,
) -> Figure:
    """Planned and actual share of users live as two step lines: planned dashed with circles,
    actual solid with squares, each named in the legend and at its last point."""
    points = coverage_series(cells, total_users=total_users, today=today)
    data = []
    for name, values, dash, symbol, colour in (
        (_("Planlagt"), [p.planned for p in points], "dash", "circle", PLANNED_LINE),
        (_("Faktisk"), [p.actual for p in points], "solid", "square", ACTUAL_LINE),
    ):
        shown = [(p.day, v) for p, v in zip(points, values, strict=True) if v is not None]
        labels = [""] * len(shown)
        if shown:
            labels[-1] = f"{escape(name)} {share_text(shown[-1][1])}"
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": escape(name),
                "x": [d.isoformat() for d, _v in shown],
                "y": [v for _d, v in shown],
                "text": labels,
                "textposition": "top left",
                "line": {"color": colour, "width": 3, "dash": dash, "shape": "hv"},
                "marker": {"symbol": symbol, "size": 9, "color": colour},
                "hovertext": [
                    f"{text.day(d)}<br>{escape(name)}: {share_text(v)}" for d, v in shown
                ],
                "hoverinfo": "text",
            }
        )
    line, note = today_marks(today, text)
    layout = _layout(
        text,
        height=420,
        title={"text": escape(title), "x": 0, "xanchor": "left", "font": {"size": 16}},
        margin={"l": 8, "r": 24, "t": 80, "b": 40, "pad": 4},
        xaxis={"type": "date", "gridcolor": GRID, "fixedrange": True, "automargin": True},
        yaxis={
            "title": {"text": escape(_("Andel af brugerne i drift"))},
            "range": [0, 1.05],
            "tickformat": ".0%",
            "gridcolor": GRID,
            "zerolinecolor": MUTED,
            "fixedrange": True,
            "automargin": True,
        },
        hovermode="closest",
        shapes=[line],
        annotations=[note],
    )
    return _figure(data, layout)


def coverage_columns() -> list[str]:
    return [_("Dato"), _("Planlagt andel i drift"), _("Faktisk andel i drift")]


def coverage_table(points: Iterable[CoveragePoint], text: ChartText = DANISH) -> list[list[str]]:
    return [[text.day(p.day), share_text(p.planned), share_text(p.actual)] for p in points]


def coverage_description(
    points: Sequence[CoveragePoint], today: date, text: ChartText = DANISH
) -> str:
    now = next((p for p in points if p.day == today), None)
    last = points[-1] if points else None
    return _(
        "Kurvediagram over andelen af kommunens brugere i drift, planlagt og faktisk: i dag "
        "%(actual)s faktisk mod %(planned)s planlagt; efter planen %(final)s den %(day)s. "
        "Tallene står i tabellen under diagrammet.",
        actual=share_text(now.actual if now else 0.0),
        planned=share_text(now.planned if now else 0.0),
        final=share_text(last.planned if last else 0.0),
        day=text.day(last.day) if last else "",
    )
