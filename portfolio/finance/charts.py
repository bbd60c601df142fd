"""The pool's waterfall, pure: a pool's ledger figures in, a plotly figure and the table behind
it out. Deposits → grants → releases → returns → corrections → the balance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from portfolio.charts import DANISH, GRID, INK, MUTED, ChartText, Figure, _figure, _layout, escape
from portfolio.finance.rules import LedgerFigures

# Never colour alone: every bar carries its signed amount as text, and money out is hatched.
IN_COLOUR = "#1e7b3a"
OUT_COLOUR = "#b42318"
TOTAL_COLOUR = "#2f6fb0"


@dataclass(frozen=True)
class Step:
    label: str
    amount: int  # signed: what the step does to the balance; the last step is the balance
    total: bool = False


def waterfall_steps(figures: LedgerFigures) -> list[Step]:
    """The ledger as steps from nothing to the balance; every kind is a step, also at 0 kr."""
    return [
        Step(_("Indskud"), figures.deposited),
        Step(_("Bevillinger"), -figures.granted),
        Step(_("Frigivne bevillinger"), figures.released),
        Step(_("Tilbageløb"), figures.returned),
        Step(_("Rettelser"), figures.corrected),
        Step(_("Saldo"), figures.balance, total=True),
    ]


def signed_money(amount: int, text: ChartText = DANISH) -> str:
    """+600.000 kr., −350.000 kr. or 0 kr."""
    if amount > 0:
        return f"+{text.money(amount)}"
    if amount < 0:
        return f"−{text.money(-amount)}"  # a real minus sign, read aloud as "minus"
    return text.money(0)


def waterfall_figure(figures: LedgerFigures, *, title: str, text: ChartText = DANISH) -> Figure:
    steps = waterfall_steps(figures)
    labels = [escape(s.label) for s in steps]
    shown = [text.money(s.amount) if s.total else signed_money(s.amount, text) for s in steps]
    tallest = max((abs(s.amount) for s in steps), default=0)
    data: list[dict[str, Any]] = [
        {
            "type": "waterfall",
            "orientation": "v",
            "name": escape(title),
            "x": labels,
            "y": [s.amount for s in steps],
            "measure": ["total" if s.total else "relative" for s in steps],
            "text": [escape(t) for t in shown],
            # Inside a tall bar (a fall's label outside would sit on the axis labels), above a
            # short one, so that a step of 0 kr. still says so.
            "textposition": [
                "inside" if abs(s.amount) * 10 > tallest else "outside" for s in steps
            ],
            "cliponaxis": False,
            "hovertext": [f"{lab}: {escape(t)}" for lab, t in zip(labels, shown, strict=True)],
            "hoverinfo": "text",
            "connector": {"line": {"color": MUTED, "width": 1, "dash": "dot"}},
            "increasing": {"marker": {"color": IN_COLOUR, "line": {"color": INK, "width": 1}}},
            "decreasing": {"marker": {"color": OUT_COLOUR, "line": {"color": INK, "width": 1}}},
            "totals": {"marker": {"color": TOTAL_COLOUR, "line": {"color": INK, "width": 1}}},
        }
    ]
    layout = _layout(
        text,
        height=380,
        showlegend=False,
        title={"text": escape(title), "x": 0, "xanchor": "left", "font": {"size": 16}},
        margin={"l": 8, "r": 24, "t": 70, "b": 8, "pad": 4},
        xaxis={"type": "category", "fixedrange": True, "automargin": True},
        yaxis={
            "title": {"text": escape(_("Kroner"))},
            "tickformat": ",d",
            "gridcolor": GRID,
            "zerolinecolor": MUTED,
            "fixedrange": True,
            "automargin": True,
        },
    )
    return _figure(data, layout)


def waterfall_columns() -> list[str]:
    return [_("Trin"), _("Beløb"), _("Saldo efter trinnet")]


def waterfall_table(figures: LedgerFigures, text: ChartText = DANISH) -> list[list[str]]:
    """The waterfall's text alternative: each step's signed amount and the running balance."""
    rows = []
    running = 0
    for step in waterfall_steps(figures):
        if step.total:
            rows.append([step.label, text.money(step.amount), text.money(step.amount)])
            continue
        running += step.amount
        rows.append([step.label, signed_money(step.amount, text), text.money(running)])
    return rows


def waterfall_description(name: str, figures: LedgerFigures, text: ChartText = DANISH) -> str:
    return _(
        "Vandfaldsdiagram for %(name)s: indskud %(deposited)s, bevillinger %(granted)s, "
        "frigivne bevillinger %(released)s, tilbageløb %(returned)s, rettelser %(corrected)s; "
        "saldo %(balance)s. Tallene står i tabellen under diagrammet.",
        name=name,
        deposited=text.money(figures.deposited),
        granted=text.money(figures.granted),
        released=text.money(figures.released),
        returned=text.money(figures.returned),
        corrected=signed_money(figures.corrected, text),
        balance=text.money(figures.balance),
    )
