"""`portfolio pools` and `portfolio benefits`, and the demo's pool and benefits, on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskCliRunner
from sqlmodel import Session, select

from portfolio.demo.data import DEPARTMENTS
from portfolio.demo.services import load_demo_portfolio
from portfolio.domain import Assessment, BenefitType, MovementKind
from portfolio.finance import services
from portfolio.finance.models import BenefitMeasurement
from portfolio.projects.models import Project
from tests.conftest import count_rows, snapshot
from tests.finance_fixtures import make_finance_world


def test_pools_json_gives_each_pool_its_figures_and_movements(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project]
) -> None:
    make_finance_world(session, make_project)
    result = runner.invoke(args=["pools", "--json"])
    assert result.exit_code == 0, result.output
    [pool] = json.loads(result.stdout)
    assert pool["name"] == "Digitaliseringsrådets pulje"
    assert pool["owner"] == "Digitaliseringsrådet"
    assert (pool["balance_dkk"], pool["granted_dkk"], pool["returned_dkk"]) == (0, 600_000, 0)
    kinds = [m["kind"] for m in pool["movements"]]
    assert kinds == ["deposit", "grant", "grant"]
    deposit, first, second = pool["movements"]
    assert deposit["source"] == "Digitaliseringsstyregruppen"
    assert deposit["amount_dkk"] == 600_000 and deposit["occurred_on"] == "2017-09-01"
    assert first["project"] == "Fælles om Målet" and first["amount_dkk"] == 350_000
    assert "85.13.00-000-1-18" in first["decision"]
    assert second["project"] == "Kvalitetskontrol af journalisering"
    for movement in pool["movements"]:
        assert {
            "kind",
            "amount_dkk",
            "occurred_on",
            "project",
            "source",
            "decision",
            "note",
        } <= set(movement)

    table = runner.invoke(args=["pools"])
    assert table.exit_code == 0, table.output
    assert "saldo 0 kr." in table.stdout
    assert "350.000 kr." in table.stdout and "Bevilling" in table.stdout
    assert "01-09-2017" in table.stdout


def test_benefits_json_and_the_project_filter(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project]
) -> None:
    make_finance_world(session, make_project)
    result = runner.invoke(args=["benefits", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["title"]: r for r in json.loads(result.stdout)}
    assert len(rows) == 3
    for row in rows.values():
        assert list(row)[:9] == [
            "project",
            "title",
            "type",
            "owner",
            "baseline",
            "target",
            "latest",
            "realised_pct",
            "assessment",
        ]
    hours = rows["Færre timer på bilagshåndtering"]
    assert hours["project"] == "Bilagsapp" and hours["type"] == "time"
    assert hours["owner"] == "Lise Holm"
    assert (hours["baseline"], hours["target"], hours["latest"]) == (4000.0, 3000.0, 3800.0)
    assert hours["realised_pct"] == 20.0
    assert hours["behind_plan"] is True
    quality = rows["Korrekt journalisering i alle afdelinger"]
    assert quality["type"] == "qualitative" and quality["realised_pct"] is None
    assert quality["assessment"] == "partly"

    only = runner.invoke(args=["benefits", "--project", "Bilagsapp", "--json"])
    assert [r["title"] for r in json.loads(only.stdout)] == ["Færre timer på bilagshåndtering"]

    table = runner.invoke(args=["benefits"])
    assert table.exit_code == 0, table.output
    assert "Delvist realiseret" in table.stdout  # the scale's word, not a number
    assert "bag planen" in table.stdout
    assert "20 %" in table.stdout


def test_an_unknown_project_is_one_danish_line_and_exit_1(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project]
) -> None:
    make_finance_world(session, make_project)
    before = snapshot(session)
    result = runner.invoke(args=["benefits", "--project", "Ukendt projekt"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Der er intet projekt med navnet “Ukendt projekt”."
    assert result.stdout == ""
    assert snapshot(session) == before


def test_the_demo_has_the_minutes_pool_and_benefits_of_every_type_with_history(
    runner: FlaskCliRunner, session: Session
) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)
    load_demo_portfolio(session=session, actor="demo", now=now)
    session.commit()

    [pool] = json.loads(runner.invoke(args=["pools", "--json"]).stdout)
    assert pool["name"] == "Digitaliseringsrådets pulje"
    assert pool["owner"] == "Digitaliseringsrådet"
    assert pool["established_on"].startswith("2017")
    assert (pool["balance_dkk"], pool["granted_dkk"]) == (0, 600_000)
    grants = {m["project"]: m["amount_dkk"] for m in pool["movements"] if m["kind"] == "grant"}
    assert grants == {"Fælles om Målet": 350_000, "Kvalitetskontrol af journalisering": 250_000}
    [deposit] = [m for m in pool["movements"] if m["kind"] == MovementKind.deposit.value]
    assert (deposit["amount_dkk"], deposit["source"]) == (600_000, "Digitaliseringsstyregruppen")
    [stored] = services.pools(session)
    assert (stored.return_share_pct, stored.repay_investment) == (25, True)

    rows = json.loads(runner.invoke(args=["benefits", "--json"]).stdout)
    assert {r["type"] for r in rows} == {t.value for t in BenefitType}
    assert any(r["behind_plan"] for r in rows)
    bilag = [r for r in rows if r["project"] == "Bilagsapp"]
    assert len({r["department"] for r in bilag}) == len(bilag) >= 3  # one per department
    assert any(r["owner"] == "Peter Damgaard" for r in rows)
    [quality] = [r for r in rows if r["project"] == "Kvalitetskontrol af journalisering"]
    assert quality["type"] == "qualitative" and quality["assessment"] is not None

    # every benefit's owner is its department's chief, and history runs over time
    for benefit in services.benefits(session):
        history = services.measurements(session, benefit.id or 0)
        owner, place = services.owner_of(session, benefit), services.department_of(session, benefit)
        assert owner is not None and place is not None
        assert owner.name == DEPARTMENTS[place.name][0]  # the chief where it lands
        if benefit.type == BenefitType.qualitative:
            grades = [m.assessment for m in history]
            assert len(grades) >= 3 and grades[-1] != Assessment.not_begun
            assert all(m.comment for m in history)  # each assessment has its evidence
    assert count_rows(session, BenefitMeasurement) >= 10
    kvalitet = _project_id(session, "Kvalitetskontrol af journalisering")
    assert services.project_money(session, kvalitet).granted == 250_000
    split = services.suggested_return(session, stored, _project_id(session, "Fælles om Målet"))
    assert split.due_now > 0  # the rule offers a return to confirm


def _project_id(session: Session, name: str) -> int:
    project = session.exec(select(Project).where(Project.name == name)).one()
    return int(project.id or 0)


def test_demo_reset_empties_the_ledger_and_loads_it_again(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["demo", "--reset"])
    assert again.exit_code == 0, again.output
    [pool] = json.loads(runner.invoke(args=["pools", "--json"]).stdout)
    assert len(pool["movements"]) == 3 and pool["balance_dkk"] == 0
