"""Gevinster in the browser: the overview (behind plan first, qualitative benefits with their
assessment), a benefit's page and its chart, who may record what, the benefit form (qualitative
without numbers, stale → 409) and the project page's section; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from html import unescape
from typing import Any

import plotly.graph_objects as go
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.charts import to_json
from portfolio.db import utcnow
from portfolio.domain import Assessment, BenefitType, ChangeSource, Role
from portfolio.finance import benefit_charts as charts
from portfolio.finance.models import Benefit, BenefitMeasurement
from portfolio.finance.services import save_benefit
from portfolio.formats import danish_day, danish_number
from portfolio.projects.models import Project
from portfolio.users.models import User
from tests.conftest import count_rows, csrf_token, login, snapshot, version_on
from tests.finance_fixtures import FinanceWorld, make_finance_world

OVERVIEW = "/oekonomi/gevinster/"
HOURS = "Færre timer på bilagshåndtering"  # owner Lise Holm, behind plan
MONEY = "Lavere licensudgifter"  # owner Peter Damgaard, 100 % realised
QUALITY = "Korrekt journalisering i alle afdelinger"  # owner Peter Damgaard, qualitative


def _world(session: Session, make_project: Callable[..., Project]) -> FinanceWorld:
    return make_finance_world(session, make_project)


def _as(app: Flask, make_user: Callable[..., User], role: Role, person: str | None) -> FlaskClient:
    user = make_user(role=role, person=person)
    browser = app.test_client()
    login(browser, user.email)
    return browser


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _overview_rows(browser: FlaskClient, query: str = "") -> list[str]:
    """The overview table's rows as a reader sees them, in order."""
    response = browser.get(OVERVIEW + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = html.split('id="benefits-table"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [_text(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def _row(rows: list[str], title: str) -> str:
    found = [r for r in rows if r.startswith(title)]
    assert len(found) == 1, rows
    return found[0]


def _post(browser: FlaskClient, page: str, action: str, data: dict[str, Any]) -> Any:
    return browser.post(action, data={"csrf_token": csrf_token(browser, page), **data})


def _page(benefit: Benefit) -> str:
    return f"/oekonomi/gevinster/{benefit.id}"


def test_the_overview_lists_benefits_behind_plan_first_and_qualitative_ones_with_their_assessment(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    _world(session, make_project)
    rows = _overview_rows(client)
    assert len(rows) == 3
    behind = [r for r in rows if "Bag planen" in r]
    assert rows[: len(behind)] == behind  # those behind plan come first
    assert _row(rows, HOURS) in behind
    assert "Bag planen" not in _row(rows, MONEY)
    assert "100 %" in _row(rows, MONEY)
    quality = _row(rows, QUALITY)
    # a qualitative benefit has no indicator and no number: listed with its assessment as a
    # symbol and a word, its date and its evidence
    assert "◑ Delvist realiseret" in quality
    assert "15-01-2019" in quality
    assert "Stikprøve: 80 % korrekt." in quality
    assert "kan ikke beregnes" not in quality

    # the filters travel in the URL: only time benefits, only behind plan
    assert [r.split(" ")[0] for r in _overview_rows(client, "?type=time")] == ["Færre"]
    assert all("Bag planen" in r for r in _overview_rows(client, "?bag=1"))
    assert len(_overview_rows(client, "?bag=1")) == len(behind)
    # sorted by realisation, still behind plan first
    by_pct = _overview_rows(client, "?sort=realisation&dir=desc")
    assert by_pct[: len(behind)] == [r for r in by_pct if "Bag planen" in r]


def test_the_overview_never_adds_kroner_and_hours(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    _world(session, make_project)
    html = client.get(OVERVIEW).get_data(as_text=True)
    ids = set(re.findall(r'id="(chart-(?:economic|time)-(?:year|department))"', html))
    assert ids == {
        "chart-economic-year",
        "chart-economic-department",
        "chart-time-year",
        "chart-time-department",
    }
    economic = _figure(html, "chart-economic-year")
    time = _figure(html, "chart-time-year")
    assert "kr./år" in economic["layout"]["yaxis"]["title"]["text"]
    assert "timer/år" in time["layout"]["yaxis"]["title"]["text"]
    # the time chart's table also gives the hours' worth in kroner (400 kr. per hour)
    year = str(utcnow().date().year)
    table = html.split('id="chart-time-year"', 1)[1].split("</table>", 1)[0]
    row = _text(re.search(rf"<tr>\s*<th scope=\"row\">{year}</th>.*?</tr>", table, re.S)[0])  # type: ignore[index]
    assert row == f"{year} 1.000 timer 200 timer 400.000 kr. 80.000 kr."


def _figure(html: str, chart_id: str) -> dict[str, Any]:
    match = re.search(
        rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>', html, re.S
    )
    assert match, chart_id
    figure: dict[str, Any] = json.loads(match.group(1))
    return figure


def test_a_chief_records_a_measurement_on_their_own_benefit_and_the_overview_moves(
    app: Flask,
    session: Session,
    make_project: Callable[..., Project],
    make_user: Callable[..., User],
) -> None:
    world = _world(session, make_project)
    chief = _as(app, make_user, Role.owner, "Peter Damgaard")
    money = world.benefits[MONEY]
    assert "100 %" in _row(_overview_rows(chief), MONEY)
    today = utcnow().date()
    response = _post(
        chief,
        _page(money),
        f"{_page(money)}/maaling",
        {"measured_on": today.isoformat(), "value": "250.000", "comment": "Ny aftale"},
    )
    assert response.status_code == 302
    page = chief.get(response.headers["Location"]).get_data(as_text=True)
    assert "Målingen er gemt." in page
    assert "125 %" in _text(page.split('id="realisation"', 1)[1].split("</dd>", 1)[0])
    history = _text(page.split('id="benefit-history"', 1)[1].split("</table>", 1)[0])
    assert f"{danish_day(today)} 250.000 kr./år Ny aftale" in history
    row = _row(_overview_rows(chief), MONEY)
    assert "125 %" in row and "250.000 kr./år" in row
    # the yearly chart's realised figure for this year moves with it
    html = chief.get(OVERVIEW).get_data(as_text=True)
    table = html.split('id="chart-economic-year"', 1)[1].split("</table>", 1)[0]
    assert f"{today.year} 200.000 kr. 250.000 kr." in _text(table)


def test_a_chief_on_someone_elses_benefit_is_refused_and_nothing_changes(
    app: Flask,
    session: Session,
    make_project: Callable[..., Project],
    make_user: Callable[..., User],
) -> None:
    world = _world(session, make_project)
    chief = _as(app, make_user, Role.owner, "Peter Damgaard")
    hours = world.benefits[HOURS]  # Lise Holm's
    page = chief.get(_page(hours)).get_data(as_text=True)
    assert "Registrér en måling" not in page and f"{_page(hours)}/maaling" not in page
    reader = _as(app, make_user, Role.reader, None)
    before = snapshot(session)
    token = csrf_token(chief, _page(world.benefits[MONEY]))  # a token from a page they may use
    response = chief.post(
        f"{_page(hours)}/maaling",
        data={"csrf_token": token, "measured_on": utcnow().date().isoformat(), "value": "3000"},
    )
    assert response.status_code == 403
    assert snapshot(session) == before
    # a reader may not record at all, and editing a benefit is for editors
    assert reader.post(f"{_page(hours)}/maaling", data={"value": "1"}).status_code == 403
    assert chief.get(f"{_page(hours)}/rediger").status_code == 403
    assert snapshot(session) == before


def test_a_qualitative_benefit_refuses_a_number_with_the_services_message(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    world = _world(session, make_project)
    quality = world.benefits[QUALITY]
    page = client.get(_page(quality)).get_data(as_text=True)
    form = page.split(f'action="{_page(quality)}/maaling"', 1)[1].split("</form>", 1)[0]
    assert 'name="assessment"' in form and 'name="value"' not in form
    before = snapshot(session)
    response = _post(
        client,
        _page(quality),
        f"{_page(quality)}/maaling",
        {"measured_on": utcnow().date().isoformat(), "value": "80", "comment": "80 %"},
    )
    assert response.status_code == 400
    assert "En kvalitativ gevinst vurderes på skalaen; vælg en vurdering." in _text(
        response.get_data(as_text=True)
    )
    assert snapshot(session) == before
    # an assessment with its evidence is taken
    response = _post(
        client,
        _page(quality),
        f"{_page(quality)}/maaling",
        {
            "measured_on": utcnow().date().isoformat(),
            "assessment": "realised",
            "comment": "Stikprøve: 97 % korrekt.",
        },
    )
    assert response.status_code == 302
    assert "● Realiseret" in _row(_overview_rows(client), QUALITY)


def test_a_stale_benefit_form_is_a_conflict_and_writes_nothing(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    world = _world(session, make_project)
    money = world.benefits[MONEY]
    edit = f"{_page(money)}/rediger"
    version = version_on(client, edit)
    token = csrf_token(client, edit)
    # someone else saves in between
    fresh = session.get(Benefit, money.id)
    assert fresh is not None
    save_benefit(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        project=world.projects["Fælles om Målet"],
        values={"target_likely": 180_000.0},
        owner="Peter Damgaard",
        department="Økonomi & Stab",
        benefit=fresh,
    )
    session.commit()
    before = snapshot(session)
    response = client.post(
        edit,
        data={
            "csrf_token": token,
            "version": version,
            "title": "Overskrevet titel",
            "target_likely": "300.000",
        },
    )
    assert response.status_code == 409
    assert "ændret af en anden" in response.get_data(as_text=True)
    assert snapshot(session) == before
    # the page offers the fresh values to start again from, and a save from them is taken
    assert 'value="180.000"' in response.get_data(as_text=True)
    response = client.post(
        edit,
        data={
            "csrf_token": token,
            "version": version_on(client, edit),
            "title": MONEY,
            "unit": "kr./år",
            "baseline_value": "0",
            "target_likely": "300.000",
            "owner": "Peter Damgaard",
            "department": "Økonomi & Stab",
        },
    )
    assert response.status_code == 302
    page = _text(client.get(_page(money)).get_data(as_text=True))
    assert "Sandsynligt mål 300.000 kr./år" in page
    assert "67 %" in page  # the latest 200.000 kr. against the new target


def test_an_editor_creates_benefits_and_a_qualitative_form_has_no_numbers(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    world = _world(session, make_project)
    project = world.projects["Bilagsapp"]
    start = f"/oekonomi/gevinster/ny/{project.id}"
    assert 'name="type"' in client.get(start).get_data(as_text=True)
    economic = client.get(f"{start}?type=economic").get_data(as_text=True)
    assert 'name="baseline_value"' in economic and 'name="hourly_value_dkk"' not in economic
    qualitative = client.get(f"{start}?type=qualitative").get_data(as_text=True)
    for name in ("baseline_value", "target_likely", "unit", "hourly_value_dkk"):
        assert f'name="{name}"' not in qualitative
    count = count_rows(session, Benefit)
    response = _post(
        client,
        f"{start}?type=qualitative",
        f"{start}?type=qualitative",
        {
            "version": "0",
            "title": "Bedre arbejdsmiljø",
            "description": "Færre afbrydelser i bogholderiet.",
            "owner": "Lise Holm",
            "department": "Børn & Familie",
        },
    )
    assert response.status_code == 302
    assert count_rows(session, Benefit) == count + 1
    created = session.exec(select(Benefit).where(Benefit.title == "Bedre arbejdsmiljø")).one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lise Holm" in page and "Ikke vurderet endnu" in page
    # the overview lists it although it has no indicator and no measurement yet
    row = _row(_overview_rows(client), "Bedre arbejdsmiljø")
    assert "Ikke vurderet endnu" in row
    # and the project page's Gevinster section carries every benefit of the project
    project_page = client.get(f"/projekter/{project.id}").get_data(as_text=True)
    section = _text(project_page.split('id="benefits-heading"', 1)[1].split("</section>", 1)[0])
    assert "Bedre arbejdsmiljø" in section and HOURS in section and "Bag planen" in section
    assert f'href="/oekonomi/gevinster/{created.id}"' in project_page


def test_a_comment_with_script_is_escaped_in_the_page_and_in_the_chart_json(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    world = _world(session, make_project)
    money = world.benefits[MONEY]
    evil = "<script>alert('x')</script>"
    response = _post(
        client,
        _page(money),
        f"{_page(money)}/maaling",
        {"measured_on": utcnow().date().isoformat(), "value": "210000", "comment": evil},
    )
    assert response.status_code == 302
    stored = session.exec(
        select(BenefitMeasurement).where(BenefitMeasurement.comment == evil)
    ).one()
    assert stored.value == 210_000
    html = client.get(_page(money)).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    raw = re.search(
        r'<script type="application/json" id="chart-measurements-data">(.*?)</script>', html, re.S
    )
    assert raw and "<" not in raw.group(1) and "'" not in raw.group(1)
    figure = json.loads(raw.group(1))
    hover = " ".join(t for trace in figure["data"] for t in trace.get("hovertext", []))
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in hover  # plotly shows it as text
    # and the overview, which shows the latest measurement, escapes it as well
    assert "<script>alert" not in client.get(OVERVIEW).get_data(as_text=True)


# --- the charts, pure ----------------------------------------------------------------------------

PLAN = charts.BenefitPlan(
    unit="timer/år",
    baseline_value=4000.0,
    baseline_date=date(2024, 1, 1),
    target_pessimistic=3500.0,
    target_likely=3000.0,
    target_optimistic=2500.0,
    full_effect_on=date(2025, 12, 31),
)


def _valid(figure: go.Figure) -> None:
    go.Figure(figure.to_dict())  # plotly's own validation, skipped when the pages build them
    assert json.loads(to_json(figure)) == json.loads(figure.to_json())


def test_the_measurement_chart_tells_its_three_targets_apart_by_dash_and_label() -> None:
    points = [charts.Point(date(2025, 6, 1), 3800.0, "Første måling")]
    figure = charts.measurement_figure(PLAN, points)
    _valid(figure)
    traces = {t["name"]: t for t in figure.to_dict()["data"]}
    dashes = {name: traces[name]["line"]["dash"] for name in traces if name.endswith("mål")}
    assert dashes == {
        "Pessimistisk mål": "dot",
        "Sandsynligt mål": "dash",
        "Optimistisk mål": "dashdot",
    }
    labels = {a["text"] for a in figure.to_dict()["layout"]["annotations"]}
    assert labels == set(dashes)
    measured = traces["Målt"]
    assert measured["y"] == [4000.0, 3800.0]  # from the baseline
    table = charts.measurement_table(PLAN, points)
    assert table[0][:2] == ["01-01-2024", "4.000 timer/år (nulpunkt)"]
    assert table[1] == [
        "01-06-2025",
        "3.800 timer/år",
        "3.500 timer/år",
        "3.000 timer/år",
        "2.500 timer/år",
    ]
    assert "seneste måling 3.800 timer/år (01-06-2025)" in charts.measurement_description(
        PLAN, points
    )


def test_gain_charts_keep_kroner_and_hours_apart() -> None:
    figures = [
        charts.GainFigure(
            BenefitType.time, "Børn & Familie", 2025, 1000.0, 200.0, 400_000.0, 80_000.0
        ),
        charts.GainFigure(BenefitType.economic, "Økonomi & Stab", 2025, 150_000.0, 120_000.0),
        charts.GainFigure(BenefitType.time, "Økonomi & Stab", 2025, 500.0, None),
    ]
    hours = charts.gain_series(figures, BenefitType.time, by="year")
    assert hours.expected == [1500.0] and hours.realised == [200.0]
    assert hours.expected_dkk == [400_000.0]  # only the hours with a worth per hour
    kroner = charts.gain_series(figures, BenefitType.economic, by="department")
    assert kroner.categories == ["Økonomi & Stab"] and kroner.expected == [150_000.0]
    for series, kind in ((hours, BenefitType.time), (kroner, BenefitType.economic)):
        figure = charts.gains_figure(series, kind)
        _valid(figure)
        texts = [t for trace in figure.to_dict()["data"] for t in trace["text"]]
        assert all(("kr." in t) == (kind == BenefitType.economic) for t in texts if t)
    assert charts.gains_table(hours, BenefitType.time) == [
        ["2025", "1.500 timer", "200 timer", "400.000 kr.", "80.000 kr."]
    ]


def test_realisation_and_assessment_words() -> None:
    assert charts.pct_text(None) == "kan ikke beregnes endnu"
    assert charts.pct_text(200.0, capped=True) == "over 200 %"
    assert charts.pct_text(42.4) == "42 %"
    assert charts.assessment_text(Assessment.partly) == "◑ Delvist realiseret"
    assert charts.value_text(2.25, "FTE") == "2,3 FTE"
    assert charts.value_text(-1250.0, None) == "-1.250"


def test_changes_to_a_benefit_and_to_spending_are_in_the_projects_audit_trail(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    """Who changed a benefit's target or a year's spending, when, and from what to what: the
    audit log names each change in words, under the project."""
    world = _world(session, make_project)
    money = world.benefits[MONEY]
    project = world.projects["Fælles om Målet"]
    target_before = danish_number(money.target_likely or 0)
    edit = f"{_page(money)}/rediger"
    response = client.post(
        edit,
        data={
            "csrf_token": csrf_token(client, edit),
            "version": version_on(client, edit),
            "title": MONEY,
            "unit": "kr./år",
            "baseline_value": "0",
            "baseline_date": danish_day(money.baseline_date) if money.baseline_date else "",
            "target_likely": "312.500,5",
            "full_effect_on": danish_day(money.full_effect_on) if money.full_effect_on else "",
            "owner": "Lise Holm",
            "department": "Økonomi & Stab",
        },
    )
    assert response.status_code == 302
    token = csrf_token(client, f"/projekter/{project.id}")
    response = client.post(
        f"/oekonomi/projekter/{project.id}/forbrug",
        data={
            "prefix": "year-new",
            "year-new-csrf_token": token,
            "year-new-year": "2026",
            "year-new-budget": "1.250.000",
        },
    )
    assert response.status_code == 302
    log = _text(client.get(f"/log/?project={project.id}").get_data(as_text=True))
    assert (
        "Ida IT-afdeling <ida.it@kommune.example> Gevinst ændret Fælles om Målet "
        f"Mål, sandsynligt {MONEY}: {target_before} {MONEY}: 312.500,5 Webredigering"
    ) in log, log[:3000]
    assert f"Gevinstejer {MONEY}: Peter Damgaard {MONEY}: Lise Holm Webredigering" in log
    assert (
        "Budget eller forbrug ændret Fælles om Målet Budget for året – 2026: 1.250.000 kr."
    ) in log
    # Fields the form sent unchanged are not in the log.
    for unchanged in ("Gevinstens titel", "Nulpunktets dato", "Fuld effekt fra", "Enhed"):
        assert unchanged not in log
