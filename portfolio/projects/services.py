"""Creating, changing, archiving and listing projects, with their status history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypedDict, TypeVar, get_args

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from importers.columns import HEADERS
from importers.fields import check_value
from portfolio.bulk import insert_rows
from portfolio.db import utcnow
from portfolio.domain import ChangeSource, Kind, Phase, Scope, Status
from portfolio.projects.models import (
    PROJECT_FIELDS,
    PUBLIC_FIELDS,
    REFERENCE_FIELDS,
    SCALAR_FIELDS,
    SORT_FIELDS,
    TRACKED_FIELDS,
    Department,
    Person,
    Project,
    ProjectBase,
    ProjectCreate,
    StatusUpdate,
    value_type,
)
from portfolio.users.audit import audit_entry, audit_row
from portfolio.users.models import AuditEntry

# The field lists derive from the one project shape (portfolio/projects/models.py).
EDITABLE_FIELDS = SCALAR_FIELDS + REFERENCE_FIELDS
# The order of DOMAIN.md, used for JSON and exports.
CANONICAL_ORDER = PROJECT_FIELDS


def _enum_of(annotation: Any) -> type[StrEnum] | None:
    """The enum a field holds (`Status | None` holds Status), or None."""
    for kind in (annotation, *get_args(annotation)):
        if isinstance(kind, type) and issubclass(kind, StrEnum):
            return kind
    return None


ENUMS: dict[str, type[StrEnum]] = {
    name: enum
    for name, info in ProjectBase.model_fields.items()
    if (enum := _enum_of(info.annotation)) is not None
}


class StaleProjectError(Exception):
    """The project was changed by someone else after the form was opened (or while this save
    was under way). The transaction must be rolled back; nothing of it may be kept."""

    def __init__(self, project: Project, name: str | None = None) -> None:
        # No attribute of `project` is read here: after a failed flush that would need the
        # database, and the session must be rolled back first.
        super().__init__("the project was changed by someone else")
        self.project = project
        self.name = name


def check_version(project: Project, expected_version: int | None) -> None:
    """Refuse a form made from an older version than the one loaded."""
    if expected_version is not None and expected_version != project.version:
        raise StaleProjectError(project)


@contextmanager
def versioned_write(project: Project) -> Iterator[None]:
    """The project's UPDATE is `… WHERE version = :loaded` (Project's version_id_col): a save
    that raced another one from the same version matches no row and is refused here."""
    name = project.name
    try:
        yield
    except StaleDataError as exc:
        raise StaleProjectError(project, name) from exc


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


class References:
    """Departments and people by name, loaded once and created on first use.

    One instance serves a whole import, so 10,000 rows cost two queries, not 30,000.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._departments: dict[str, Department] | None = None
        self._people: dict[str, Person] | None = None

    def department(self, name: str | None) -> Department | None:
        name = (name or "").strip()
        if not name:
            return None
        if self._departments is None:
            self._departments = {d.name: d for d in self.session.exec(select(Department))}
        found = self._departments.get(name)
        if found is None:
            found = self._departments[name] = Department(name=name)
            self.session.add(found)
        return found

    def person(self, name: str | None, title: str | None = None) -> Person | None:
        name = (name or "").strip()
        if not name:
            return None
        if self._people is None:
            self._people = {p.name: p for p in self.session.exec(select(Person))}
        found = self._people.get(name)
        if found is None:
            found = self._people[name] = Person(name=name, title=title)
            self.session.add(found)
        elif title and not found.title:
            found.title = title
        return found


def current_values(project: Project) -> dict[str, Any]:
    """The project's editable fields, references as names."""
    values = {name: getattr(project, name) for name in SCALAR_FIELDS}
    for name in REFERENCE_FIELDS:
        reference = getattr(project, name)
        values[name] = reference.name if reference is not None else None
    return values


def _normalise(name: str, value: Any, *, checked: bool = False) -> Any:
    """The value as stored; FieldError (a ValueError, in Danish) if it breaks the field's rule.

    The form and the importer check the same rules first; this is the last line of defence
    for the CLI and any later API. `checked`: the importer's rows, which passed these very
    rules (importers/fields.py) a moment ago, are not checked twice."""
    if value is None:
        return None
    if isinstance(value, str):
        # Browsers send a textarea's line breaks as CR LF, Excel keeps LF: store LF only.
        if "\r" in value:
            value = value.replace("\r\n", "\n")
        value = value.strip()
        if value == "":
            return None
    enum = ENUMS.get(name)
    if enum is not None:
        return enum(value)
    if not checked:
        check_value(name, value, label=HEADERS.get(name, name))
    return value


def diff_project(
    project: Project, data: Mapping[str, Any], *, blanks_clear: bool = True
) -> list[Change]:
    """What would change if `data` were applied; keys not in `data` are left alone.

    With blanks_clear=False an empty value never blanks a stored one (imports use that).
    """
    old = current_values(project)
    changes = []
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        new = _normalise(name, data[name])
        if new is None and not blanks_clear:
            continue
        if new != old[name]:
            changes.append(Change(name, old[name], new))
    return changes


def _history_value(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if hasattr(value, "value") else value)


class _Provenance(TypedDict):
    """Who, from where and when: shared by the history and audit rows of one change set."""

    actor: str
    source: ChangeSource
    import_run_id: int | None
    at: datetime


def history_row(
    project_id: int,
    field: str,
    old: Any,
    new: Any,
    *,
    at: datetime,
    actor: str,
    source: ChangeSource,
    import_run_id: int | None,
) -> dict[str, Any]:
    """One history entry as a row for a bulk INSERT into status_update."""
    return {
        "project_id": project_id,
        "changed_at": at,
        "changed_by": actor[:200],
        "field": field,
        "old_value": _history_value(old),
        "new_value": _history_value(new),
        "source": source,
        "import_run_id": import_run_id,
    }


def apply_changes(
    *,
    session: Session,
    project: Project,
    changes: Iterable[Change],
    actor: str,
    source: ChangeSource,
    import_run_id: int | None = None,
    refs: References | None = None,
) -> list[Change]:
    """Write changes to the project and record status, phase and comment in the history."""
    applied = list(changes)
    if not applied:
        return applied
    refs = refs or References(session)
    now = utcnow()
    common = _Provenance(actor=actor, source=source, import_run_id=import_run_id, at=now)
    history: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    with session.no_autoflush, versioned_write(project):
        _set_fields(project, applied, refs, history, audit, common)
        project.updated_at = now
        session.add(project)
        # The guarded UPDATE goes first: it takes the row's lock before any history row refers
        # to the project, so a racing save waits here and is refused, rather than deadlocking.
        session.flush()
    insert_rows(session, StatusUpdate, history)
    insert_rows(session, AuditEntry, audit)
    return applied


def _set_fields(
    project: Project,
    applied: list[Change],
    refs: References,
    history: list[dict[str, Any]],
    audit: list[dict[str, Any]],
    common: _Provenance,
) -> None:
    for change in applied:
        if change.field == "department":
            project.department = refs.department(change.new)
        elif change.field in ("process_owner", "project_lead"):
            setattr(project, change.field, refs.person(change.new))
        else:
            setattr(project, change.field, change.new)
        if change.field in TRACKED_FIELDS and project.id is not None:
            history.append(history_row(project.id, change.field, change.old, change.new, **common))
        audit.append(
            audit_row(
                action="update",
                project_id=project.id,
                field=change.field,
                old=change.old,
                new=change.new,
                **common,
            )
        )


def create_projects(
    *,
    session: Session,
    rows: Iterable[Mapping[str, Any]],
    actor: str,
    source: ChangeSource,
    import_run_id: int | None = None,
    refs: References | None = None,
    checked: bool = False,
) -> list[int]:
    """New projects in one batch; each one's first status, phase and comment start its history.
    Returns their ids, in the order of `rows`. `checked`: the rows come from the importer,
    which has checked every field's rule (see _normalise).

    Rows go in as plain bulk INSERTs (portfolio.bulk), not ORM objects: building 50,000 model
    instances for a 10,000-row import cost more than reading the workbook.
    """
    refs = refs or References(session)
    now = utcnow()
    prepared = []
    with session.no_autoflush:
        for data in rows:
            scalars = {
                name: _normalise(name, data.get(name), checked=checked) for name in SCALAR_FIELDS
            }
            if scalars["baseline_end_date"] is None:
                scalars["baseline_end_date"] = scalars["end_date"]
            names = {
                name: _normalise(name, data.get(name), checked=checked) for name in REFERENCE_FIELDS
            }
            links = (
                refs.department(names["department"]),
                refs.person(names["process_owner"]),
                refs.person(names["project_lead"]),
            )
            prepared.append((scalars, links))
    if not prepared:
        return []
    session.flush()  # new departments and people get their ids
    values = [
        {
            **scalars,
            "archived": bool(scalars.get("archived") or False),
            "department_id": department.id if department else None,
            "process_owner_id": owner.id if owner else None,
            "project_lead_id": lead.id if lead else None,
            "version": 1,
            "reviewed_at": None,
            "reviewed_by": None,
            "created_at": now,
            "updated_at": now,
        }
        for scalars, (department, owner, lead) in prepared
    ]
    ids = insert_rows(session, Project, values, return_ids=True)
    common = _Provenance(actor=actor, source=source, import_run_id=import_run_id, at=now)
    history = [
        history_row(project_id, name, None, row[name], **common)
        for project_id, row in zip(ids, values, strict=True)
        for name in TRACKED_FIELDS
        if row[name] is not None
    ]
    audit = [
        audit_row(action="create", project_id=project_id, field="name", new=row["name"], **common)
        for project_id, row in zip(ids, values, strict=True)
    ]
    insert_rows(session, StatusUpdate, history)
    insert_rows(session, AuditEntry, audit)
    return ids


def create_project(
    *,
    session: Session,
    data: Mapping[str, Any],
    actor: str,
    source: ChangeSource,
    import_run_id: int | None = None,
) -> Project:
    """A new project; its first status, phase and comment start its history."""
    (project_id,) = create_projects(
        session=session, rows=[data], actor=actor, source=source, import_run_id=import_run_id
    )
    project = session.get(Project, project_id)
    assert project is not None  # noqa: S101  (just inserted in this transaction)
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
    check_version(project, expected_version)
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
    actor: str,
    source: ChangeSource,
    expected_version: int | None = None,
    import_run_id: int | None = None,
) -> None:
    check_version(project, expected_version)
    if project.archived == archived:
        return
    was = project.archived
    project.archived = archived
    project.updated_at = utcnow()
    session.add(project)
    with versioned_write(project):
        session.flush()  # the guarded UPDATE first, as in apply_changes
    session.add(
        audit_entry(
            actor=actor,
            action="archive" if archived else "restore",
            source=source,
            project_id=project.id,
            field="archived",
            old=was,
            new=archived,
            import_run_id=import_run_id,
        )
    )
    session.flush()


def mark_reviewed(
    *, session: Session, project: Project, actor: str, expected_version: int | None = None
) -> None:
    """The process owner has gone through the project ("gennemset")."""
    check_version(project, expected_version)
    now = utcnow()
    before = project.reviewed_at
    project.reviewed_at = now
    project.reviewed_by = actor[:200]
    session.add(project)
    with versioned_write(project):
        session.flush()  # the guarded UPDATE first, as in apply_changes
    session.add(
        audit_entry(
            actor=actor,
            action="review",
            source=ChangeSource.web,
            project_id=project.id,
            field="reviewed_at",
            old=before,
            new=now,
            at=now,
        )
    )
    session.flush()


def record_status_review(
    *,
    session: Session,
    project: Project,
    data: Mapping[str, Any],
    actor: str,
    expected_version: int,
) -> list[Change]:
    """The process owner's "Gem og markér som gennemset": the status update and the review in
    the request's one unit of work. A stale version refuses both before anything is written."""
    check_version(project, expected_version)
    changes = update_project(
        session=session, project=project, data=data, actor=actor, source=ChangeSource.web
    )
    mark_reviewed(session=session, project=project, actor=actor)
    return changes


# --- listing -------------------------------------------------------------------------------

FILTER_KEYS = ("scope", "kind", "department", "process_owner", "phase", "status")
NO_STATUS = "none"
SORT_KEYS = SORT_FIELDS


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


# The people a project points to, joined under these names by filter_projects.
OWNER = sa.orm.aliased(Person, name="owner")
LEAD = sa.orm.aliased(Person, name="lead")
_Select = TypeVar("_Select", bound="sa.Select")


def _sort_column(name: str) -> Any:
    """What a list sorted by this field orders by: names without case, choices in their
    order, and status worst first when ascending (that is what a reader looks for)."""
    (column,) = project_columns([name])
    if name == "status":
        return _order_case(column, ["red", "yellow", "green"])
    kind, _ = value_type(ProjectCreate.model_fields[name])
    if issubclass(kind, StrEnum):
        return _order_case(column, [member.value for member in kind])
    return sa.func.lower(column) if kind is str else column


def filter_projects(stmt: _Select, flt: ProjectFilter) -> _Select:
    """A select from Project, joined to Department, OWNER and LEAD, filtered and sorted as `flt`
    says. The project list and the overview both use it, so they always agree."""
    stmt = (
        stmt.outerjoin(Department, col(Project.department_id) == col(Department.id))
        .outerjoin(OWNER, col(Project.process_owner_id) == OWNER.id)
        .outerjoin(LEAD, col(Project.project_lead_id) == LEAD.id)
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
        stmt = stmt.where(col(OWNER.name).in_(flt.process_owner))
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
                        OWNER.name,
                        LEAD.name,
                    )
                )
            )
        )
    sort_column = _sort_column(flt.sort)
    primary = sort_column.desc() if flt.descending else sort_column.asc()
    return stmt.order_by(primary.nulls_last(), sa.func.lower(col(Project.name)), col(Project.id))


def select_rows(session: Session, flt: ProjectFilter, *columns: Any) -> list[tuple[Any, ...]]:
    """The filtered projects as plain tuples of `columns` (of Project, Department, OWNER and
    LEAD), in the filter's order, enum columns as their stored text: a thousand rows build no
    ORM or enum objects."""

    def plain(column: Any) -> Any:
        if isinstance(getattr(column, "type", None), sa.Enum):
            return sa.type_coerce(column, sa.String())
        return column

    stmt = filter_projects(sa.select(*map(plain, columns)).select_from(Project), flt)
    # all(): iterating the result would fetch row by row on psycopg
    return [tuple(row) for row in session.connection().execute(stmt).all()]


def list_projects(session: Session, flt: ProjectFilter | None = None) -> list[Project]:
    stmt = filter_projects(select(Project), flt or ProjectFilter()).options(
        selectinload(Project.department),  # type: ignore[arg-type]
        selectinload(Project.process_owner),  # type: ignore[arg-type]
        selectinload(Project.project_lead),  # type: ignore[arg-type]
    )
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


def project_to_dict(project: Project, *, json_ready: bool = True) -> dict[str, Any]:
    """The project in its public shape (ProjectPublic, in DOMAIN.md's order): enums as their
    values, and dates as ISO text when json_ready (else as dates, for spreadsheets)."""
    values = {**current_values(project), "id": project.id, "archived": project.archived}
    out: dict[str, Any] = {}
    for name in PUBLIC_FIELDS:
        value = values[name]
        if isinstance(value, date) and json_ready:
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        out[name] = value
    return out


def project_columns(names: Iterable[str]) -> list[Any]:
    """The columns that hold these public fields, for select_rows: a reference is the name of
    the department or person filter_projects joins."""
    joined = {"department": Department.name, "process_owner": OWNER.name, "project_lead": LEAD.name}
    return [joined[name] if name in joined else getattr(Project, name) for name in names]


def owned_projects(session: Session, person_id: int | None) -> list[Project]:
    """The active projects where this person is process owner."""
    if person_id is None:
        return []
    stmt = (
        select(Project)
        .where(Project.process_owner_id == person_id, col(Project.archived).is_(False))
        .options(selectinload(Project.department))  # type: ignore[arg-type]
        .order_by(sa.func.lower(col(Project.name)))
    )
    return list(session.exec(stmt).all())


def review_reason(project: Project, interval_days: int, now: datetime | None = None) -> str | None:
    """Why the process owner should look at the project now: "never", "changed" or "stale";
    None when it is up to date."""
    from datetime import timedelta

    now = now or utcnow()
    if project.reviewed_at is None:
        return "never"
    if project.updated_at > project.reviewed_at:
        return "changed"
    if now - project.reviewed_at > timedelta(days=interval_days):
        return "stale"
    return None


def awaiting_review(interval_days: int, now: datetime | None = None) -> Any:
    """review_reason as SQL: the projects whose owner should look at them now."""
    from datetime import timedelta

    reviewed = col(Project.reviewed_at)
    due = (now or utcnow()) - timedelta(days=interval_days)
    return sa.or_(reviewed.is_(None), col(Project.updated_at) > reviewed, reviewed < due)


def count_awaiting_review(session: Session, person_id: int | None, interval_days: int) -> int:
    """How many of this person's active projects wait for their review (one COUNT query)."""
    if person_id is None:
        return 0
    stmt = (
        sa.select(sa.func.count())
        .select_from(Project)
        .where(
            col(Project.process_owner_id) == person_id,
            col(Project.archived).is_(False),
            awaiting_review(interval_days),
        )
    )
    return int(session.connection().execute(stmt).scalar_one())


@dataclass(frozen=True)
class FieldChange:
    """What became of one tracked field since the last review: first value, last value."""

    field: str
    old: str | None
    new: str | None
    times: int


def changes_since_review(
    session: Session, projects: Iterable[Project]
) -> dict[int, list[FieldChange]]:
    """Per project, the status history since its last review (since its creation if never
    reviewed), folded per field into first and last value; one query for all the projects."""
    projects = list(projects)
    ids = [p.id for p in projects if p.id is not None]
    if not ids:
        return {}
    stmt = (
        select(StatusUpdate)
        .join(Project, col(Project.id) == col(StatusUpdate.project_id))
        .where(
            col(StatusUpdate.project_id).in_(ids),
            sa.or_(
                col(Project.reviewed_at).is_(None),
                col(StatusUpdate.changed_at) > col(Project.reviewed_at),
            ),
        )
        .order_by(col(StatusUpdate.changed_at), col(StatusUpdate.id))
    )
    never = {p.id for p in projects if p.reviewed_at is None}
    folded: dict[int, dict[str, FieldChange]] = {}
    for row in session.exec(stmt).all():
        per_field = folded.setdefault(row.project_id, {})
        seen = per_field.get(row.field)
        if seen is None and row.old_value is None and row.project_id in never:
            continue  # the value the field got when the project was created: not a change
        old = seen.old if seen else row.old_value
        per_field[row.field] = FieldChange(
            row.field, old, row.new_value, (seen.times if seen else 0) + 1
        )
    order = {name: i for i, name in enumerate(TRACKED_FIELDS)}
    return {
        pid: sorted(
            (c for c in fields.values() if c.old != c.new),
            key=lambda c: order.get(c.field, len(order)),
        )
        for pid, fields in folded.items()
    }


def project_history(session: Session, project_id: int) -> list[StatusUpdate]:
    stmt = (
        select(StatusUpdate)
        .where(StatusUpdate.project_id == project_id)
        .order_by(col(StatusUpdate.changed_at).desc(), col(StatusUpdate.id).desc())
    )
    return list(session.exec(stmt).all())


def filter_options(session: Session) -> dict[str, Any]:
    """What the shared filter form (templates/_filters.html) offers to choose from."""
    return {
        "choices": filter_choices(session),
        "enum_choices": {
            "scope": list(Scope),
            "kind": list(Kind),
            "phase": list(Phase),
            "status": [*Status, NO_STATUS],
        },
    }
