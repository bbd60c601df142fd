"""A small municipality with three apps to roll out: departments that differ in pace and size,
chiefs, blackouts. Used by the rollout tests (pass the test's session; it commits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from portfolio.domain import ChangeSource
from portfolio.projects.models import Department, Person, Project
from portfolio.rollout.models import Blackout, Rollout
from portfolio.rollout.services import start_rollout

# name: (chief, head count, implementation factor)
DEPARTMENTS = {
    "Børn & Familie": ("Lise Holm", 420, 1.5),
    "Skoler & Uddannelser": ("Henrik Mortensen", 900, 2.0),
    "Miljø & Teknik": ("Birgitte Lund", 260, 1.0),
    "Økonomi & Stab": ("Peter Damgaard", 140, 1.0),
}
APPS = {"Bilagsapp": 4, "Kørselsapp": 3, "Fraværsapp": 5}  # base weeks


@dataclass
class RolloutWorld:
    departments: dict[str, Department]
    chiefs: dict[str, Person]  # by department name
    apps: dict[str, Project]
    rollouts: dict[str, Rollout]


def make_rollout_world(
    session: Session, make_project: Callable[..., Project], **project_fields: Any
) -> RolloutWorld:
    """Departments with chiefs, head counts and factors; July and Christmas for all, winter
    holiday for the schools; the three apps with a rollout (every cell Ikke startet)."""
    apps = {
        name: make_project(
            name=name,
            kind="operational",
            phase="implementation",
            department="Økonomi & Stab",
            **project_fields,
        )
        for name in APPS
    }
    departments: dict[str, Department] = {}
    chiefs: dict[str, Person] = {}
    for name, (chief, heads, factor) in DEPARTMENTS.items():
        department = session.exec(select(Department).where(Department.name == name)).first()
        if department is None:
            department = Department(name=name)
        person = session.exec(select(Person).where(Person.name == chief)).first()
        if person is None:
            person = Person(name=chief, title=f"Chefen for {name}")
            session.add(person)
            session.flush()
        department.chief_id = person.id
        department.head_count = heads
        department.implementation_factor = factor
        session.add(department)
        session.flush()
        assert department.id is not None
        session.add(
            Blackout(
                department_id=department.id,
                label="juli",
                start_month=7,
                start_day=1,
                end_month=7,
                end_day=31,
            )
        )
        session.add(
            Blackout(
                department_id=department.id,
                label="jul",
                start_month=12,
                start_day=20,
                end_month=1,
                end_day=2,
            )
        )
        if name == "Skoler & Uddannelser":
            session.add(
                Blackout(
                    department_id=department.id,
                    label="vinterferie",
                    start_month=2,
                    start_day=12,
                    end_month=2,
                    end_day=18,
                )
            )
        departments[name] = department
        chiefs[name] = person
    rollouts = {
        name: start_rollout(
            session=session,
            project=project,
            actor="testfixture",
            source=ChangeSource.cli,
            base_weeks=APPS[name],
        )
        for name, project in apps.items()
    }
    session.commit()
    return RolloutWorld(departments, chiefs, apps, rollouts)
