"""Foreslå plan: the preview writes nothing, "Brug planen" writes every cell with history in one
transaction, a stale or failing apply leaves the grid as it was; and the charts page."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.domain import ChangeSource, Role, RolloutState
from portfolio.rollout import services as svc
from portfolio.rollout.models import RolloutCell, RolloutChange
from tests.conftest import csrf_token, login, snapshot
from tests.rollout_fixtures import RolloutWorld, make_rollout_world

START = date(2026, 3, 2)  # a Monday, clear of the fixture's blackouts


@pytest.fixture
def world(session: Session, make_project) -> RolloutWorld:  # type: ignore[no-untyped-def]
    return make_rollout_world(session, make_project)


def _query(world: RolloutWorld, **extra: object) -> str:
    pairs: list[tuple[str, object]] = [("projekt", p.id) for p in world.apps.values()]
    pairs += [("start", START.strftime("%d-%m-%Y")), ("kapacitet", 2)]
    pairs += list(extra.items())
    return urlencode(pairs)


def _preview(client: FlaskClient, query: str) -> str:
    response = client.get(f"/udrulning/foreslaa?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    return response.get_data(as_text=True)


def _apply_fields(page: str) -> dict[str, str]:
    form = page[page.index('action="/udrulning/foreslaa/brug"') :]
    fields = dict(re.findall(r'name="(csrf_token|settings|fingerprint)"[^>]*value="([^"]*)"', form))
    fields.update(
        {n: v for v, n in re.findall(r'value="([^"]*)"[^>]*name="(settings|fingerprint)"', form)}
    )
    return {k: html.unescape(v) for k, v in fields.items()}


def _cells(session: Session) -> list[RolloutCell]:
    session.commit()
    session.expire_all()
    return list(session.exec(select(RolloutCell).order_by(RolloutCell.id)).all())


def test_the_form_offers_every_app_and_a_capacity_of_two(client: FlaskClient, world) -> None:
    page = client.get("/udrulning/foreslaa").get_data(as_text=True)
    for name in world.apps:
        assert name in page
    assert re.search(r'name="kapacitet"[^>]*value="2"', page)
    assert 'method="get"' in page


def test_the_preview_explains_every_cell_and_writes_nothing(
    client: FlaskClient, session: Session, world
) -> None:
    before = snapshot(session)
    page = _preview(client, _query(world))
    assert snapshot(session) == before
    # every cell, with its dates and its reason, and the plan's finish and lower bound
    assert page.count("<tr") - 1 == 12  # 3 apps × 4 departments, and the header row
    for dept in world.departments:
        assert html.escape(dept) in page
    assert "starter ved planens start" in page
    assert "venter på kapacitet til uge" in page
    assert 'id="plan-finish"' in page and 'id="plan-lower-bound"' in page
    proposal = svc.propose_plan(
        session,
        svc.PlanSettings(tuple(sorted(p.id for p in world.apps.values())), START, 2),
    )
    assert proposal.plan.finish is not None
    assert proposal.plan.finish.strftime("%d-%m-%Y") in page
    assert "Brug planen" in page


def test_bad_settings_are_refused_with_danish_messages(client: FlaskClient, world) -> None:
    bilag, fravaer = world.apps["Bilagsapp"].id, world.apps["Fraværsapp"].id
    response = client.get(f"/udrulning/foreslaa?{urlencode({'start': 'i morgen', 'kapacitet': 0})}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vælg mindst én app til planen." in page
    assert "Skriv datoen som dd-mm-åååå" in page
    assert "Kapaciteten skal være mellem 1 og 100." in page
    query = urlencode(
        [("projekt", bilag), ("start", "02-03-2026"), ("kapacitet", 2)]
        + [("orden-0-app", fravaer), ("orden-0-after", bilag)]
    )
    page = client.get(f"/udrulning/foreslaa?{query}").get_data(as_text=True)
    assert "Rækkefølgen kan kun bruge apps, der er valgt til planen." in page


def test_using_the_plan_writes_every_cell_with_history(
    client: FlaskClient, session: Session, world
) -> None:
    bilag, fravaer = world.apps["Bilagsapp"].id, world.apps["Fraværsapp"].id
    query = _query(world) + "&" + urlencode({"orden-0-app": fravaer, "orden-0-after": bilag})
    fields = _apply_fields(_preview(client, query))
    response = client.post("/udrulning/foreslaa/brug", data=fields)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Planen er brugt: 12 celler er planlagt." in page
    cells = _cells(session)
    assert all(c.planned_start and c.planned_go_live for c in cells)
    assert all(c.planned_start >= START for c in cells)  # type: ignore[operator]
    assert all(c.baseline_go_live == c.planned_go_live for c in cells)  # the first plan
    changes = session.exec(select(RolloutChange)).all()
    assert {ch.source for ch in changes} == {ChangeSource.plan}
    assert {ch.cell_id for ch in changes if ch.field == "planned_go_live"} == {c.id for c in cells}
    assert all(ch.changed_by.startswith("Ida IT-afdeling") for ch in changes)
    # the order holds: in each department the fraværsapp starts after the bilagsapp is live
    by = {(c.project_id, c.department_id): c for c in cells}
    for dept in world.departments.values():
        first, then = by[(bilag, dept.id)], by[(fravaer, dept.id)]
        assert then.planned_start > first.planned_go_live  # type: ignore[operator]


def test_a_plan_made_before_the_grid_changed_is_refused(
    client: FlaskClient, session: Session, world
) -> None:
    fields = _apply_fields(_preview(client, _query(world)))
    # someone changes a cell between the preview and "Brug planen"
    cell = _cells(session)[0]
    svc.update_cell(
        session=session,
        cell=cell,
        changes={"blocker": "Mangler udstyr"},
        actor="en anden",
        source=ChangeSource.web,
    )
    session.commit()
    before = snapshot(session)
    response = client.post("/udrulning/foreslaa/brug", data=fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Udrulningen er ændret, siden planen blev foreslået." in page
    assert "Brug planen" in page  # the fresh proposal, to look at again
    assert snapshot(session) == before


def test_a_failure_midway_leaves_nothing(
    client: FlaskClient, session: Session, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = _apply_fields(_preview(client, _query(world)))
    before = snapshot(session)
    real = svc.update_cell
    calls = []

    def failing_second(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["cell"].id)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(**kwargs)

    monkeypatch.setattr(svc, "update_cell", failing_second)
    with pytest.raises(RuntimeError):
        client.post("/udrulning/foreslaa/brug", data=fields)
    assert len(calls) == 2  # the first cell was written (flushed) before the failure
    assert snapshot(session) == before


def test_a_forged_or_tokenless_apply_is_refused(client: FlaskClient, session, world) -> None:
    fields = _apply_fields(_preview(client, _query(world)))
    before = snapshot(session)
    assert (
        client.post("/udrulning/foreslaa/brug", data={**fields, "csrf_token": ""}).status_code
        == 400
    )
    bad = {**fields, "settings": "projekt=x&start=nej"}
    assert client.post("/udrulning/foreslaa/brug", data=bad).status_code == 400
    assert snapshot(session) == before


@pytest.mark.parametrize("role", [Role.reader, Role.owner])
def test_readers_and_chiefs_may_not_plan(
    app: Flask, session: Session, make_user, world, role: Role
) -> None:
    admin = app.test_client()
    login(admin, make_user(role=Role.admin).email)
    fields = _apply_fields(_preview(admin, _query(world)))
    user = make_user(role=role, person="Lise Holm" if role == Role.owner else None)
    client = app.test_client()
    login(client, user.email)
    before = snapshot(session)
    assert client.get(f"/udrulning/foreslaa?{_query(world)}").status_code == 403
    fields["csrf_token"] = csrf_token(client, "/udrulning/diagrammer")
    assert client.post("/udrulning/foreslaa/brug", data=fields).status_code == 403
    assert snapshot(session) == before
    # but they read the charts
    assert client.get("/udrulning/diagrammer").status_code == 200


def test_the_charts_page_has_a_gantt_per_app_and_coverage_with_tables(
    client: FlaskClient, session: Session, world
) -> None:
    today = svc.today()
    cell = next(c for c in _cells(session) if c.project_id == world.apps["Kørselsapp"].id)
    svc.update_cell(
        session=session,
        cell=cell,
        changes={
            "planned_start": today - timedelta(weeks=6),
            "planned_go_live": today - timedelta(days=3),
            "state": RolloutState.live,
            "actual_go_live": today - timedelta(days=1),
        },
        actor="test",
        source=ChangeSource.web,
    )
    session.commit()
    page = client.get("/udrulning/diagrammer").get_data(as_text=True)
    for name, project in world.apps.items():
        assert f'id="chart-gantt-{project.id}"' in page
        assert f"Udrulning af {name}" in page
    assert 'id="chart-coverage"' in page
    assert "<caption" in page
    assert (today - timedelta(days=1)).strftime("%d-%m-%Y") in page  # Danish dates in the tables
    assert 'type="application/json"' in page and "<script>" not in page
    # bookmarkable filter by app
    kid = world.apps["Kørselsapp"].id
    page = client.get(f"/udrulning/diagrammer?projekt={kid}").get_data(as_text=True)
    assert f'id="chart-gantt-{kid}"' in page
    assert f'id="chart-gantt-{world.apps["Bilagsapp"].id}"' not in page
    assert re.search(rf'value="{kid}" checked', page)


def test_user_text_in_the_charts_is_escaped(client: FlaskClient, session: Session, world) -> None:
    department = world.departments["Miljø & Teknik"]
    department.name = "<img src=x onerror=alert(1)>"
    session.add(department)
    session.commit()
    page = client.get("/udrulning/diagrammer").get_data(as_text=True)
    assert "<img src=x" not in page
