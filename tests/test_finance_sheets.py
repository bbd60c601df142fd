"""The ledger and benefits register as workbooks: typed cells, text never a formula, the
summary the services compute, and who may download them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import Session

from portfolio.domain import Assessment, ChangeSource, MovementKind
from portfolio.exporters.sheet import MONEY_FORMAT
from portfolio.finance import services
from portfolio.finance.sheets import benefits_workbook, ledger_workbook
from portfolio.projects.models import Project
from portfolio.users.models import Role
from tests.conftest import login
from tests.finance_fixtures import FinanceWorld, make_finance_world

LEDGER = "/oekonomi/ark/puljer"
BENEFITS = "/oekonomi/ark/gevinster"
FORMULA = '=HYPERLINK("http://evil.example","klik")'


@pytest.fixture
def world(session: Session, make_project: Callable[..., Project]) -> FinanceWorld:
    return make_finance_world(session, make_project)


def _table_rows(ws: Any) -> list[dict[str, Any]]:
    table = next(iter(ws.tables.values()))
    cells = ws[table.ref]
    headers = [c.value for c in cells[0]]
    return [dict(zip(headers, row, strict=True)) for row in cells[1:]]


def _summary(ws: Any) -> dict[str, Any]:
    found = {}
    for row in ws.iter_rows(min_row=3, max_row=8, max_col=2):
        found[row[0].value] = row[1]
    return found


def test_the_ledger_has_dates_amounts_in_kroner_and_the_services_summary(
    session: Session, world: FinanceWorld
) -> None:
    assert world.pool.id is not None
    project = world.projects["Fælles om Målet"]
    services.add_movement(
        session=session,
        pool=world.pool,
        kind=MovementKind.release,
        amount_dkk=50_000,
        occurred_on=date(2018, 9, 3),
        project_id=project.id,
        note=FORMULA,
        actor="test",
    )
    session.commit()

    wb = load_workbook(BytesIO(ledger_workbook(session)))
    ws = wb[world.pool.name]
    rows = _table_rows(ws)
    assert [r["Bevægelse"].value for r in rows] == [
        "Indskud",
        "Bevilling",
        "Bevilling",
        "Frigivet bevilling",
    ]
    first = rows[0]
    assert isinstance(first["Dato"].value, datetime)
    assert first["Dato"].value.date() == date(2017, 9, 1)
    assert first["Kilde"].value == "Digitaliseringsstyregruppen"
    grant = rows[1]
    assert grant["Projekt"].value == "Fælles om Målet"
    assert grant["Beløb"].value == 350_000
    assert grant["Beløb"].number_format == MONEY_FORMAT
    assert grant["Saldo efter"].value == 250_000
    assert "85.13.00-000-1-18" in grant["Beslutning"].value
    release = rows[3]
    assert release["Note"].value == FORMULA  # text, not a formula
    assert release["Note"].data_type == "s"

    figures = services.figures(session, world.pool.id)
    summary = _summary(ws)
    assert summary["Indskudt"].value == figures.deposited == 600_000
    assert summary["Bevilget"].value == figures.granted
    assert summary["Frigivet"].value == figures.released == 50_000
    assert summary["Tilbageført"].value == figures.returned
    assert summary["Rettelser"].value == figures.corrected
    assert summary["Saldo"].value == figures.balance == 50_000
    assert summary["Saldo"].number_format == MONEY_FORMAT
    assert rows[-1]["Saldo efter"].value == figures.balance


def test_one_pool_alone_and_a_sheet_per_pool(session: Session, world: FinanceWorld) -> None:
    other = services.create_pool(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        name="Puljen: [2027/28]?",  # characters a sheet name may not hold
        owner_body="Direktørforum",
        established_on=date(2027, 1, 1),
    )
    session.commit()
    both = load_workbook(BytesIO(ledger_workbook(session)))
    assert len(both.sheetnames) == 2
    assert world.pool.name in both.sheetnames
    empty = both[both.sheetnames[1]]
    assert _summary(empty)["Saldo"].value == 0
    only = load_workbook(BytesIO(ledger_workbook(session, other.id)))
    assert len(only.sheetnames) == 1 and only.sheetnames[0] != world.pool.name


def test_the_benefits_register_types_its_cells_and_keeps_assessments_as_words(
    session: Session, world: FinanceWorld
) -> None:
    quality = world.benefits["Korrekt journalisering i alle afdelinger"]
    services.record_measurement(
        session=session,
        benefit=quality,
        measured_on=date(2019, 6, 1),
        assessment=Assessment.underway,
        comment=FORMULA,
        actor="Peter Damgaard",
    )
    session.commit()

    ws = load_workbook(BytesIO(benefits_workbook(session)))["Gevinster"]
    rows = {r["Gevinst"].value: r for r in _table_rows(ws)}
    assert set(rows) == set(world.benefits)
    hours = rows["Færre timer på bilagshåndtering"]
    assert hours["Projekt"].value == "Bilagsapp"
    assert hours["Type"].value == "Frigjort tid"
    assert hours["Gevinstejer"].value == "Lise Holm"
    assert hours["Nulpunkt"].value == 4000
    assert isinstance(hours["Nulpunktsdato"].value, datetime)
    assert hours["Mål, forventet"].value == 3000
    assert isinstance(hours["Fuld effekt"].value, datetime)
    assert hours["Seneste måling/vurdering"].value == 3800
    assert hours["Dato for seneste"].value.date() == date(2025, 6, 1)
    assert hours["Realisering"].value == pytest.approx(0.2)  # 200 of 1000 hours
    assert hours["Realisering"].number_format == "0%"
    assert hours["Bag planen"].value == "Ja"

    money = rows["Lavere licensudgifter"]
    assert money["Gevinstejer"].value == "Peter Damgaard"
    assert money["Afdeling"].value == "Økonomi & Stab"
    assert money["Mål, forventet"].value == 200_000
    assert money["Mål, forventet"].number_format == MONEY_FORMAT
    assert money["Realisering"].value == pytest.approx(1.0)
    assert money["Bag planen"].value == "Nej"

    qualitative = rows["Korrekt journalisering i alle afdelinger"]
    assert qualitative["Seneste måling/vurdering"].value == "På vej"  # the later one
    assert qualitative["Realisering"].value is None
    assert qualitative["Seneste kommentar"].value == FORMULA
    assert qualitative["Seneste kommentar"].data_type == "s"


@pytest.mark.parametrize("role", [Role.reader, Role.owner])
def test_readers_and_chiefs_download_both_sheets(
    app: Flask, world: FinanceWorld, make_user: Callable[..., Any], role: Role
) -> None:
    user = make_user(role=role, person="Peter Damgaard" if role == Role.owner else None)
    client = app.test_client()
    login(client, user.email)
    for url in (LEDGER, f"{LEDGER}?pulje={world.pool.id}", BENEFITS):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert ".xlsx" in response.headers["Content-Disposition"]
        load_workbook(BytesIO(response.data))  # a real workbook
    assert client.get(f"{LEDGER}?pulje=99999").status_code == 404
    assert client.get(f"{LEDGER}?pulje=x").status_code == 404


def test_anonymous_is_sent_to_login(app: Flask, world: FinanceWorld) -> None:
    anonymous: FlaskClient = app.test_client()
    for url in (LEDGER, BENEFITS):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
