"""The board-meeting pack as one self-contained HTML file, and the context its templates share
with the web page (templates/meetings/_pack.html)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from markupsafe import Markup

from portfolio.charts import safe_figure_json
from portfolio.domain import FIELD_LABELS
from portfolio.meetings.charts import PackChart, RolloutChart, finance_charts, rollout_charts
from portfolio.meetings.docx_layout import LONG_TOKEN
from portfolio.meetings.finance_item import (
    describe_measurement,
    describe_movement,
    movement_title,
    pool_figures,
)
from portfolio.meetings.pack import (
    Pack,
    change_title,
    describe_change,
    review_summary,
    review_title,
)
from portfolio.meetings.rollout_item import describe_rollout_change, rollout_change_title
from portfolio.static_assets import VENDOR

# Inlined into <style>: the app's own stylesheet (the pack's markup uses its classes).
STYLESHEETS = ("css/app.css",)
_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
_TAG = re.compile(r"(<[^>]*>)")
_RAW = re.compile(r"(<(?:script|style)\b.*?</(?:script|style)\s*>)", re.IGNORECASE | re.DOTALL)
_TOKEN = re.compile(r"\S+")


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


def project_href(project_id: int, embedded: bool) -> str | None:
    """Where a project's name in the pack links: the project's page in the app. Relative on
    the meeting page (embedded); absolute in a file made on the web, which is opened from disk;
    none in a file made on the command line, which knows no address."""
    if not has_request_context():
        return None
    return url_for("projects.detail", project_id=project_id, _external=not embedded)


# The pack is the municipality's Danish document of record: on the meeting page too, whatever
# language the app is read in, it is written in Danish and marked lang="da" (WCAG 3.1.2).
PACK_LANGUAGE = "da"


def in_language(language: str, caller: Callable[[], str]) -> Markup:
    """`{% call in_language("da") %}…{% endcall %}`: the block's words in that language."""
    with force_locale(language):
        return Markup(caller())  # noqa: S704 - the block's own autoescaped output


# What _pack.html needs besides pack, charts and controls.
PACK_TEMPLATE_HELPERS: dict[str, Any] = {
    "in_language": in_language,
    "pack_language": PACK_LANGUAGE,
    "project_href": project_href,
    "change_title": change_title,
    "describe_change": describe_change,
    "field_labels": FIELD_LABELS,
    "rollout_change_title": rollout_change_title,
    "describe_rollout_change": describe_rollout_change,
    "movement_title": movement_title,
    "describe_movement": describe_movement,
    "describe_measurement": describe_measurement,
    "pool_figures": pool_figures,
    "review_title": review_title,
    "review_summary": review_summary,
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


def breakable_long_tokens(html: str) -> str:
    """The body's text with every token longer than LONG_TOKEN characters in a
    <span class="long-token">, which the pack's stylesheet lets break anywhere (an address, a
    formula) rather than push a table, whose columns are as wide as their longest word, past
    the paper's edge. Tags, the inlined scripts and styles (no "</" inside them: see
    _inline_script) and entities are left as they are."""
    start = html.find("<body")
    if start < 0:
        return html
    parts = _RAW.split(html[start:])
    for index in range(0, len(parts), 2):  # between the scripts and styles
        pieces = _TAG.split(parts[index])
        for at in range(0, len(pieces), 2):  # the text between tags
            if len(pieces[at]) > LONG_TOKEN:
                pieces[at] = _TOKEN.sub(_wrap_long, pieces[at])
        parts[index] = "".join(pieces)
    return html[:start] + "".join(parts)


def _wrap_long(match: re.Match[str]) -> str:
    token = match.group()
    if len(unescape(token)) <= LONG_TOKEN:
        return token
    return f'<span class="long-token">{token}</span>'


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


def render_pack_for_print(pack: Pack, charts: Sequence[PackChart]) -> str:
    """The standalone HTML as Chromium prints it to PDF: on paper a table cannot scroll, so an
    over-long token may break anywhere instead (breakable_long_tokens)."""
    return breakable_long_tokens(render_pack_html(pack, charts))
