"""`portfolio rollout show` and `propose`, and the demo's rollouts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

from flask.testing import FlaskCliRunner
from sqlmodel import Session, select

from portfolio.demo.services import load_demo_portfolio
from portfolio.domain import ChangeSource, RolloutState
from portfolio.projects.models import Project
from portfolio.rollout.models import RolloutCell, RolloutChange
from portfolio.rollout.services import grid_cells, is_late, update_cell
from tests.conftest import count_rows, snapshot
from tests.rollout_fixtures import DEPARTMENTS, make_rollout_world

CANONICAL = [
    "project",
    "department",
    "state",
    "planned_start",
    "planned_go_live",
    "baseline_go_live",
    "actual_go_live",
    "implementation_weeks",
    "users",
    "blocker",
]


def test_show_json_gives_every_cell_with_the_canonical_names(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project]
) -> None:
    world = make_rollout_world(session, make_project)
    cell = session.exec(
        select(RolloutCell).where(
            RolloutCell.project_id == world.apps["Bilagsapp"].id,
            RolloutCell.department_id == world.departments["Børn & Familie"].id,
        )
    ).one()
    update_cell(
        session=session,
        cell=cell,
        changes={"state": "in_progress", "planned_go_live": date(2027, 3, 5)},
        actor="test",
        source=ChangeSource.cli,
    )
    session.commit()

    result = runner.invoke(args=["rollout", "show", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == len(DEPARTMENTS) * 3
    assert all(list(row) == CANONICAL for row in rows)
    mine = [r for r in rows if r["project"] == "Bilagsapp" and r["department"] == "Børn & Familie"]
    assert mine[0]["state"] == "in_progress"
    assert mine[0]["planned_go_live"] == "2027-03-05"
    assert mine[0]["baseline_go_live"] == "2027-03-05"  # the first plan is the baseline
    assert mine[0]["implementation_weeks"] == 6  # 4 weeks × the department's factor 1.5

    only = json.loads(
        runner.invoke(args=["rollout", "show", "--project", "Kørselsapp", "--json"]).stdout
    )
    assert {r["project"] for r in only} == {"Kørselsapp"}
    unknown = runner.invoke(args=["rollout", "show", "--project", "Ukendt app"])
    assert unknown.exit_code == 1
    assert "Ingen udrulning for Ukendt app" in unknown.output


def test_propose_writes_nothing_without_apply_and_everything_with_it(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project]
) -> None:
    make_rollout_world(session, make_project)
    args = [
        "rollout", "propose",
        "--project", "Bilagsapp", "--project", "Fraværsapp",
        "--start", "04-01-2027", "--capacity", "2",
        "--after", "Fraværsapp>Bilagsapp", "--json",
    ]  # fmt: skip
    before = snapshot(session)
    dry = runner.invoke(args=args)
    assert dry.exit_code == 0, dry.output
    proposal = json.loads(dry.stdout)
    assert proposal["applied"] is False
    assert "Intet er skrevet" in dry.stderr
    assert snapshot(session) == before
    assert len(proposal["cells"]) == len(DEPARTMENTS) * 2
    starts = {(c["project"], c["department"]): c for c in proposal["cells"]}
    for department in DEPARTMENTS:
        first, then = starts["Bilagsapp", department], starts["Fraværsapp", department]
        assert then["planned_start"] > first["planned_go_live"]  # the order holds
        assert first["reason"] and then["reason"]

    applied = runner.invoke(args=[*args, "--apply"])
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["cells"] == proposal["cells"]  # the same plan
    session.commit()  # end the read transaction: see what the command committed
    session.expire_all()
    cells = {(g.project, g.department): g.cell for g in grid_cells(session)}
    for (app, department), shown in starts.items():
        assert cells[app, department].planned_go_live == date.fromisoformat(
            shown["planned_go_live"]
        )
    history = session.exec(select(RolloutChange)).all()
    assert {h.source for h in history} == {ChangeSource.plan}
    assert count_rows(session, RolloutChange) == len(starts) * 3  # start, go-live, baseline


def test_propose_refuses_bad_input_with_a_danish_line(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project]
) -> None:
    make_rollout_world(session, make_project)
    before = snapshot(session)
    base = ["rollout", "propose", "--project", "Bilagsapp", "--capacity", "2"]
    bad_date = runner.invoke(args=[*base, "--start", "1. januar"])
    assert bad_date.exit_code == 1 and "er ikke en dato" in bad_date.output
    bad_order = runner.invoke(args=[*base, "--start", "2027-01-04", "--after", "Bilagsapp"])
    assert bad_order.exit_code == 1 and 'formen "App>App"' in bad_order.output
    cycle = runner.invoke(
        args=[
            *base, "--project", "Kørselsapp", "--start", "2027-01-04",
            "--after", "Kørselsapp>Bilagsapp", "--after", "Bilagsapp>Kørselsapp", "--apply",
        ]
    )  # fmt: skip
    assert cycle.exit_code == 1, cycle.output
    assert snapshot(session) == before


def test_the_demo_rolls_out_three_apps_with_live_running_blocked_and_late_cells(
    session: Session,
) -> None:
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    load_demo_portfolio(session=session, actor="demo", now=now)
    session.commit()
    cells = grid_cells(session)
    assert {c.project for c in cells} == {"Bilagsapp", "Kørselsapp", "Fraværsapp"}
    states = {c.cell.state for c in cells}
    assert {RolloutState.live, RolloutState.in_progress, RolloutState.not_started} <= states
    assert any(c.cell.blocker for c in cells)
    assert any(is_late(c.cell, now.date()) for c in cells)
    factors = {d.cell.implementation_weeks for d in cells if d.project == "Fraværsapp"}
    assert len(factors) > 2  # departments differ in implementation time
    assert all(
        c.cell.users for c in cells if c.cell.state != RolloutState.not_relevant
    )  # head counts
