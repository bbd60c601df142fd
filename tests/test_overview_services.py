"""The overview's numbers: the same projects as the list, and the traffic light month by month."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col
from werkzeug.datastructures import MultiDict

from portfolio.domain import ChangeSource
from portfolio.overview.services import end_of_day, month_ends, overview_projects, status_at, tally
from portfolio.projects.models import Project, StatusUpdate
from portfolio.projects.services import ProjectFilter, list_projects

CPH = ZoneInfo("Europe/Copenhagen")
TODAY = date(2026, 11, 22)


def test_month_ends_are_the_last_twelve_before_this_month() -> None:
    ends = month_ends(TODAY)
    assert len(ends) == 12
    assert ends[0] == date(2025, 11, 30)
    assert ends[3] == date(2026, 2, 28)
    assert ends[-1] == date(2026, 10, 31)
    assert month_ends(date(2026, 3, 1), 2) == [date(2026, 1, 31), date(2026, 2, 28)]


def test_a_day_ends_at_midnight_in_copenhagen() -> None:
    # winter time: UTC+1; summer time: UTC+2
    assert end_of_day(date(2026, 10, 31), CPH) == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert end_of_day(date(2026, 3, 31), CPH) == datetime(2026, 3, 31, 22, tzinfo=UTC)


def _history(
    session: Session, project: Project, *moves: tuple[datetime, str | None, str | None]
) -> None:
    """Replace the project's status history with these (when, old, new) moves."""
    session.execute(
        sa.delete(StatusUpdate).where(
            col(StatusUpdate.project_id) == project.id, col(StatusUpdate.field) == "status"
        )
    )
    for at, old, new in moves:
        session.add(
            StatusUpdate(
                project_id=project.id,
                changed_at=at,
                changed_by="test",
                field="status",
                old_value=old,
                new_value=new,
                source=ChangeSource.cli,
            )
        )
    session.commit()


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_status_at_each_month_end_from_a_hand_made_history(
    session: Session, make_project: Callable[..., Project]
) -> None:
    a = make_project(name="A", status="red", department="Børn & Familie")
    _history(
        session,
        a,
        (_utc(2026, 1, 15, 9), None, "green"),
        (_utc(2026, 8, 10, 9), "green", "yellow"),
        (_utc(2026, 11, 5, 9), "yellow", "red"),
    )
    b = make_project(name="B", status="green")
    _history(
        session,
        b,
        (_utc(2025, 5, 1, 9), None, "red"),
        # 00:30 on 1 April in Copenhagen (summer time): after the end of March
        (_utc(2026, 3, 31, 22, 30), "red", "green"),
    )
    c = make_project(name="C", status="yellow")  # from before the history was kept
    _history(session, c)
    d = make_project(name="D", status="green")
    _history(session, d, (_utc(2026, 10, 31, 22, 59), None, "green"))  # 23:59 on 31-10
    e = make_project(name="E", status="red")
    _history(session, e, (_utc(2026, 10, 31, 23, 1), None, "red"))  # 00:01 on 1-11
    archived = make_project(name="Arkiveret", status="red")
    archived.archived = True
    session.add(archived)
    session.commit()
    _history(session, archived, (_utc(2025, 1, 1), None, "red"))

    flt = ProjectFilter()
    rows = overview_projects(session, flt)
    assert sorted(r.name for r in rows) == ["A", "B", "C", "D", "E"]
    current = Counter(r.status_key for r in rows)
    ends = month_ends(TODAY)
    got = [dict(c) for c in status_at(session, flt, ends, CPH, current)]

    red_yellow = {"red": 1, "yellow": 1}  # B red, C yellow
    with_a = {"green": 1, "red": 1, "yellow": 1}  # and A green from 15 January
    after_b = {"green": 2, "yellow": 1}  # B green from 1 April
    after_a = {"green": 1, "yellow": 2}  # A yellow from 10 August
    assert got == [
        red_yellow,  # 30-11-2025
        red_yellow,  # 31-12-2025
        with_a,  # 31-01-2026
        with_a,  # 28-02-2026
        with_a,  # 31-03-2026
        after_b,  # 30-04-2026
        after_b,
        after_b,
        after_b,  # 31-07-2026
        after_a,  # 31-08-2026
        after_a,  # 30-09-2026
        {"green": 2, "yellow": 2},  # 31-10-2026: D counts, E not yet
    ]

    # the filter applies to the history too
    only_a = ProjectFilter.from_args(MultiDict({"department": "Børn & Familie"}))
    rows = overview_projects(session, only_a)
    got = status_at(session, only_a, ends, CPH, Counter(r.status_key for r in rows))
    assert [dict(c) for c in got] == [{}, {}] + [{"green": 1}] * 7 + [{"yellow": 1}] * 3


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": ["red", "none"]},
        {"scope": "national", "kind": "strategic"},
        {"department": "Miljø & Teknik"},
        {"process_owner": "Lise Holm"},
        {"q": "app"},
        {"sort": "budget_dkk", "dir": "desc"},
        {"sort": "status"},
        {"archived": "1"},
    ],
)
def test_the_overview_shows_the_projects_the_list_shows(
    session: Session, make_project: Callable[..., Project], query: dict[str, object]
) -> None:
    make_project(name="Bilagsapp", scope="municipal", status="yellow", budget_dkk=450_000)
    make_project(name="KY", scope="national", kind="strategic", status="green", budget_dkk=9)
    make_project(
        name="Kørselsapp", status=None, department="Miljø & Teknik", process_owner="Lise Holm"
    )
    make_project(name="ESDH", scope="national", kind="operational", status="red", budget_dkk=5)
    old = make_project(name="Gammel", status="red")
    old.archived = True
    session.add(old)
    session.commit()
    flt = ProjectFilter.from_args(MultiDict(query))
    rows = overview_projects(session, flt)
    assert [r.id for r in rows] == [p.id for p in list_projects(session, flt)]
    assert rows, "each case should select something"


def test_counts_and_budgets_per_group_and_status(
    session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(scope="national", status="red", budget_dkk=100, phase="idea")
    make_project(scope="national", status="red", budget_dkk=50)
    make_project(scope="national", status=None, budget_dkk=None)
    make_project(scope="department", status="green", department="", budget_dkk=7)
    counts = tally(overview_projects(session, ProjectFilter()))
    assert counts.status == {"red": 2, "none": 1, "green": 1}
    assert counts.scope == {
        ("national", "red"): 2,
        ("national", "none"): 1,
        ("department", "green"): 1,
    }
    assert counts.phase == {
        ("idea", "red"): 1,
        ("analysis", "red"): 1,
        ("analysis", "none"): 1,
        ("analysis", "green"): 1,
    }
    assert counts.budget_by_scope == {("national", "red"): 150, ("department", "green"): 7}
    # a project without a department is counted under ""
    assert counts.department[("", "green")] == 1
    assert counts.budget_by_department == {("Økonomi & Stab", "red"): 150, ("", "green"): 7}
