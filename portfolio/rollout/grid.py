"""The Udrulning grid as the page shows it: departments as rows, apps as columns, filtered and
sorted by the query string (so a view can be bookmarked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_login import current_user
from sqlmodel import Session, col, select

from portfolio.domain import ROLLOUT_SYMBOLS, RolloutState
from portfolio.permissions import Permission
from portfolio.projects.models import Department, Person, Project
from portfolio.rollout import services as svc
from portfolio.rollout.forms import StartRolloutForm
from portfolio.rollout.models import Rollout

SORTS = ("department", "head_count")
GO_LIVE_SORT = "app-"  # + project id: by that app's go-live


@dataclass
class RolloutFilter:
    """The grid's filters as they travel in the URL; each list key may hold several values."""

    app: list[int] = field(default_factory=list)  # project ids; none: every app
    state: list[str] = field(default_factory=list)
    department: list[str] = field(default_factory=list)
    late: bool = False
    sort: str = "department"
    descending: bool = False

    @classmethod
    def from_args(cls, args: Any) -> RolloutFilter:
        apps = [int(v) for v in args.getlist("app") if v.isdigit() and len(v) < 10]
        states = {s.value for s in RolloutState}
        sort = args.get("sort", "department")
        valid_sort = sort in SORTS or (
            sort.startswith(GO_LIVE_SORT) and sort[len(GO_LIVE_SORT) :].isdigit()
        )
        return cls(
            app=apps,
            state=[v for v in args.getlist("state") if v in states],
            department=[v for v in args.getlist("department") if v][:100],
            late=args.get("late") == "1",
            sort=sort if valid_sort else "department",
            descending=args.get("dir") == "desc",
        )

    def active(self) -> bool:
        return bool(self.app or self.state or self.department or self.late)


@dataclass
class GridRow:
    department: Department
    chief: str | None
    cells: dict[int, svc.GridCell]  # by project id


@dataclass
class Grid:
    apps: list[tuple[Project, Rollout]]  # the columns shown
    all_apps: list[tuple[Project, Rollout]]
    rows: list[GridRow]
    departments: list[str]  # every department's name, for the filter


def shown_date(cell: svc.GridCell) -> date | None:
    """The date a cell shows: actual go-live once live, else the planned go-live."""
    c = cell.cell
    if c.state == RolloutState.live and c.actual_go_live:
        return c.actual_go_live
    return c.planned_go_live


def build_grid(session: Session, flt: RolloutFilter) -> Grid:
    all_apps = svc.rollouts(session)
    apps = [(p, r) for p, r in all_apps if not flt.app or p.id in flt.app]
    ids = [p.id for p, _r in apps if p.id is not None]
    cells = svc.grid_cells(session, ids)
    by_department: dict[int, dict[int, svc.GridCell]] = {}
    for c in cells:
        by_department.setdefault(c.department_id, {})[c.cell.project_id] = c
    departments = svc.departments(session)
    chief_ids = [d.chief_id for d in departments if d.chief_id]
    chiefs = dict(
        session.exec(select(Person.id, Person.name).where(col(Person.id).in_(chief_ids))).all()
    )
    rows = [
        GridRow(d, chiefs.get(d.chief_id) if d.chief_id else None, by_department.get(d.id or 0, {}))
        for d in departments
        if d.id in by_department or not ids
    ]
    if flt.department:
        rows = [r for r in rows if r.department.name in flt.department]
    if flt.state:
        rows = [r for r in rows if any(c.cell.state in flt.state for c in r.cells.values())]
    if flt.late:
        rows = [r for r in rows if any(c.late for c in r.cells.values())]
    rows = _sorted(rows, flt)
    return Grid(apps, all_apps, rows, [d.name for d in departments])


def _sorted(rows: list[GridRow], flt: RolloutFilter) -> list[GridRow]:
    by_name = sorted(rows, key=lambda r: r.department.name.lower())
    if flt.sort == "department":
        return list(reversed(by_name)) if flt.descending else by_name
    if flt.sort == "head_count":
        known = [r for r in by_name if r.department.head_count is not None]
        unknown = [r for r in by_name if r.department.head_count is None]
        known.sort(key=lambda r: r.department.head_count or 0, reverse=flt.descending)
        return known + unknown  # no head count: last either way
    project_id = int(flt.sort[len(GO_LIVE_SORT) :])

    def day(row: GridRow) -> date | None:
        cell = row.cells.get(project_id)
        return shown_date(cell) if cell else None

    dated = [r for r in by_name if day(r) is not None]
    undated = [r for r in by_name if day(r) is None]
    dated.sort(key=lambda r: day(r) or date.min, reverse=flt.descending)
    return dated + undated


def project_rollout(session: Session, project_id: int) -> dict[str, Any]:
    """The rollout section of a project's page: its rollout (or None) and its cells."""
    rollout = svc.rollout_for(session, project_id)
    cells = svc.grid_cells(session, [project_id]) if rollout else []
    start_form = None
    if rollout is None and current_user.can(Permission.plan_rollout):
        start_form = StartRolloutForm(data={"project_id": project_id})
    return {
        "rollout": rollout,
        "rollout_cells": cells,
        "rollout_start_form": start_form,
        "rollout_symbols": ROLLOUT_SYMBOLS,
        "rollout_today": svc.today(),
    }
