"""The demo's rollouts: the bilagsapp, kørselsapp and fraværsapp over the demo departments —
some live, some under way, one blocked, one late — dated from the day the demo is loaded."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from portfolio.demo.data import DEPARTMENTS
from portfolio.domain import ChangeSource, RolloutState
from portfolio.projects.models import Department, Person, Project
from portfolio.rollout.models import Blackout, RolloutCell
from portfolio.rollout.services import start_rollout, update_cell

# department: (head count, implementation factor: some need longer)
PACE = {
    "Børn & Familie": (620, 1.5),
    "Skoler & Uddannelser": (1450, 2.0),
    "Miljø & Teknik": (310, 1.0),
    "Økonomi & Stab": (180, 1.0),
    "Kultur & Fritid": (240, 1.25),
    "Social & Sundhed": (1900, 1.75),
    "Borgerservice": (120, 1.0),
}
APPS = {"Bilagsapp": 6, "Kørselsapp": 4, "Fraværsapp": 8}  # base weeks
# label, from (month, day), to (month, day); every department, and the schools' holidays
HOLIDAYS = (("juli", (7, 1), (7, 31)), ("jul", (12, 20), (1, 2)))
SCHOOL_HOLIDAYS = (("vinterferie", (2, 10), (2, 18)), ("efterårsferie", (10, 12), (10, 20)))

# app, department, state, then days from today: planned start, planned go-live, baseline
# go-live, actual go-live; then blocker and readiness items done.
_CELLS: tuple[tuple[Any, ...], ...] = (
    ("Bilagsapp", "Økonomi & Stab", "live", -420, -378, -378, -380, None, 4),
    ("Bilagsapp", "Miljø & Teknik", "live", -330, -288, -300, -285, None, 4),
    ("Bilagsapp", "Borgerservice", "live", -200, -158, -158, -160, None, 4),
    (
        "Bilagsapp",
        "Børn & Familie",
        "in_progress",
        -90,
        -14,
        -45,
        None,
        "Afventer oplæring af bogholdere.",
        2,
    ),
    ("Bilagsapp", "Kultur & Fritid", "preparing", 21, 77, 77, None, None, 1),
    ("Kørselsapp", "Miljø & Teknik", "live", -260, -232, -232, -230, None, 4),
    ("Kørselsapp", "Økonomi & Stab", "live", -150, -122, -122, -121, None, 4),
    (
        "Kørselsapp",
        "Social & Sundhed",
        "in_progress",
        -35,
        56,
        28,
        None,
        "Tablets til hjemmeplejen er ikke leveret; leverandøren lover uge 6.",
        1,
    ),
    ("Fraværsapp", "Borgerservice", "preparing", 14, 70, 70, None, None, 1),
    ("Fraværsapp", "Skoler & Uddannelser", "not_relevant", None, None, None, None, None, 0),
)


def _day(today: date, offset: int | None) -> date | None:
    return None if offset is None else today + timedelta(days=offset)


def load_demo_rollouts(*, session: Session, actor: str, now: datetime) -> None:
    """Departments' chiefs, pace and holidays, and the three apps' rollouts; the caller commits."""
    people = {p.name: p for p in session.exec(select(Person)).all()}
    for name, (chief, _title) in DEPARTMENTS.items():
        department = session.exec(select(Department).where(Department.name == name)).first()
        if department is None:
            department = Department(name=name)
        heads, factor = PACE[name]
        department.head_count = heads
        department.implementation_factor = factor
        if chief in people:
            department.chief_id = people[chief].id
        session.add(department)
        session.flush()
        assert department.id is not None  # noqa: S101
        holidays = HOLIDAYS + (SCHOOL_HOLIDAYS if name == "Skoler & Uddannelser" else ())
        for label, (m1, d1), (m2, d2) in holidays:
            session.add(
                Blackout(
                    department_id=department.id,
                    label=label,
                    start_month=m1,
                    start_day=d1,
                    end_month=m2,
                    end_day=d2,
                )
            )
    session.flush()
    projects = {p.name: p for p in session.exec(select(Project)).all()}
    for app, weeks in APPS.items():
        if app in projects:
            start_rollout(
                session=session,
                project=projects[app],
                actor=actor,
                source=ChangeSource.demo,
                base_weeks=weeks,
            )
    departments = {d.name: d for d in session.exec(select(Department)).all()}
    today = now.date()
    checklist = ("Superbrugere udpeget", "Oplæring gennemført", "Data klar", "Udstyr klar")
    for app, dept, state, start, go_live, baseline, actual, blocker, ready in _CELLS:
        if app not in projects:
            continue
        cell = session.exec(
            select(RolloutCell).where(
                RolloutCell.project_id == projects[app].id,
                RolloutCell.department_id == departments[dept].id,
            )
        ).one()
        update_cell(
            session=session,
            cell=cell,
            changes={
                "state": RolloutState(state),
                "planned_start": _day(today, start),
                "planned_go_live": _day(today, go_live),
                "baseline_go_live": _day(today, baseline),
                "actual_go_live": _day(today, actual),
                "blocker": blocker,
                "readiness": "\n".join(checklist[:ready]),
            },
            actor=actor,
            source=ChangeSource.demo,
            at=now - timedelta(days=7),
        )
