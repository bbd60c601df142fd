"""Creating, changing, archiving and listing projects, with their status history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from portfolio.domain import ChangeSource, Kind, Phase, Scope, Status
from portfolio.models import (
    TRACKED_FIELDS,
    Department,
    Person,
    Project,
    StatusUpdate,
    utcnow,
)

# Plain columns of Project that a form, an import or the CLI may set directly.
SCALAR_FIELDS = (
    "name",
    "case_number",
    "scope",
    "kind",
    "phase",
    "status",
    "status_comment",
    "start_date",
    "end_date",
    "baseline_end_date",
    "budget_dkk",
    "description",
    "link",
)
# Fields given by name and stored as a reference.
REFERENCE_FIELDS = ("department", "process_owner", "project_lead")
EDITABLE_FIELDS = SCALAR_FIELDS + REFERENCE_FIELDS
# The order of DOMAIN.md, used for JSON and exports.
CANONICAL_ORDER = (
    "name",
    "case_number",
    "scope",
    "kind",
    "department",
    "process_owner",
    "project_lead",
    "phase",
    "status",
    "status_comment",
    "start_date",
    "end_date",
    "baseline_end_date",
    "budget_dkk",
    "description",
    "link",
)

ENUMS: dict[str, Any] = {"scope": Scope, "kind": Kind, "phase": Phase, "status": Status}


class StaleProjectError(Exception):
    """The project was changed by someone else after the form was opened."""

    def __init__(self, project: Project) -> None:
        super().__init__(f"project {project.id} is at version {project.version}")
        self.project = project


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


def get_or_create_department(session: Session, name: str | None) -> Department | None:
    name = (name or "").strip()
    if not name:
        return None
    found = session.exec(select(Department).where(Department.name == name)).first()
    if found is None:
        found = Department(name=name)
        session.add(found)
        session.flush()
    return found


def get_or_create_person(
    session: Session, name: str | None, title: str | None = None
) -> Person | None:
    name = (name or "").strip()
    if not name:
        return None
    found = session.exec(select(Person).where(Person.name == name)).first()
    if found is None:
        found = Person(name=name, title=title)
        session.add(found)
        session.flush()
    elif title and not found.title:
        found.title = title
    return found


def current_values(project: Project) -> dict[str, Any]:
    """The project's editable fields, references as names."""
    values = {name: getattr(project, name) for name in SCALAR_FIELDS}
    values["department"] = project.department.name if project.department else None
    values["process_owner"] = project.process_owner.name if project.process_owner else None
    values["project_lead"] = project.project_lead.name if project.project_lead else None
    return values


def _normalise(name: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if value is not None and name in ENUMS:
        return ENUMS[name](value)
    return value


def diff_project(project: Project, data: Mapping[str, Any]) -> list[Change]:
    """What would change if `data` were applied; keys not in `data` are left alone."""
    old = current_values(project)
    changes = []
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        new = _normalise(name, data[name])
        if new != old[name]:
            changes.append(Change(name, old[name], new))
    return changes


def _history_value(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if hasattr(value, "value") else value)


def apply_changes(
    *,
    session: Session,
    project: Project,
    changes: Iterable[Change],
    actor: str,
    source: ChangeSource,
    import_ref: str | None = None,
) -> list[Change]:
    """Write changes to the project and record status, phase and comment in the history."""
    applied = list(changes)
    if not applied:
        return applied
    now = utcnow()
    for change in applied:
        if change.field == "department":
            project.department = get_or_create_department(session, change.new)
        elif change.field in ("process_owner", "project_lead"):
            setattr(project, change.field, get_or_create_person(session, change.new))
        else:
            setattr(project, change.field, change.new)
        if change.field in TRACKED_FIELDS and project.id is not None:
            session.add(
                StatusUpdate(
                    project_id=project.id,
                    changed_at=now,
                    changed_by=actor,
                    field=change.field,
                    old_value=_history_value(change.old),
                    new_value=_history_value(change.new),
                    source=source,
                    import_ref=import_ref,
                )
            )
    project.version += 1
    project.updated_at = now
    session.add(project)
    session.flush()
    return applied


def create_project(
    *,
    session: Session,
    data: Mapping[str, Any],
    actor: str,
    source: ChangeSource,
    import_ref: str | None = None,
) -> Project:
    """A new project; its first status, phase and comment start its history."""
    scalars = {name: _normalise(name, data.get(name)) for name in SCALAR_FIELDS}
    # References first: looking them up flushes, and the new project must not be half-linked.
    department = get_or_create_department(session, data.get("department"))
    owner = get_or_create_person(session, data.get("process_owner"))
    lead = get_or_create_person(session, data.get("project_lead"))
    project = Project(**scalars, department=department, process_owner=owner, project_lead=lead)
    if project.baseline_end_date is None:
        project.baseline_end_date = project.end_date
    session.add(project)
    session.flush()
    assert project.id is not None  # noqa: S101  (flush assigns it)
    for name in TRACKED_FIELDS:
        value = getattr(project, name)
        if value is not None:
            session.add(
                StatusUpdate(
                    project_id=project.id,
                    changed_at=project.created_at,
                    changed_by=actor,
                    field=name,
                    old_value=None,
                    new_value=_history_value(value),
                    source=source,
                    import_ref=import_ref,
                )
            )
    session.flush()
    return project


def update_project(
    *,
    session: Session,
    project: Project,
    data: Mapping[str, Any],
    actor: str,
    source: ChangeSource,
    expected_version: int | None = None,
) -> list[Change]:
    """Apply an edit; refuses when the editor saw an older version than the stored one."""
    if expected_version is not None and expected_version != project.version:
        raise StaleProjectError(project)
    return apply_changes(
        session=session,
        project=project,
        changes=diff_project(project, data),
        actor=actor,
        source=source,
    )


def set_archived(
    *,
    session: Session,
    project: Project,
    archived: bool,
    expected_version: int | None = None,
) -> None:
    if expected_version is not None and expected_version != project.version:
        raise StaleProjectError(project)
    if project.archived != archived:
        project.archived = archived
        project.version += 1
        project.updated_at = utcnow()
        session.add(project)
        session.flush()


# --- listing -------------------------------------------------------------------------------

FILTER_KEYS = ("scope", "kind", "department", "process_owner", "phase", "status")
NO_STATUS = "none"
SORT_KEYS = (
    "name",
    "case_number",
    "scope",
    "kind",
    "department",
    "process_owner",
    "project_lead",
    "phase",
    "status",
    "start_date",
    "end_date",
    "budget_dkk",
)


@dataclass
class ProjectFilter:
    """The list's filters as they travel in the URL: each key may hold several values."""

    scope: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    department: list[str] = field(default_factory=list)
    process_owner: list[str] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    q: str = ""
    archived: bool = False
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_args(cls, args: Any) -> ProjectFilter:
        def values(key: str, allowed: Iterable[str] | None = None) -> list[str]:
            got = [v for v in args.getlist(key) if v]
            if allowed is not None:
                allowed_set = set(allowed)
                got = [v for v in got if v in allowed_set]
            return got

        sort = args.get("sort", "name")
        return cls(
            scope=values("scope", Scope),
            kind=values("kind", Kind),
            department=values("department"),
            process_owner=values("process_owner"),
            phase=values("phase", Phase),
            status=values("status", [*Status, NO_STATUS]),
            q=(args.get("q") or "").strip()[:200],
            archived=args.get("archived") == "1",
            sort=sort if sort in SORT_KEYS else "name",
            descending=args.get("dir") == "desc",
        )

    def active(self) -> bool:
        return bool(any(getattr(self, k) for k in FILTER_KEYS) or self.q or self.archived)


def _order_case(column: Any, order: Iterable[str]) -> Any:
    return sa.case({value: i for i, value in enumerate(order)}, value=column, else_=None)


def list_projects(session: Session, flt: ProjectFilter | None = None) -> list[Project]:
    flt = flt or ProjectFilter()
    owner = sa.orm.aliased(Person)
    lead = sa.orm.aliased(Person)
    stmt = (
        select(Project)
        .outerjoin(Department, col(Project.department_id) == col(Department.id))
        .outerjoin(owner, col(Project.process_owner_id) == owner.id)
        .outerjoin(lead, col(Project.project_lead_id) == lead.id)
        .options(
            selectinload(Project.department),  # type: ignore[arg-type]
            selectinload(Project.process_owner),  # type: ignore[arg-type]
            selectinload(Project.project_lead),  # type: ignore[arg-type]
        )
        .where(col(Project.archived) == flt.archived)
    )
    for key, column in (("scope", Project.scope), ("kind", Project.kind), ("phase", Project.phase)):
        if getattr(flt, key):
            stmt = stmt.where(col(column).in_(getattr(flt, key)))
    if flt.status:
        colours = [s for s in flt.status if s != NO_STATUS]
        cond: Any = col(Project.status).in_(colours)
        if NO_STATUS in flt.status:
            cond = sa.or_(cond, col(Project.status).is_(None))
        stmt = stmt.where(cond)
    if flt.department:
        stmt = stmt.where(col(Department.name).in_(flt.department))
    if flt.process_owner:
        stmt = stmt.where(col(owner.name).in_(flt.process_owner))
    if flt.q:
        pattern = f"%{_escape_like(flt.q.lower())}%"
        stmt = stmt.where(
            sa.or_(
                *(
                    sa.func.lower(c).like(pattern, escape="\\")
                    for c in (
                        Project.name,
                        Project.case_number,
                        Project.status_comment,
                        Project.description,
                        Department.name,
                        owner.name,
                        lead.name,
                    )
                )
            )
        )
    sort_column = {
        "name": sa.func.lower(col(Project.name)),
        "case_number": col(Project.case_number),
        "scope": _order_case(Project.scope, [s.value for s in Scope]),
        "kind": _order_case(Project.kind, [k.value for k in Kind]),
        "department": sa.func.lower(col(Department.name)),
        "process_owner": sa.func.lower(owner.name),
        "project_lead": sa.func.lower(lead.name),
        "phase": _order_case(Project.phase, [p.value for p in Phase]),
        # Worst first when ascending: that is what a reader looks for.
        "status": _order_case(Project.status, ["red", "yellow", "green"]),
        "start_date": col(Project.start_date),
        "end_date": col(Project.end_date),
        "budget_dkk": col(Project.budget_dkk),
    }[flt.sort]
    primary = sort_column.desc() if flt.descending else sort_column.asc()
    stmt = stmt.order_by(primary.nulls_last(), sa.func.lower(col(Project.name)), col(Project.id))
    return list(session.exec(stmt).all())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_choices(session: Session) -> dict[str, list[str]]:
    """Departments and process owners that occur in the portfolio, for the filter menus."""
    departments = session.exec(select(Department.name).order_by(Department.name)).all()
    owners = session.exec(
        select(Person.name)
        .join(Project, col(Project.process_owner_id) == col(Person.id))
        .distinct()
        .order_by(Person.name)
    ).all()
    return {"department": list(departments), "process_owner": list(owners)}


def project_to_dict(project: Project) -> dict[str, Any]:
    """The project with canonical field names (DOMAIN.md): enums as values, dates as ISO."""
    values = current_values(project)
    out: dict[str, Any] = {"id": project.id}
    for name in CANONICAL_ORDER:
        value = values[name]
        if isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        out[name] = value
    out["archived"] = project.archived
    return out


def project_history(session: Session, project_id: int) -> list[StatusUpdate]:
    stmt = (
        select(StatusUpdate)
        .where(StatusUpdate.project_id == project_id)
        .order_by(col(StatusUpdate.changed_at).desc(), col(StatusUpdate.id).desc())
    )
    return list(session.exec(stmt).all())
