"""The overview page: filters in the URL drive charts and table; text alternatives; no inline JS."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import plotly
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col

from portfolio import charts
from portfolio.domain import ChangeSource
from portfolio.i18n import chart_text
from portfolio.overview.services import month_ends
from portfolio.projects.models import Project, StatusUpdate
from portfolio.static_assets import PLOTLY_MAP_STYLE_ID

EVIL = '<a href="javascript:alert(1)">x</a>'
CHART_IDS = [
    "chart-traffic-light",
    "chart-scope",
    "chart-trend",
    "chart-department",
    "chart-phase",
    "chart-budget-scope",
    "chart-budget-department",
    "chart-timeline",
]


def _figures(html: str) -> dict[str, dict[str, Any]]:
    blocks = re.findall(r'<script type="application/json" id="([a-z-]+)-data">(.*?)</script>', html)
    return {chart_id: json.loads(text) for chart_id, text in blocks}


def _table_rows(html: str) -> list[str]:
    """Project names in the table under the charts, in order."""
    table = html.split('<h2 id="projekter">', 1)[1]
    return re.findall(r'<th scope="row"><a href="/projekter/\d+">([^<]+)</a>', table)


def _trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in figure["data"] if t.get("name") == name)


def _portfolio(make_project: Callable[..., Project]) -> None:
    make_project(
        name="Rød national",
        scope="national",
        status="red",
        department="Borgerservice",
        budget_dkk=1_250_000,
        start_date=date(2026, 1, 1),
        end_date=date(2027, 6, 30),
    )
    make_project(name="Grøn national", scope="national", status="green", budget_dkk=300_000)
    make_project(
        name="Rød lokal",
        scope="department",
        status="red",
        department="Skoler & Uddannelser",
        start_date=date(2025, 8, 1),
        end_date=date(2026, 12, 31),
    )
    make_project(name="Gul fælles", scope="municipal", status="yellow", phase="implementation")


def test_the_front_page_is_the_overview(client: FlaskClient, make_project) -> None:
    make_project(name="Bilagsapp")
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/overblik/"
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "<h1>Overblik over porteføljen</h1>" in html
    assert re.search(r'href="/overblik/" aria-current="page">Overblik</a>', html)
    # first in the menu
    nav = html.split('<ul class="nav">', 1)[1]
    assert nav.index(">Overblik<") < nav.index(">Projekter<")
    assert _table_rows(html) == ["Bilagsapp"]


def test_filters_in_the_url_drive_the_charts_and_the_table(
    client: FlaskClient, make_project
) -> None:
    _portfolio(make_project)
    html = client.get("/overblik/").get_data(as_text=True)
    assert _table_rows(html) == ["Grøn national", "Gul fælles", "Rød lokal", "Rød national"]
    figures = _figures(html)
    assert sorted(figures) == sorted(CHART_IDS)
    assert _trace(figures["chart-scope"], "Rød")["x"] == [1, 0, 1]

    html = client.get("/overblik/?scope=national&status=red").get_data(as_text=True)
    assert _table_rows(html) == ["Rød national"]
    assert "1 projekt, samlet budget 1.250.000 kr." in html
    # the filter form shows what is chosen, and submits to the overview
    assert re.search(r'name="scope" value="national" checked', html)
    assert re.search(r'name="status" value="red" checked', html)
    assert 'action="/overblik/"' in html
    figures = _figures(html)
    scope = figures["chart-scope"]
    assert [t["name"] for t in scope["data"]] == ["Rød"]
    assert scope["data"][0]["x"] == [1, 0, 0]
    department = figures["chart-department"]
    assert department["data"][0]["y"] == ["Borgerservice"]
    lights = {t["name"]: t["x"][0] for t in figures["chart-traffic-light"]["data"]}
    assert lights == {"Rød": 1, "Gul": 0, "Grøn": 0, "Ingen status": 0}
    budget = figures["chart-budget-scope"]
    assert budget["data"][0]["x"] == [1_250_000, 0, 0]
    timeline = figures["chart-timeline"]
    assert timeline["layout"]["yaxis"]["ticktext"] == ["NATIONALT SKAL-PROJEKT", "Rød national"]


def test_free_text_and_sorting_apply_to_the_overview_table(
    client: FlaskClient, make_project
) -> None:
    _portfolio(make_project)
    html = client.get("/overblik/?q=lokal").get_data(as_text=True)
    assert _table_rows(html) == ["Rød lokal"]
    html = client.get("/overblik/?sort=budget_dkk&dir=desc").get_data(as_text=True)
    assert _table_rows(html)[:2] == ["Rød national", "Grøn national"]
    assert 'aria-sort="descending"' in html
    html = client.get("/overblik/?q=findes-ikke").get_data(as_text=True)
    assert "Ingen projekter matcher filtrene." in html
    assert _figures(html) == {}


def test_a_segment_in_the_data_table_links_to_its_filter(client: FlaskClient, make_project) -> None:
    _portfolio(make_project)
    html = client.get("/overblik/?kind=strategic").get_data(as_text=True)
    # the filtered URL a click on the segment leads to, for keyboard and screen-reader users
    assert 'href="/overblik/?kind=strategic&amp;scope=national&amp;status=red">1</a>' in html
    figure = _figures(html)["chart-scope"]
    assert _trace(figure, "Rød")["customdata"][0] == "scope=national&status=red"


def test_every_chart_has_a_text_alternative(client: FlaskClient, make_project) -> None:
    _portfolio(make_project)
    html = client.get("/overblik/").get_data(as_text=True)
    charts_ = re.findall(r'<div class="chart" id="([a-z-]+)" role="img" aria-label="([^"]+)"', html)
    assert [chart_id for chart_id, _ in charts_] == CHART_IDS
    labels = dict(charts_)
    assert "Nationalt skal-projekt: 2 (Rød 1, Grøn 1)" in labels["chart-scope"]
    assert "Rød: 2 (50 %)" in labels["chart-traffic-light"]
    # and a real table of the same numbers under each chart
    summaries = re.findall(r"<summary>Vis som tabel<span[^>]*>: ([^<]+)</span></summary>", html)
    assert len(summaries) == len(CHART_IDS)
    assert "Trafiklys" in summaries
    assert html.count('<details class="chart-table">') == len(CHART_IDS)
    assert "1.250.000 kr." in html


def test_no_inline_script(client: FlaskClient, make_project) -> None:
    _portfolio(make_project)
    response = client.get("/overblik/")
    html = response.get_data(as_text=True)
    tags = re.findall(r"<script\b[^>]*>", html)
    assert tags
    for tag in tags:
        src = re.search(r'\ssrc="([^"]+)"', tag)
        assert (src and src.group(1).startswith("/static/")) or 'type="application/json"' in tag, (
            tag
        )
    assert "/static/vendor/plotly.min.js" in html
    assert "/static/js/overview.js" in html
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers
    assert re.search(r"\sstyle=", html) is None
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # plotly.js's stylesheet comes as a file, so it needs no inline <style>
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in html
    with client.get("/static/css/plotly.css") as css:
        assert css.status_code == 200


def test_plotly_skips_its_map_styles_when_the_marker_element_is_there() -> None:
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert f'document.getElementById("{PLOTLY_MAP_STYLE_ID}")' in bundle.read_text()


def test_user_text_cannot_become_a_link(client: FlaskClient, make_project) -> None:
    make_project(
        name=EVIL,
        department=EVIL,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    html = client.get("/overblik/?group=department").get_data(as_text=True)
    assert EVIL not in html
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;" in html  # the table
    figures = _figures(html)
    escaped = '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;'
    assert escaped in figures["chart-timeline"]["layout"]["yaxis"]["ticktext"]
    assert figures["chart-department"]["data"][0]["y"] == [escaped]
    for figure in figures.values():
        assert "<a" not in json.dumps(figure, ensure_ascii=False)


def test_the_timeline_groups_by_scope_or_department(client: FlaskClient, make_project) -> None:
    _portfolio(make_project)
    html = client.get("/overblik/?status=red").get_data(as_text=True)
    ticks = _figures(html)["chart-timeline"]["layout"]["yaxis"]["ticktext"]
    assert ticks == ["NATIONALT SKAL-PROJEKT", "Rød national", "AFDELINGSPROJEKT", "Rød lokal"]
    assert 'href="/overblik/?status=red&amp;group=department">Afdeling</a>' in html

    html = client.get("/overblik/?status=red&group=department").get_data(as_text=True)
    ticks = _figures(html)["chart-timeline"]["layout"]["yaxis"]["ticktext"]
    assert ticks == ["BORGERSERVICE", "Rød national", "SKOLER &amp; UDDANNELSER", "Rød lokal"]
    # applying other filters keeps the grouping
    assert '<input type="hidden" name="group" value="department">' in html
    # an unknown grouping falls back to project type
    html = client.get("/overblik/?group=evil").get_data(as_text=True)
    assert (
        "NATIONALT SKAL-PROJEKT" in _figures(html)["chart-timeline"]["layout"]["yaxis"]["ticktext"]
    )


def test_trend_and_change_come_from_the_status_history(
    app: Flask, client: FlaskClient, session: Session, make_project
) -> None:
    project = make_project(name="Nyt ESDH", status="red")
    # created green long ago; turned red just now
    now = datetime.now(UTC)
    session.execute(
        sa.update(StatusUpdate)
        .where(col(StatusUpdate.project_id) == project.id, col(StatusUpdate.field) == "status")
        .values(changed_at=now - timedelta(days=400), new_value="green")
    )
    session.add(
        StatusUpdate(
            project_id=project.id,
            changed_at=now,
            changed_by="test",
            field="status",
            old_value="green",
            new_value="red",
            source=ChangeSource.web,
        )
    )
    session.commit()
    today = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    last = month_ends(today)[-1].strftime("%d-%m-%Y")

    html = client.get("/overblik/").get_data(as_text=True)
    figures = _figures(html)
    lights = figures["chart-traffic-light"]["layout"]["yaxis"]["categoryarray"]
    assert lights[0] == f"Rød: 1 (100 %)<br>+1 siden {last}"
    assert lights[2] == f"Grøn: 0 (0 %)<br>−1 siden {last}"
    trend = figures["chart-trend"]
    red, green = _trace(trend, "Rød"), _trace(trend, "Grøn")
    assert red["x"][-2:] == [last, "I dag"]
    assert red["y"] == [0] * 12 + [1]
    assert green["y"] == [1] * 12 + [0]
    assert f'<th scope="col" class="num">Ændring siden {last}</th>' in html


def test_the_chart_words_in_danish_are_the_charts_defaults(app: Flask) -> None:
    with app.test_request_context("/overblik/"):
        text = chart_text()
    assert text == charts.DANISH


def test_archived_projects_stay_out_unless_asked_for(
    client: FlaskClient, session: Session, make_project
) -> None:
    make_project(name="Aktiv")
    old = make_project(name="Arkiveret")
    old.archived = True
    session.add(old)
    session.commit()
    assert _table_rows(client.get("/overblik/").get_data(as_text=True)) == ["Aktiv"]
    html = client.get("/overblik/?archived=1").get_data(as_text=True)
    assert _table_rows(html) == ["Arkiveret"]
    assert '<input type="hidden" name="archived" value="1">' in html


def test_the_project_list_keeps_its_filters_after_the_move_to_a_shared_form(
    client: FlaskClient, make_project
) -> None:
    _portfolio(make_project)
    html = client.get("/projekter/?status=red").get_data(as_text=True)
    assert 'action="/projekter/"' in html
    assert re.search(r'name="status" value="red" checked', html)
    assert "Vis arkiverede" in html  # the list, unlike the overview, offers the archive
    assert "2 projekter" in html
