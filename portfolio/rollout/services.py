"""Rollout plans as the web, the CLI, the sheet and the pack use them: the grid, cell changes
with history, and the proposed plan (portfolio/rollout/planner.py) turned into cells."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from portfolio.db import utcnow
from portfolio.domain import ChangeSource, RolloutState
from portfolio.projects.models import Department, Person, Project
from portfolio.rollout import planner
from portfolio.rollout.models import (
    Blackout,
    Rollout,
    RolloutCell,
    RolloutCellBase,
    RolloutChange,
)

CELL_FIELDS: tuple[str, ...] = tuple(RolloutCellBase.model_fields)
# What a department's chief may change in their own department's cells; the rest is the plan.
CHIEF_FIELDS = frozenset({"state", "readiness", "blocker", "actual_go_live"})
# The JSON and CLI shape of a cell (issue 14's canonical names), in reading order.
JSON_FIELDS = (
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
)
# Cells a plan places; live, irrelevant and running ones keep their dates.
PLANNABLE = frozenset({RolloutState.not_started, RolloutState.preparing, RolloutState.postponed})
DONE = frozenset({RolloutState.live, RolloutState.not_relevant})


class RolloutError(Exception):
    """A refused rollout action; the message is Danish and shown to the user as it is."""


class StaleRolloutError(RolloutError):
    """The grid changed after the form or the proposal was made."""


@dataclass(frozen=True)
class GridCell:
    """A cell with the names around it, as the grid, the sheet, the pack and the JSON show it."""

    cell: RolloutCell
    project: str
    department: str
    department_id: int
    contact: str | None

    @property
    def late(self) -> bool:
        return is_late(self.cell)

    @property
    def slip_days(self) -> int | None:
        return slip_days(self.cell)


def today() -> date:
    return utcnow().date()


def is_late(cell: RolloutCell, on: date | None = None) -> bool:
    """Planned go-live has passed and the department is not live (nor left out)."""
    return (
        cell.planned_go_live is not None
        and cell.planned_go_live < (on or today())
        and cell.state not in DONE
    )


def slip_days(cell: RolloutCell) -> int | None:
    """Days the planned go-live lies after the baseline go-live (negative: earlier)."""
    if cell.planned_go_live is None or cell.baseline_go_live is None:
        return None
    return (cell.planned_go_live - cell.baseline_go_live).days


def default_weeks(rollout: Rollout, department: Department) -> int:
    """The department's implementation time: the app's base time × the department's factor."""
    return max(1, math.ceil(rollout.base_weeks * (department.implementation_factor or 1.0)))


def departments(session: Session) -> list[Department]:
    return list(session.exec(select(Department).order_by(col(Department.name))).all())


def rollouts(session: Session) -> list[tuple[Project, Rollout]]:
    """Every project that has a rollout, by name (archived ones left out)."""
    rows = session.exec(
        select(Project, Rollout)
        .join(Rollout, col(Rollout.project_id) == col(Project.id))
        .where(col(Project.archived).is_(False))
        .order_by(col(Project.name))
    ).all()
    return [(p, r) for p, r in rows]


def rollout_for(session: Session, project_id: int) -> Rollout | None:
    return session.exec(select(Rollout).where(Rollout.project_id == project_id)).first()


def start_rollout(
    *,
    session: Session,
    project: Project,
    actor: str,
    source: ChangeSource,
    base_weeks: int = 6,
    checklist: Sequence[str] | None = None,
) -> Rollout:
    """Give a project a rollout with a cell (Ikke startet) in every department."""
    assert project.id is not None  # noqa: S101
    rollout = rollout_for(session, project.id)
    if rollout is None:
        rollout = Rollout(project_id=project.id, base_weeks=base_weeks)
        if checklist is not None:
            rollout.checklist = "\n".join(checklist)
        session.add(rollout)
        session.flush()
    existing = set(
        session.exec(
            select(RolloutCell.department_id).where(RolloutCell.project_id == project.id)
        ).all()
    )
    for department in departments(session):
        if department.id not in existing:
            assert department.id is not None  # noqa: S101
            session.add(
                RolloutCell(
                    project_id=project.id,
                    department_id=department.id,
                    implementation_weeks=default_weeks(rollout, department),
                    users=department.head_count,
                )
            )
    session.flush()
    return rollout


def grid_cells(session: Session, project_ids: Iterable[int] | None = None) -> list[GridCell]:
    """Every cell of the rollouts (or of the projects given), by department then app."""
    stmt: Any = (
        sa.select(
            RolloutCell,
            col(Project.name),
            col(Department.name),
            col(Department.id),
            col(Person.name),
        )
        .join(Project, col(Project.id) == col(RolloutCell.project_id))
        .join(Department, col(Department.id) == col(RolloutCell.department_id))
        .outerjoin(Person, col(Person.id) == col(RolloutCell.contact_id))
        .where(col(Project.archived).is_(False))
        .order_by(col(Department.name), col(Project.name))
    )
    if project_ids is not None:
        stmt = stmt.where(col(RolloutCell.project_id).in_(list(project_ids)))
    return [
        GridCell(cell=c, project=p, department=d, department_id=int(did), contact=contact)
        for c, p, d, did, contact in session.execute(stmt).all()
    ]


def cell_to_dict(grid_cell: GridCell, *, json_ready: bool = True) -> dict[str, Any]:
    """A cell in the canonical JSON shape; json_ready: dates as ISO strings and the state as
    its value, else dates and RolloutState as they are (for charts and the pack)."""
    cell = grid_cell.cell
    values: dict[str, Any] = {
        "project": grid_cell.project,
        "department": grid_cell.department,
        **{name: getattr(cell, name) for name in JSON_FIELDS[2:]},
    }
    if not json_ready:
        return values
    for key, value in values.items():
        if isinstance(value, date):
            values[key] = value.isoformat()
        elif isinstance(value, RolloutState):
            values[key] = value.value
    return values


def _history_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, RolloutState):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _normalise(name: str, value: Any) -> Any:
    if name == "state":
        return RolloutState(value)
    if isinstance(value, str):
        value = value.strip()
        if name == "readiness":
            return "\n".join(line.strip() for line in value.splitlines() if line.strip())
        return value or None
    return value


def derived_changes(cell: RolloutCell, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """What a change brings with it: going live without a date takes today's; the first
    planned go-live becomes the baseline that later slips are measured against."""
    derived: dict[str, Any] = {}
    if wanted.get("state") == RolloutState.live and not (
        wanted.get("actual_go_live") or cell.actual_go_live
    ):
        derived["actual_go_live"] = today()
    if (
        wanted.get("planned_go_live") is not None
        and cell.baseline_go_live is None
        and "baseline_go_live" not in wanted
    ):
        derived["baseline_go_live"] = wanted["planned_go_live"]
    return derived


def update_cell(
    *,
    session: Session,
    cell: RolloutCell,
    changes: Mapping[str, Any],
    actor: str,
    source: ChangeSource,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Set a cell's fields, each change a history row (who, when, old → new); returns the
    fields that changed, with what they bring with them (derived_changes)."""
    if expected_version is not None and expected_version != cell.version:
        raise StaleRolloutError(
            "Cellen er ændret af en anden, siden du åbnede den. Se de nye værdier og prøv igen."
        )
    unknown = set(changes) - set(CELL_FIELDS) - {"contact_id"}
    if unknown:
        raise RolloutError(f"Ukendte felter: {', '.join(sorted(unknown))}")
    wanted = {name: _normalise(name, value) for name, value in changes.items()}
    wanted.update(derived_changes(cell, wanted))
    when = at or utcnow()
    assert cell.id is not None  # noqa: S101
    changed: list[str] = []
    for name, new in wanted.items():
        old = getattr(cell, name)
        if old == new:
            continue
        setattr(cell, name, new)
        changed.append(name)
        session.add(
            RolloutChange(
                cell_id=cell.id,
                changed_at=when,
                changed_by=actor[:200],
                field=name,
                old_value=_history_value(old),
                new_value=_history_value(new),
                source=source,
            )
        )
    if changed:
        cell.updated_at = when
        try:
            session.flush()
        except StaleDataError as exc:
            raise StaleRolloutError(
                "Cellen blev ændret af en anden samtidig. Se de nye værdier og prøv igen."
            ) from exc
    return changed


def cell_history(session: Session, cell_id: int) -> list[RolloutChange]:
    return list(
        session.exec(
            select(RolloutChange)
            .where(RolloutChange.cell_id == cell_id)
            .order_by(col(RolloutChange.id).desc())
        ).all()
    )


def changes_between(session: Session, since: datetime, until: datetime) -> list[RolloutChange]:
    return list(
        session.exec(
            select(RolloutChange)
            .where(col(RolloutChange.changed_at) > since, col(RolloutChange.changed_at) <= until)
            .order_by(col(RolloutChange.id))
        ).all()
    )


# --- blackouts ----------------------------------------------------------------------------------


def _safe_day(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1  # 29 February in a common year, 31 in a short month


def blackout_periods(
    blackouts: Iterable[Blackout], start: date, years: int = 4
) -> dict[int, tuple[planner.Blackout, ...]]:
    """Yearly blackouts as dated periods per department id, from the year before `start` on."""
    found: dict[int, list[planner.Blackout]] = {}
    for b in blackouts:
        for year in range(start.year - 1, start.year + years):
            first = _safe_day(year, b.start_month, b.start_day)
            last_year = (
                year + 1 if (b.end_month, b.end_day) < (b.start_month, b.start_day) else year
            )
            last = _safe_day(last_year, b.end_month, b.end_day)
            found.setdefault(b.department_id, []).append(planner.Blackout(b.label, first, last))
    return {key: tuple(sorted(v, key=lambda p: p.start)) for key, v in found.items()}


def department_blackouts(session: Session) -> list[Blackout]:
    return list(
        session.exec(select(Blackout).order_by(col(Blackout.department_id), col(Blackout.id)))
    )


# --- the proposed plan --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSettings:
    """What the IT department chooses before asking for a plan."""

    project_ids: tuple[int, ...]
    start: date
    capacity: int
    order: tuple[tuple[int, int], ...] = ()  # (before project id, after project id)
    locked: frozenset[int] = frozenset()  # cell ids fixed by hand


@dataclass(frozen=True)
class Proposal:
    settings: PlanSettings
    cells: tuple[GridCell, ...]  # the cells the plan covers, in the plan's order
    plan: planner.Plan
    fingerprint: str  # the grid the plan was made from; applying checks it is unchanged

    def planned(self) -> list[tuple[GridCell, planner.PlannedCell]]:
        return list(zip(self.cells, self.plan.cells, strict=True))


def fingerprint(cells: Iterable[GridCell]) -> str:
    """The cells' ids and versions: any change to any of them changes it."""
    digest = hashlib.sha256()
    for c in sorted(cells, key=lambda g: g.cell.id or 0):
        digest.update(f"{c.cell.id}:{c.cell.version};".encode())
    return digest.hexdigest()[:32]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def propose_plan(session: Session, settings: PlanSettings) -> Proposal:
    """The planner's proposal for the chosen apps; nothing is written."""
    if not settings.project_ids:
        raise RolloutError("Vælg mindst én app til planen.")
    if settings.capacity < 1:
        raise RolloutError("Kapaciteten skal være mindst 1 samtidig udrulning.")
    cells = grid_cells(session, settings.project_ids)
    if not cells:
        raise RolloutError("De valgte apps har ingen udrulning endnu.")
    wanted = [
        c
        for c in cells
        if c.cell.state in PLANNABLE
        or (c.cell.state == RolloutState.in_progress)
        or c.cell.id in settings.locked
    ]
    depts = {d.id: d for d in departments(session)}
    periods = blackout_periods(department_blackouts(session), settings.start)
    requests: list[planner.CellRequest] = []
    for c in wanted:
        cell = c.cell
        fixed = cell.id in settings.locked or cell.state == RolloutState.in_progress
        weeks = cell.implementation_weeks or 1
        locked_start = locked_go_live = None
        if fixed and cell.planned_start and cell.planned_go_live:
            locked_start, locked_go_live = cell.planned_start, cell.planned_go_live
        elif fixed and cell.state == RolloutState.in_progress:
            # Running without dates: it started this week and takes its own time.
            locked_start = _monday(max(settings.start, today()))
            locked_go_live = locked_start + timedelta(weeks=weeks - 1, days=4)
        requests.append(
            planner.CellRequest(
                app=c.project,
                department=c.department,
                weeks=max(1, weeks),
                users=cell.users or depts[c.department_id].head_count or 0,
                locked_start=locked_start,
                locked_go_live=locked_go_live,
            )
        )
    names = {c.cell.project_id: c.project for c in cells}
    order = tuple(
        (names[a], names[b]) for a, b in settings.order if a in names and b in names and a != b
    )
    dept_names = {d.id: d.name for d in depts.values()}
    request = planner.PlanRequest(
        start=settings.start,
        capacity=settings.capacity,
        cells=tuple(requests),
        order=order,
        blackouts={dept_names[k]: v for k, v in periods.items() if k in dept_names},
    )
    try:
        plan = planner.propose_plan(request)
    except ValueError as exc:
        raise RolloutError(str(exc)) from exc
    running = planner.Reason(planner.ReasonCode.running)
    explained = tuple(
        replace(planned, reasons=(running,))
        if c.cell.state == RolloutState.in_progress and c.cell.id not in settings.locked
        else planned
        for c, planned in zip(wanted, plan.cells, strict=True)
    )
    return Proposal(settings, tuple(wanted), replace(plan, cells=explained), fingerprint(cells))


def apply_proposal(
    *,
    session: Session,
    settings: PlanSettings,
    expected_fingerprint: str,
    actor: str,
    source: ChangeSource,
) -> Proposal:
    """Make the same proposal again and write every cell of it, with history, in the caller's
    unit of work; refused when the grid changed since the proposal was shown."""
    proposal = propose_plan(session, settings)
    if proposal.fingerprint != expected_fingerprint:
        raise StaleRolloutError(
            "Udrulningen er ændret, siden planen blev foreslået. Se det nye forslag, før du "
            "bruger det."
        )
    for grid_cell, planned in proposal.planned():
        if planned.locked:
            continue
        update_cell(
            session=session,
            cell=grid_cell.cell,
            changes={
                "planned_start": planned.planned_start,
                "planned_go_live": planned.planned_go_live,
            },
            actor=actor,
            source=source,
        )
    return proposal
