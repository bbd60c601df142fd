"""The board-meeting pack as one self-contained HTML file, and the context its templates share
with the web page (templates/meetings/_pack.html)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup

from portfolio.charts import safe_figure_json
from portfolio.domain import FIELD_LABELS
from portfolio.meetings.charts import PackChart, RolloutChart, finance_charts, rollout_charts
from portfolio.meetings.finance_item import (
    describe_measurement,
    describe_movement,
    movement_title,
    pool_figures,
)
from portfolio.meetings.pack import Pack, change_title, describe_change
from portfolio.meetings.rollout_item import describe_rollout_change, rollout_change_title
from portfolio.static_assets import VENDOR

# Inlined into <style>: the app's own stylesheet (the pack's markup uses its classes).
STYLESHEETS = ("css/app.css",)
_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)


@dataclass(frozen=True)
class ChartView:
    """A pack chart as _pack.html draws it: the figure as JSON safe inside <script>."""

    id: str
    title: str
    description: str
    figure_json: Markup
    columns: list[str]
    rows: list[tuple[str, list[int]]]

    @classmethod
    def of(cls, chart: PackChart) -> ChartView:
        return cls(
            id=chart.id,
            title=chart.title,
            description=chart.description,
            figure_json=safe_figure_json(chart.figure),
            columns=chart.columns,
            rows=chart.rows,
        )


def chart_views(charts: Sequence[PackChart]) -> list[ChartView]:
    return [ChartView.of(chart) for chart in charts]


@dataclass(frozen=True)
class RolloutChartView:
    """A rollout Gantt as _pack.html draws it, with its table of dates."""

    id: str
    title: str
    description: str
    figure_json: Markup
    columns: list[str]
    rows: list[list[str]]

    @classmethod
    def of(cls, chart: RolloutChart) -> RolloutChartView:
        return cls(
            id=chart.id,
            title=chart.title,
            description=chart.description,
            figure_json=safe_figure_json(chart.figure),
            columns=chart.columns,
            rows=chart.rows,
        )


# What _pack.html needs besides pack, charts and controls.
PACK_TEMPLATE_HELPERS: dict[str, Any] = {
    "change_title": change_title,
    "describe_change": describe_change,
    "field_labels": FIELD_LABELS,
    "rollout_change_title": rollout_change_title,
    "describe_rollout_change": describe_rollout_change,
    "movement_title": movement_title,
    "describe_movement": describe_movement,
    "describe_measurement": describe_measurement,
    "pool_figures": pool_figures,
}


def pack_context(pack: Pack, charts: Sequence[PackChart], *, controls: bool) -> dict[str, Any]:
    """Everything templates/meetings/_pack.html reads; the meeting page passes the same."""
    return {
        "pack": pack,
        "charts": chart_views(charts),
        "rollout_charts": [RolloutChartView.of(c) for c in rollout_charts(pack)],
        "finance_charts": chart_views(finance_charts(pack)),
        "controls": controls,
        **PACK_TEMPLATE_HELPERS,
    }


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _inline_script(source: str) -> Markup:
    # "</script" would end the element early; "<\/script" means the same inside JS strings.
    return Markup(_SCRIPT_END.sub(r"<\\/\1", source))  # noqa: S704 - our own bundled code


def render_pack_html(pack: Pack, charts: Sequence[PackChart]) -> str:
    """The pack as a standalone HTML document (needs an app context): opens from disk without
    a network, draws its charts with the inlined plotly.js, prints on A4."""
    static = Path(current_app.static_folder or "")
    css = "\n".join(_read(static / name) for name in STYLESHEETS)
    return render_template(
        "meetings/pack_file.html",
        **pack_context(pack, charts, controls=False),
        stylesheet=Markup(css.replace("</", "<\\/")),  # noqa: S704 - our own stylesheet
        plotly_js=_inline_script(_read(VENDOR["plotly.min.js"]())),
    )
