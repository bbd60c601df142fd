"""The benefits' charts, pure: figures per year (expected against realised, one unit per chart:
kroner and hours are never added) and one benefit's measurements against its three targets,
each with the table and the sentence that stand in for it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _

from portfolio.charts import DANISH, GRID, INK, MUTED, ChartText, Figure, _figure, _layout, escape
from portfolio.domain import Assessment, BenefitType, label

# Beside the word, so an assessment never rests on colour alone.
ASSESSMENT_SYMBOLS = {
    Assessment.not_begun: "○",
    Assessment.underway: "◔",
    Assessment.partly: "◑",
    Assessment.realised: "●",
}
BEHIND_SYMBOL = "⚠"

# The three targets differ in dash and in the label at their end, not only in colour.
TARGETS = ("target_pessimistic", "target_likely", "target_optimistic")
TARGET_DASH = {"target_pessimistic": "dot", "target_likely": "dash", "target_optimistic": "dashdot"}
TARGET_COLOURS = {
    "target_pessimistic": "#8a5a00",
    "target_likely": "#2f6fb0",
    "target_optimistic": "#1e7b3a",
}
MEASURED_LINE = INK
EXPECTED_COLOUR = "#9cc3e6"
REALISED_COLOUR = "#1e7b3a"


def target_label(name: str) -> str:
    return {
        "target_pessimistic": _("Pessimistisk mål"),
        "target_likely": _("Sandsynligt mål"),
        "target_optimistic": _("Optimistisk mål"),
    }[name]


def assessment_text(assessment: Assessment | str | None) -> str:
    """ "◑ Delvist realiseret": the assessment's symbol and word; "" for none."""
    if assessment is None:
        return ""
    grade = Assessment(assessment)
    return f"{ASSESSMENT_SYMBOLS[grade]} {label(grade)}"


def pct_text(pct: float | None, capped: bool = False) -> str:
    """42.5 -> "43 %"; capped -> "over 200 %" (or "under -200 %"); None -> the sentence."""
    if pct is None:
        return _("kan ikke beregnes endnu")
    if capped:
        return (
            _("over %(pct)s %%", pct=f"{pct:.0f}")
            if pct > 0
            else _("under %(pct)s %%", pct=f"{pct:.0f}")
        )
    return f"{pct:.0f} %".replace("-", "−")


def unit_of(kind: BenefitType) -> str:
    return _("kr./år") if kind == BenefitType.economic else _("timer/år")


# --- expected against realised, per year and per department -------------------------------------


@dataclass(frozen=True)
class GainFigure:
    """One benefit type's gains in one department and year, in the type's unit (kr. or hours
    per year, measured from the baseline towards the target). A time benefit's kroner are
    the part of its hours that has a worth per hour. `realised` is None for a year to come."""

    type: BenefitType
    department: str
    year: int
    expected: float
    realised: float | None
    expected_dkk: float | None = None
    realised_dkk: float | None = None


@dataclass(frozen=True)
class GainSeries:
    categories: list[str]
    expected: list[float]
    realised: list[float | None]
    expected_dkk: list[float | None]
    realised_dkk: list[float | None]


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else a + b


def gain_series(figures: Iterable[GainFigure], kind: BenefitType, *, by: str) -> GainSeries:
    """One type's gains summed per year (by="year") or per department (by="department", the
    figures given being one year's)."""
    sums: dict[str, list[float | None]] = {}
    for f in figures:
        if f.type != kind:
            continue
        key = str(f.year) if by == "year" else f.department
        row = sums.setdefault(key, [0.0, None, None, None])
        row[0] = _add(row[0], f.expected)
        row[1] = _add(row[1], f.realised)
        row[2] = _add(row[2], f.expected_dkk)
        row[3] = _add(row[3], f.realised_dkk)
    keys = sorted(sums)
    return GainSeries(
        categories=keys,
        expected=[float(sums[k][0] or 0.0) for k in keys],
        realised=[sums[k][1] for k in keys],
        expected_dkk=[sums[k][2] for k in keys],
        realised_dkk=[sums[k][3] for k in keys],
    )


def amount_text(value: float | None, kind: BenefitType, text: ChartText = DANISH) -> str:
    if value is None:
        return ""
    if kind == BenefitType.economic:
        return text.money(round(value))
    hours = _("timer")
    return f"{text.number(round(value))} {hours}"


def gains_figure(series: GainSeries, kind: BenefitType, text: ChartText = DANISH) -> Figure:
    """Expected (hatched, light) and realised (solid) side by side for each category, each bar
    with its figure written on it, the unit on the axis. The page gives the title."""
    data: list[dict[str, Any]] = []
    for name, values, colour, pattern in (
        (_("Forventet"), series.expected, EXPECTED_COLOUR, "/"),
        (_("Realiseret"), series.realised, REALISED_COLOUR, ""),
    ):
        shown = [v if v is not None else None for v in values]
        data.append(
            {
                "type": "bar",
                "name": escape(name),
                "x": [escape(c) for c in series.categories],
                "y": shown,
                "text": [amount_text(v, kind, text) for v in shown],
                "textposition": "outside",
                "cliponaxis": False,
                "marker": {
                    "color": colour,
                    "line": {"color": INK, "width": 1},
                    "pattern": {"shape": pattern, "fgcolor": INK},
                },
                "hovertext": [
                    f"{escape(c)}<br>{escape(name)}: {amount_text(v, kind, text)}"
                    for c, v in zip(series.categories, shown, strict=True)
                ],
                "hoverinfo": "text",
            }
        )
    layout = _layout(
        text,
        height=380,
        barmode="group",
        margin={"l": 8, "r": 24, "t": 48, "b": 40, "pad": 4},
        xaxis={"type": "category", "fixedrange": True, "automargin": True},
        yaxis={
            "title": {"text": escape(unit_of(kind))},
            "gridcolor": GRID,
            "zerolinecolor": MUTED,
            "fixedrange": True,
            "automargin": True,
            "rangemode": "tozero",
        },
        hovermode="closest",
    )
    return _figure(data, layout)


def gains_columns(kind: BenefitType, first: str) -> list[str]:
    columns = [first, _("Forventet (%(unit)s)", unit=unit_of(kind))]
    columns.append(_("Realiseret (%(unit)s)", unit=unit_of(kind)))
    if kind == BenefitType.time:
        columns += [_("Forventet værdi (kr./år)"), _("Realiseret værdi (kr./år)")]
    return columns


def gains_table(series: GainSeries, kind: BenefitType, text: ChartText = DANISH) -> list[list[str]]:
    rows = []
    for i, category in enumerate(series.categories):
        row = [
            category,
            amount_text(series.expected[i], kind, text),
            amount_text(series.realised[i], kind, text) or "–",
        ]
        if kind == BenefitType.time:
            row += [
                amount_text(series.expected_dkk[i], BenefitType.economic, text) or "–",
                amount_text(series.realised_dkk[i], BenefitType.economic, text) or "–",
            ]
        rows.append(row)
    return rows


def gains_description(series: GainSeries, kind: BenefitType, text: ChartText = DANISH) -> str:
    parts = [
        _(
            "%(category)s: forventet %(expected)s, realiseret %(realised)s",
            category=c,
            expected=amount_text(e, kind, text),
            realised=amount_text(r, kind, text) or _("ikke målt"),
        )
        for c, e, r in zip(series.categories, series.expected, series.realised, strict=True)
    ]
    return _(
        "Søjlediagram over forventede og realiserede gevinster i %(unit)s. %(parts)s. "
        "Tallene står i tabellen under diagrammet.",
        unit=unit_of(kind),
        parts="; ".join(parts) or _("ingen gevinster"),
    )


# --- one benefit's measurements against its targets ----------------------------------------------


@dataclass(frozen=True)
class BenefitPlan:
    """What the chart needs of a benefit: its baseline, targets and dates, its unit."""

    unit: str
    baseline_value: float | None
    baseline_date: date | None
    target_pessimistic: float | None
    target_likely: float | None
    target_optimistic: float | None
    full_effect_on: date | None


def value_text(value: float | None, unit: str | None, text: ChartText = DANISH) -> str:
    """3800.0 -> "3.800 timer/år"; 2.25 -> "2,3 …"; None -> ""."""
    if value is None:
        return ""
    # halves round up, as danish_number does (2,25 -> 2,3)
    tenths = int(Decimal(str(abs(value))).scaleb(1).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    whole, frac = divmod(tenths, 10)
    number = ("-" if value < 0 and tenths else "") + text.number(whole)
    if frac:
        number += f"{text.separators[0]}{frac}"
    return f"{number} {unit}" if unit else number


@dataclass(frozen=True)
class Point:
    """One measurement: its day, its value and its comment (user text: escaped for plotly)."""

    day: date
    value: float
    comment: str | None = None


def measurement_figure(
    plan: BenefitPlan, points: Sequence[Point], text: ChartText = DANISH
) -> Figure:
    """The measurements as a solid line with circles (starting at the baseline), and the
    pessimistic, likely and optimistic targets as level lines that differ in dash, each
    named in the legend and at its end. The page gives the title."""
    days = [p.day for p in points]
    if plan.baseline_date:
        days.append(plan.baseline_date)
    if plan.full_effect_on:
        days.append(plan.full_effect_on)
    start, end = (min(days), max(days)) if days else (None, None)
    series = list(points)
    if plan.baseline_value is not None and plan.baseline_date is not None:
        series = [Point(plan.baseline_date, plan.baseline_value, _("Nulpunkt")), *series]
    measured = _("Målt")
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": escape(measured),
            "x": [p.day.isoformat() for p in series],
            "y": [p.value for p in series],
            "line": {"color": MEASURED_LINE, "width": 3},
            "marker": {"symbol": "circle", "size": 9, "color": MEASURED_LINE},
            "hovertext": [
                "<br>".join(
                    part
                    for part in (
                        text.day(p.day),
                        escape(value_text(p.value, plan.unit, text)),
                        escape(p.comment or ""),
                    )
                    if part
                )
                for p in series
            ],
            "hoverinfo": "text",
        }
    ]
    annotations = []
    for name in TARGETS:
        value = getattr(plan, name)
        if value is None or start is None or end is None:
            continue
        words = f"{target_label(name)}: {value_text(value, plan.unit, text)}"
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": escape(target_label(name)),
                "x": [start.isoformat(), end.isoformat()],
                "y": [value, value],
                "line": {"color": TARGET_COLOURS[name], "width": 2, "dash": TARGET_DASH[name]},
                "hovertext": [escape(words)] * 2,
                "hoverinfo": "text",
            }
        )
        annotations.append(
            {
                "xref": "x",
                "yref": "y",
                "x": end.isoformat(),
                "y": value,
                "xanchor": "left",
                "text": escape(target_label(name)),
                "showarrow": False,
                "font": {"size": 12, "color": TARGET_COLOURS[name]},
            }
        )
    layout = _layout(
        text,
        height=400,
        margin={"l": 8, "r": 150, "t": 48, "b": 40, "pad": 4},
        xaxis={"type": "date", "gridcolor": GRID, "fixedrange": True, "automargin": True},
        yaxis={
            "title": {"text": escape(plan.unit)},
            "gridcolor": GRID,
            "zerolinecolor": MUTED,
            "fixedrange": True,
            "automargin": True,
        },
        hovermode="closest",
        annotations=annotations,
    )
    return _figure(data, layout)


def measurement_columns() -> list[str]:
    return [_("Dato"), _("Målt værdi"), *(target_label(n) for n in TARGETS)]


def measurement_table(
    plan: BenefitPlan, points: Iterable[Point], text: ChartText = DANISH
) -> list[list[str]]:
    targets = [value_text(getattr(plan, n), plan.unit, text) or "–" for n in TARGETS]
    rows = []
    if plan.baseline_value is not None and plan.baseline_date is not None:
        baseline = value_text(plan.baseline_value, plan.unit, text)
        note = _("nulpunkt")
        rows.append([text.day(plan.baseline_date), f"{baseline} ({note})", *targets])
    for p in points:
        rows.append([text.day(p.day), value_text(p.value, plan.unit, text), *targets])
    return rows


def measurement_description(
    plan: BenefitPlan, points: Sequence[Point], text: ChartText = DANISH
) -> str:
    latest = points[-1] if points else None
    return _(
        "Kurvediagram over målingerne mod de tre mål: nulpunkt %(baseline)s, seneste måling "
        "%(latest)s; pessimistisk mål %(pessimistic)s, sandsynligt %(likely)s, optimistisk "
        "%(optimistic)s. Tallene står i tabellen under diagrammet.",
        baseline=value_text(plan.baseline_value, plan.unit, text) or "–",
        latest=(
            f"{value_text(latest.value, plan.unit, text)} ({text.day(latest.day)})"
            if latest
            else _("ingen endnu")
        ),
        pessimistic=value_text(plan.target_pessimistic, plan.unit, text) or "–",
        likely=value_text(plan.target_likely, plan.unit, text) or "–",
        optimistic=value_text(plan.target_optimistic, plan.unit, text) or "–",
    )
