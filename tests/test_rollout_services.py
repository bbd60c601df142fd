"""portfolio/rollout/services.py and departments.py: cell changes with history, the baseline,
late cells, the chief rule, and department settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from portfolio.auth import session_user
from portfolio.db import make_engine, writing
from portfolio.domain import ChangeSource, Role, RolloutState
from portfolio.permissions import Permission
from portfolio.projects.models import Project
from portfolio.rollout import departments as dept_svc
from portfolio.rollout import services as svc
from portfolio.rollout.models import RolloutCell, RolloutChange
from tests.rollout_fixtures import RolloutWorld, make_rollout_world


@pytest.fixture
def world(session: Session, make_project) -> RolloutWorld:
    return make_rollout_world(session, make_project)


def _cell(session: Session, world: RolloutWorld, app: str, department: str) -> RolloutCell:
    return session.exec(
        select(RolloutCell).where(
            RolloutCell.project_id == world.apps[app].id,
            RolloutCell.department_id == world.departments[department].id,
        )
    ).one()


def test_update_cell_writes_history_and_the_first_plan_becomes_the_baseline(
    session: Session, world: RolloutWorld
) -> None:
    cell = _cell(session, world, "Bilagsapp", "Børn & Familie")
    first, later = date(2026, 3, 6), date(2026, 4, 3)
    changed = svc.update_cell(
        session=session,
        cell=cell,
        changes={"planned_go_live": first, "state": "preparing"},
        actor="Ida <ida@kommune.example>",
        source=ChangeSource.web,
        expected_version=cell.version,
    )
    assert set(changed) == {"planned_go_live", "baseline_go_live", "state"}
    svc.update_cell(
        session=session,
        cell=cell,
        changes={"planned_go_live": later},
        actor="Ida",
        source=ChangeSource.web,
    )
    session.commit()
    assert cell.baseline_go_live == first and svc.slip_days(cell) == 28
    rows = svc.cell_history(session, cell.id or 0)
    assert [(r.field, r.old_value, r.new_value) for r in rows if r.field == "planned_go_live"] == [
        ("planned_go_live", first.isoformat(), later.isoformat()),
        ("planned_go_live", None, first.isoformat()),
    ]
    assert all(r.changed_by.startswith("Ida") for r in rows)
    # Nothing changed: no history row.
    before = len(rows)
    assert (
        svc.update_cell(
            session=session,
            cell=cell,
            changes={"state": "preparing"},
            actor="x",
            source=ChangeSource.web,
        )
        == []
    )
    assert len(svc.cell_history(session, cell.id or 0)) == before


def test_going_live_takes_todays_date_and_a_stale_version_is_refused(
    session: Session, world: RolloutWorld
) -> None:
    cell = _cell(session, world, "Kørselsapp", "Miljø & Teknik")
    seen = cell.version
    svc.update_cell(
        session=session, cell=cell, changes={"state": "live"}, actor="a", source=ChangeSource.web
    )
    assert cell.actual_go_live == svc.today()
    count = len(session.exec(select(RolloutChange)).all())
    with pytest.raises(svc.StaleRolloutError):
        svc.update_cell(
            session=session,
            cell=cell,
            changes={"blocker": "for sent"},
            actor="b",
            source=ChangeSource.web,
            expected_version=seen,
        )
    assert cell.blocker is None
    assert len(session.exec(select(RolloutChange)).all()) == count


def test_a_cell_is_late_when_its_go_live_passed_and_it_is_not_live(
    session: Session, world: RolloutWorld
) -> None:
    cell = _cell(session, world, "Fraværsapp", "Økonomi & Stab")
    today = date(2026, 5, 1)
    cell.planned_go_live = today - timedelta(days=1)
    assert svc.is_late(cell, today)
    assert not svc.is_late(cell, today - timedelta(days=1))
    for state in (RolloutState.live, RolloutState.not_relevant):
        cell.state = state
        assert not svc.is_late(cell, today)
    cell.state = RolloutState.postponed
    assert svc.is_late(cell, today)
    session.rollback()


def test_only_the_departments_chief_may_update_its_cells(
    session: Session, make_user, world: RolloutWorld
) -> None:
    chief = session_user(make_user(role=Role.owner, person="Lise Holm"))
    other_owner = session_user(make_user(role=Role.owner, person="Mette Sørensen"))
    editor = session_user(make_user(role=Role.editor))
    reader = session_user(make_user(role=Role.reader))
    own, other = world.departments["Børn & Familie"], world.departments["Miljø & Teknik"]
    assert chief.can(Permission.update_rollout, department=own)
    assert not chief.can(Permission.update_rollout, department=other)
    assert not chief.can(Permission.plan_rollout)
    assert not other_owner.can(Permission.update_rollout, department=own)
    assert editor.can(Permission.update_rollout, department=other)
    assert editor.can(Permission.plan_rollout)
    assert not reader.can(Permission.update_rollout, department=own)
    assert svc.CHIEF_FIELDS == {"state", "readiness", "blocker", "actual_go_live"}


def test_department_settings_refresh_default_weeks_but_keep_hand_set_ones(
    session: Session, world: RolloutWorld
) -> None:
    skoler = world.departments["Skoler & Uddannelser"]
    hand_set = _cell(session, world, "Kørselsapp", "Skoler & Uddannelser")
    svc.update_cell(
        session=session,
        cell=hand_set,
        changes={"implementation_weeks": 9},
        actor="a",
        source=ChangeSource.web,
    )
    changed = dept_svc.update_department(
        session=session,
        department=skoler,
        settings=dept_svc.DepartmentSettings(
            chief="Henrik Mortensen",
            head_count=950,
            implementation_factor=1.5,
            blackouts=(dept_svc.BlackoutPeriod("juli", 1, 7, 31, 7),),
        ),
        actor="Ida",
        source=ChangeSource.web,
    )
    session.commit()
    assert set(changed) == {"head_count", "implementation_factor", "blackouts"}
    assert _cell(session, world, "Bilagsapp", "Skoler & Uddannelser").implementation_weeks == 6
    assert hand_set.implementation_weeks == 9
    assert [b.label for b in svc.department_blackouts(session) if b.department_id == skoler.id] == [
        "juli"
    ]
    with pytest.raises(svc.RolloutError):
        dept_svc.update_department(
            session=session,
            department=skoler,
            settings=dept_svc.DepartmentSettings(
                None, 10, 1.0, (dept_svc.BlackoutPeriod("x", 31, 4, 1, 5),)
            ),
            actor="Ida",
            source=ChangeSource.web,
        )


def test_two_saves_of_one_cell_from_one_version_never_both_win(
    database_url: str, session: Session, make_project: Callable[..., Project]
) -> None:
    """Two users save the same cell at the same moment, each on a connection of its own, on
    SQLite and on PostgreSQL: the database lets one UPDATE … WHERE version match, the other is
    refused as stale, and the history holds only the winner's change."""
    world = make_rollout_world(session, make_project)
    cell = session.exec(
        select(RolloutCell).where(RolloutCell.project_id == world.apps["Bilagsapp"].id)
    ).first()
    assert cell is not None and cell.id is not None
    cell_id, seen = cell.id, cell.version
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    engines = [writing(make_engine(database_url)) for _ in range(2)]

    def save(engine: sa.Engine, blocker: str) -> None:
        with Session(engine) as own:
            barrier.wait(timeout=30)  # both forms were opened at version `seen`
            try:
                mine = own.get(RolloutCell, cell_id)
                assert mine is not None
                svc.update_cell(
                    session=own,
                    cell=mine,
                    changes={"blocker": blocker},
                    actor=blocker,
                    source=ChangeSource.web,
                    expected_version=seen,
                )
                own.commit()
                outcomes.append(blocker)
            except svc.StaleRolloutError:
                own.rollback()
                outcomes.append("stale")

    threads = [
        threading.Thread(target=save, args=(engine, f"blokering fra {n}"))
        for n, engine in enumerate(engines)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert sorted(o == "stale" for o in outcomes) == [False, True], outcomes
    (winner,) = [o for o in outcomes if o != "stale"]
    session.commit()
    session.expire_all()
    stored = session.get(RolloutCell, cell_id)
    assert stored is not None and stored.blocker == winner and stored.version == seen + 1
    history = session.exec(select(RolloutChange).where(RolloutChange.cell_id == cell_id)).all()
    assert [(h.field, h.new_value) for h in history] == [("blocker", winner)]
