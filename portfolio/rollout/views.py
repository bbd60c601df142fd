"""Udrulning: the grid of departments × apps, a cell's page, the departments' settings, an app's
rollout settings, and starting a rollout. Chiefs change only their own department's cells."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response

from portfolio.auth import current_actor, forbidden
from portfolio.db import get_session, refused_with
from portfolio.domain import ROLLOUT_SYMBOLS, ChangeSource, RolloutState, label
from portfolio.formats import danish_day
from portfolio.permissions import Permission
from portfolio.projects.models import Department, Person, Project
from portfolio.projects.services import References
from portfolio.rollout import departments as dept_svc
from portfolio.rollout import services as svc
from portfolio.rollout.forms import (
    CELL_LABELS,
    CellForm,
    DepartmentsForm,
    RolloutSettingsForm,
    StartRolloutForm,
)
from portfolio.rollout.grid import GO_LIVE_SORT, RolloutFilter, build_grid
from portfolio.rollout.models import Rollout, RolloutCell

bp = Blueprint("rollout", __name__, url_prefix="/udrulning")

# What an editor may set on a cell: every field, and the contact person by name.
EDITOR_FIELDS = frozenset({*svc.CELL_FIELDS, "contact"})
FORM_FIELDS = EDITOR_FIELDS


def allowed_fields(department: Department) -> frozenset[str]:
    """The cell fields this user may change in this department's cells."""
    if current_user.can(Permission.plan_rollout):
        return EDITOR_FIELDS
    if current_user.can(Permission.update_rollout, department=department):
        return svc.CHIEF_FIELDS
    return frozenset()


def _template_globals() -> dict[str, Any]:
    return {"symbols": ROLLOUT_SYMBOLS, "states": list(RolloutState), "cell_labels": CELL_LABELS}


def _start_form(session: Session) -> StartRolloutForm | None:
    if not current_user.can(Permission.plan_rollout):
        return None
    form = StartRolloutForm()
    form.project_id.choices = startable_projects(session)
    return form


def startable_projects(session: Session) -> list[tuple[int, str]]:
    """Active projects without a rollout, by name: what "Start udrulning" offers."""
    started = select(Rollout.project_id)
    rows = session.exec(
        select(Project.id, Project.name)
        .where(col(Project.archived).is_(False), col(Project.id).not_in(started))
        .order_by(col(Project.name))
    ).all()
    return [(int(pid), name) for pid, name in rows if pid is not None]


@bp.get("/")
def index() -> str:
    session = get_session()
    flt = RolloutFilter.from_args(request.args)
    grid = build_grid(session, flt)
    editable = {row.department.id: bool(allowed_fields(row.department)) for row in grid.rows}
    return render_template(
        "rollout/index.html",
        flt=flt,
        grid=grid,
        editable=editable,
        go_live_sort=GO_LIVE_SORT,
        start_form=_start_form(session),
        today=svc.today(),
        **_template_globals(),
    )


@bp.post("/start")
def start() -> Response:
    session = get_session()
    form = StartRolloutForm()
    form.project_id.choices = startable_projects(session)
    if not form.validate_on_submit():
        flash(_("Vælg et projekt, der ikke har en udrulning endnu."), "error")
        return redirect(url_for("rollout.index"))
    project = session.get(Project, form.project_id.data)
    if project is None:
        abort(404)
    svc.start_rollout(
        session=session, project=project, actor=current_actor(), source=ChangeSource.web
    )
    flash(
        _(
            "Udrulningen af “%(name)s” er startet: én celle pr. afdeling, alle “Ikke startet”.",
            name=project.name,
        ),
        "success",
    )
    return redirect(url_for("rollout.index", app=project.id))


# --- a cell ------------------------------------------------------------------------------------


def _cell_context(session: Session, cell_id: int) -> tuple[RolloutCell, Project, Department]:
    cell = session.get(RolloutCell, cell_id)
    if cell is None:
        abort(404)
    project = session.get(Project, cell.project_id)
    department = session.get(Department, cell.department_id)
    if project is None or department is None:
        abort(404)
    return cell, project, department


def _readiness_choices(rollout: Rollout | None, cell: RolloutCell) -> list[tuple[str, str]]:
    items = rollout.checklist_items if rollout else []
    extra = [i for i in cell.readiness_items if i not in items]  # ticked before the list changed
    return [(i, i) for i in [*items, *extra]]


def _cell_form(cell: RolloutCell, rollout: Rollout | None, formdata: Any = None) -> CellForm:
    contact = get_session().get(Person, cell.contact_id) if cell.contact_id else None
    data = {
        "state": cell.state.value,
        "planned_start": cell.planned_start,
        "planned_go_live": cell.planned_go_live,
        "baseline_go_live": cell.baseline_go_live,
        "actual_go_live": cell.actual_go_live,
        "implementation_weeks": cell.implementation_weeks,
        "users": cell.users,
        "blocker": cell.blocker or "",
        "readiness": cell.readiness_items,
        "contact": contact.name if contact else "",
        "version": cell.version,
    }
    form = CellForm(formdata=formdata, data=data) if formdata is not None else CellForm(data=data)
    form.readiness.choices = _readiness_choices(rollout, cell)
    return form


def _history_text(name: str, value: str | None, people: dict[int, str]) -> str:
    if value is None or value == "":
        return "–"
    if name == "state":
        return label(value) or value
    if name.endswith(("_start", "_go_live")):
        try:
            return danish_day(date.fromisoformat(value))
        except ValueError:
            return value
    if name == "readiness":
        return ", ".join(line for line in value.splitlines() if line.strip())
    if name == "contact_id" and value.isdigit():
        return people.get(int(value), value)
    return value


def _render_cell(
    session: Session,
    cell: RolloutCell,
    project: Project,
    department: Department,
    form: CellForm,
    *,
    message: str | None = None,
) -> str:
    history = svc.cell_history(session, cell.id or 0)
    person_ids = {
        int(v)
        for h in history
        if h.field == "contact_id"
        for v in (h.old_value, h.new_value)
        if v and v.isdigit()
    }
    if cell.contact_id:
        person_ids.add(cell.contact_id)
    people = {
        pid: name
        for pid, name in session.exec(
            select(Person.id, Person.name).where(col(Person.id).in_(person_ids))
        ).all()
        if pid is not None
    }
    rows = [
        (
            h,
            CELL_LABELS.get(h.field, h.field),
            _history_text(h.field, h.old_value, people),
            _history_text(h.field, h.new_value, people),
        )
        for h in history
    ]
    chief = session.get(Person, department.chief_id) if department.chief_id else None
    return render_template(
        "rollout/cell.html",
        cell=cell,
        project=project,
        department=department,
        chief=chief,
        contact=people.get(cell.contact_id) if cell.contact_id else None,
        form=form,
        allowed=allowed_fields(department),
        history=rows,
        late=svc.is_late(cell),
        slip=svc.slip_days(cell),
        message=message,
        people=list(session.exec(select(Person.name).order_by(col(Person.name)))),
        **_template_globals(),
    )


@bp.get("/celle/<int:cell_id>")
def cell(cell_id: int) -> str:
    session = get_session()
    cell, project, department = _cell_context(session, cell_id)
    rollout = svc.rollout_for(session, project.id or 0)
    return _render_cell(session, cell, project, department, _cell_form(cell, rollout))


def _wanted_changes(
    form: CellForm, cell: RolloutCell, allowed: frozenset[str], session: Session
) -> dict[str, Any]:
    """The allowed fields whose submitted value differs from the cell's."""
    wanted: dict[str, Any] = {}
    for name in sorted(allowed - {"contact"}):
        if name == "state":
            value: Any = RolloutState(form.state.data)
        elif name == "readiness":
            order = [value for value, _text in form.readiness.choices]  # type: ignore[union-attr]
            chosen = set(form.readiness.data or [])
            value = "\n".join(item for item in order if item in chosen)
        elif name == "blocker":
            value = (form.blocker.data or "").replace("\r\n", "\n").strip() or None
        else:
            value = form[name].data
        if value != getattr(cell, name):
            wanted[name] = value
    if "contact" in allowed:
        name = (form.contact.data or "").strip()
        person = References(session).person(name[:200]) if name else None
        if person is not None and person.id is None:
            session.flush()
        contact_id = person.id if person else None
        if contact_id != cell.contact_id:
            wanted["contact_id"] = contact_id
    return wanted


@bp.post("/celle/<int:cell_id>")
def update_cell(cell_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    cell, project, department = _cell_context(session, cell_id)
    allowed = allowed_fields(department)
    if not allowed:
        forbidden("not this department's chief")
    posted = set(request.form) & FORM_FIELDS
    if posted - allowed:
        forbidden(f"may not change {sorted(posted - allowed)}")
    rollout = svc.rollout_for(session, project.id or 0)
    form = CellForm()
    form.readiness.choices = _readiness_choices(rollout, cell)
    if not form.validate_on_submit():
        return _render_cell(session, cell, project, department, form), 400

    def refused(exc: Exception) -> tuple[str, int]:
        fresh = _cell_form(cell, rollout)
        stale = isinstance(exc, svc.StaleRolloutError)
        page = _render_cell(session, cell, project, department, fresh, message=str(exc))
        return page, 409 if stale else 400

    with refused_with(svc.RolloutError, refused):
        expected = form.expected_version()
        if expected != cell.version:
            raise svc.StaleRolloutError(
                _(
                    "Cellen er ændret af en anden, siden du åbnede den. Intet er gemt: "
                    "se de nye værdier, og prøv igen."
                )
            )
        changed = svc.update_cell(
            session=session,
            cell=cell,
            changes=_wanted_changes(form, cell, allowed, session),
            actor=current_actor(),
            source=ChangeSource.web,
            expected_version=expected,
        )
    if changed:
        flash(_("Ændringerne er gemt."), "success")
    else:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("rollout.cell", cell_id=cell.id))


# --- departments ---------------------------------------------------------------------------------


def _departments_form(session: Session) -> DepartmentsForm:
    blackouts = dept_svc.blackouts_by_department(session)
    people = dict(session.exec(select(Person.id, Person.name)).all())
    rows = []
    for d in svc.departments(session):
        own = blackouts.get(d.id or 0, [])
        periods = [
            {
                "label": b.label,
                "start": (b.start_day, b.start_month),
                "end": (b.end_day, b.end_month),
            }
            for b in own
        ]
        chief = people.get(d.chief_id, "") if d.chief_id else ""
        shown = dept_svc.DepartmentSettings(
            chief=chief or None,
            head_count=d.head_count,
            implementation_factor=d.implementation_factor,
            blackouts=tuple(dept_svc.period_of(b) for b in own),
        )
        rows.append(
            {
                "department_id": str(d.id),
                "seen": dept_svc.seen_mark(shown),
                "chief": chief,
                "head_count": d.head_count,
                "implementation_factor": d.implementation_factor,
                "blackouts": [*periods, {}],  # an empty row to add one
            }
        )
    return DepartmentsForm(formdata=None, data={"departments": rows})


def _render_departments(session: Session, form: DepartmentsForm, message: str | None = None) -> str:
    departments = {str(d.id): d for d in svc.departments(session)}
    return render_template(
        "rollout/departments.html",
        form=form,
        departments=departments,
        may_edit=current_user.can(Permission.plan_rollout),
        blackouts=dept_svc.blackouts_by_department(session),
        people=list(session.exec(select(Person.name).order_by(col(Person.name)))),
        chiefs=dict(session.exec(select(Person.id, Person.name)).all()),
        apps=svc.rollouts(session),
        message=message,
    )


def _show_settings(row: Any, settings: dept_svc.DepartmentSettings) -> None:
    """A department's row of the form set to its settings as they are now."""
    row.seen.data = dept_svc.seen_mark(settings)
    row.chief.data = settings.chief or ""
    row.head_count.data = settings.head_count
    row.implementation_factor.data = settings.implementation_factor
    for field in (row.seen, row.chief, row.head_count, row.implementation_factor):
        field.raw_data = None  # a field shows what was typed into it, unless told otherwise
    while row.blackouts.entries:
        row.blackouts.pop_entry()
    for period in (*settings.blackouts, None):  # and an empty row to add one
        row.blackouts.append_entry(
            {
                "label": period.label,
                "start": (period.start_day, period.start_month),
                "end": (period.end_day, period.end_month),
            }
            if period
            else {}
        )


@bp.get("/afdelinger")
def departments() -> str:
    session = get_session()
    return _render_departments(session, _departments_form(session))


@bp.post("/afdelinger")
def save_departments() -> str | Response | tuple[str, int]:
    session = get_session()
    form = DepartmentsForm()
    if not form.validate_on_submit():
        return _render_departments(session, form), 400
    settings: list[tuple[Department, dept_svc.DepartmentSettings, Any]] = []
    for row in form.departments:
        sub = row.form
        raw_id = sub.department_id.data or ""
        department = session.get(Department, int(raw_id)) if raw_id.isdigit() else None
        if department is None:
            abort(400)
        periods = tuple(
            dept_svc.BlackoutPeriod(
                b.form.label.data.strip(),
                b.form.start.data[0],
                b.form.start.data[1],
                b.form.end.data[0],
                b.form.end.data[1],
            )
            for b in sub.blackouts
            if not b.form.remove.data and not b.form.is_blank()
        )
        factor = sub.implementation_factor.data
        settings.append(
            (
                department,
                dept_svc.DepartmentSettings(
                    chief=(sub.chief.data or "").strip()[:200] or None,
                    head_count=sub.head_count.data,
                    implementation_factor=1.0 if factor is None else factor,
                    blackouts=periods,
                ),
                sub,
            )
        )

    def refused(exc: Exception) -> tuple[str, int]:
        stale = isinstance(exc, svc.StaleRolloutError)
        return _render_departments(session, form, message=str(exc)), 409 if stale else 400

    changed = 0
    with refused_with(svc.RolloutError, refused):
        # Only the rows this user changed are saved; a row someone else changed since the page
        # was opened refuses the save, and the page then shows that row as it is now.
        edited, overtaken = dept_svc.edited_rows(
            session, [(department, wanted, sub.seen.data) for department, wanted, sub in settings]
        )
        if overtaken:
            rows = {department.id: sub for department, _wanted, sub in settings}
            for department, now in overtaken:
                _show_settings(rows[department.id], now)
            raise svc.StaleRolloutError(
                _(
                    "Intet er gemt: %(names)s er ændret af en anden, siden du åbnede siden. "
                    "Dens felter viser nu de nye indstillinger; dine ændringer i de øvrige "
                    "afdelinger står stadig i felterne. Ret det, du vil, og gem igen.",
                    names=", ".join(d.name for d, _now in overtaken),
                )
            )
        for department, wanted in edited:
            changed += len(
                dept_svc.update_department(
                    session=session,
                    department=department,
                    settings=wanted,
                    actor=current_actor(),
                    source=ChangeSource.web,
                )
            )
    if changed:
        flash(_("Afdelingernes indstillinger er gemt."), "success")
    else:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("rollout.departments"))


# --- an app's rollout settings -------------------------------------------------------------------


@bp.route("/app/<int:project_id>", methods=["GET", "POST"])
def app_settings(project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    project = session.get(Project, project_id)
    rollout = svc.rollout_for(session, project_id) if project else None
    if project is None or rollout is None:
        abort(404)
    if request.method == "GET":
        form = RolloutSettingsForm(
            data={
                "base_weeks": rollout.base_weeks,
                "checklist": rollout.checklist,
                "version": rollout.version,
            }
        )
    else:
        form = RolloutSettingsForm()
    status = 200
    message = None
    if form.validate_on_submit():

        def refused(exc: Exception) -> tuple[str, int]:
            fresh = RolloutSettingsForm(
                formdata=None,
                data={
                    "base_weeks": rollout.base_weeks,
                    "checklist": rollout.checklist,
                    "version": rollout.version,
                },
            )
            stale = isinstance(exc, svc.StaleRolloutError)
            page = render_template(
                "rollout/app.html", form=fresh, project=project, rollout=rollout, message=str(exc)
            )
            return page, 409 if stale else 400

        with refused_with(svc.RolloutError, refused):
            changed = dept_svc.update_rollout_settings(
                session=session,
                rollout=rollout,
                base_weeks=int(form.base_weeks.data or 0),
                checklist=(form.checklist.data or "").splitlines(),
                actor=current_actor(),
                source=ChangeSource.web,
                expected_version=form.expected_version(),
            )
        flash(
            _("Udrulningens indstillinger er gemt.")
            if changed
            else _("Der var ingen ændringer at gemme."),
            "success" if changed else "info",
        )
        return redirect(url_for("rollout.app_settings", project_id=project_id))
    if request.method == "POST":
        status = 400
    page = render_template(
        "rollout/app.html", form=form, project=project, rollout=rollout, message=message
    )
    return page, status
