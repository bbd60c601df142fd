"""The project register: list with filters, project page, create, edit, status and archive."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select
from werkzeug.wrappers import Response

from portfolio.auth import current_actor, require
from portfolio.db import get_or_404, get_session, refused_with
from portfolio.domain import ACTION_LABELS, FIELD_LABELS, ChangeSource
from portfolio.finance.benefit_services import project_benefits
from portfolio.finance.sections import project_finance
from portfolio.forms import CsrfForm, VersionedForm, confirm_page, is_confirmed
from portfolio.meetings.services import hidden_audit_actions
from portfolio.permissions import Permission
from portfolio.projects import services as svc
from portfolio.projects.forms import ArchiveForm, ProjectEditForm, ProjectForm, StatusForm
from portfolio.projects.models import Department, Person, Project
from portfolio.rollout.grid import project_rollout
from portfolio.users.audit import AuditFilter, list_audit

bp = Blueprint("projects", __name__, url_prefix="/projekter")


def _name_choices(session: Session) -> dict[str, list[str]]:
    return {
        "departments": list(session.exec(select(Department.name).order_by(Department.name))),
        "people": list(session.exec(select(Person.name).order_by(Person.name))),
    }


@bp.get("/")
def index() -> str:
    session = get_session()
    flt = svc.ProjectFilter.from_args(request.args)
    projects = svc.list_projects(session, flt)
    return render_template(
        "projects/index.html",
        projects=projects,
        flt=flt,
        **svc.filter_options(session),
        sort_keys=svc.SORT_KEYS,
        field_labels=FIELD_LABELS,
    )


@bp.get("/eksport.xlsx")
def export() -> Response:
    """The list as it is filtered now, as a workbook in the SharePoint sheet's shape."""
    from io import BytesIO

    from flask import send_file

    from portfolio.projects.export import export_portfolio_sheet

    buffer = BytesIO()
    export_portfolio_sheet(get_session(), svc.ProjectFilter.from_args(request.args), buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"portefolje-{date.today():%Y-%m-%d}.xlsx",
    )


@bp.get("/<int:project_id>")
def detail(project_id: int) -> str:
    session = get_session()
    project = get_or_404(session, Project, project_id)
    status_form = StatusForm(
        data={
            "status": project.status.value if project.status else "",
            "phase": project.phase.value,
            "status_comment": project.status_comment or "",
            "version": project.version,
        }
    )
    archive_form = ArchiveForm(data={"version": project.version})
    audit, audit_total = list_audit(
        session,
        AuditFilter(
            project_id=project_id,
            per_page=50,
            hidden_actions=hidden_audit_actions(current_user.can(Permission.manage_meetings)),
        ),
    )
    return render_template(
        "projects/detail.html",
        project=project,
        history=svc.project_history(session, project_id),
        audit=audit,
        audit_total=audit_total,
        action_labels=ACTION_LABELS,
        status_form=status_form,
        archive_form=archive_form,
        csrf_form=CsrfForm(),
        field_labels=FIELD_LABELS,
        **project_rollout(session, project_id),
        **project_finance(session, project_id),
        **project_benefits(session, project_id),
    )


def _check_unique_case_number(session: Session, form: ProjectForm, project_id: int | None) -> bool:
    number = (form.case_number.data or "").strip()
    if not number:
        return True
    clash = session.exec(select(Project).where(Project.case_number == number)).first()
    if clash is not None and clash.id != project_id:
        form.case_number.errors = [
            *form.case_number.errors,
            _("Sagsnummeret bruges allerede af projektet “%(name)s”.", name=clash.name),
        ]
        return False
    return True


@bp.route("/ny", methods=["GET", "POST"])
def create() -> str | Response:
    session = get_session()
    form = ProjectForm()
    if form.validate_on_submit() and _check_unique_case_number(session, form, None):
        project = svc.create_project(
            session=session,
            data=form.project_data(),
            actor=current_actor(),
            source=ChangeSource.web,
        )
        flash(_("Projektet “%(name)s” er oprettet.", name=project.name), "success")
        return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None, **_name_choices(session))


@bp.route("/<int:project_id>/rediger", methods=["GET", "POST"])
def edit(project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    project = get_or_404(session, Project, project_id)
    if request.method == "GET":
        form = ProjectEditForm(data={**svc.current_values(project), "version": project.version})
        form.status.data = project.status.value if project.status else ""
    else:
        form = ProjectEditForm()
    if form.validate_on_submit() and _check_unique_case_number(session, form, project.id):
        _save(
            session,
            project,
            form.project_data(),
            form.expected_version(),
            saved=_("Ændringerne er gemt."),
            unchanged=_("Der var ingen ændringer at gemme."),
        )
        return redirect(url_for("projects.detail", project_id=project.id))
    return render_template(
        "projects/form.html", form=form, project=project, **_name_choices(session)
    )


def _conflict_if_stale(project: Project, submitted: dict[str, Any]) -> AbstractContextManager[None]:
    """Someone saved in between: nothing of this request is saved, and the page shows both
    versions side by side (409); nothing is overwritten."""

    def conflict(_exc: Exception) -> tuple[str, int]:
        rows = svc.diff_project(project, dict(submitted))
        page = render_template(
            "projects/conflict.html", project=project, rows=rows, field_labels=FIELD_LABELS
        )
        return page, 409

    return refused_with(svc.StaleProjectError, conflict)


def _save(
    session: Session,
    project: Project,
    data: dict[str, Any],
    expected_version: int,
    *,
    saved: str,
    unchanged: str,
) -> None:
    """Save a form's changes (opened at `expected_version`) and say whether there were any."""
    with _conflict_if_stale(project, data):
        changes = svc.update_project(
            session=session,
            project=project,
            data=data,
            actor=current_actor(),
            source=ChangeSource.web,
            expected_version=expected_version,
        )
    _confirm(project, saved if changes else unchanged, "success" if changes else "info")


def _confirm(project: Project, text: str, category: str) -> None:
    """Say what was saved: inside the project on "Mine projekter", else as a flash."""
    if request.form.get("back") == "mine":
        flask_session[MINE_CONFIRMATION] = {"project": project.id, "text": text}
    else:
        flash(text, category)


@bp.post("/<int:project_id>/status")
def update_status(project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    project = get_or_404(session, Project, project_id)
    require(Permission.update_status, project)
    # "Mine projekter" shows many status forms on one page, each with its own prefix.
    prefix = request.form.get("form_prefix", "")
    if prefix not in ("", f"p{project.id}"):
        abort(400)
    form = StatusForm(prefix=prefix)
    if not form.validate_on_submit():
        flash(_("Statusopdateringen kunne ikke gemmes: kontroller felterne."), "error")
        return redirect(_back(project))
    data = {
        "status": form.status.data,
        "status_comment": form.status_comment.data,
        "phase": form.phase.data or project.phase.value,
    }
    if request.form.get("and_review") == "1":
        return _save_and_review(session, project, data, form.expected_version())
    _save(
        session,
        project,
        data,
        form.expected_version(),
        saved=_("Status er opdateret."),
        unchanged=_("Status var uændret; intet er gemt."),
    )
    return redirect(_back(project))


def _back(project: Project) -> str:
    """Back to where the user came from: the same project, open, in their own list; or the
    project page."""
    if request.form.get("back") == "mine":
        return _in_mine(project)
    return url_for("projects.detail", project_id=project.id)


def _in_mine(project: Project) -> str:
    return url_for("projects.mine", aaben=project.id, _anchor=f"projekt-{project.id}")


# The confirmation of a save on "Mine projekter": shown inside the project it is about, where
# static/js/focus.js moves the focus (a flash would show at the top of the page).
MINE_CONFIRMATION = "projects.mine.confirmation"


def _save_and_review(
    session: Session, project: Project, data: dict[str, Any], expected_version: int
) -> Response | tuple[str, int]:
    """ "Gem og markér som gennemset": one POST, one unit of work."""
    require(Permission.review, project)
    with _conflict_if_stale(project, data):
        changes = svc.record_status_review(
            session=session,
            project=project,
            data=data,
            actor=current_actor(),
            expected_version=expected_version,
        )
    if changes:
        text = _("Status er gemt, og “%(name)s” er markeret som gennemset.", name=project.name)
    else:
        text = _("Status var uændret; “%(name)s” er markeret som gennemset.", name=project.name)
    _confirm(project, text, "success")
    return redirect(_back(project))


@bp.post("/<int:project_id>/gennemset")
def review(project_id: int) -> Response | tuple[str, int]:
    session = get_session()
    project = get_or_404(session, Project, project_id)
    require(Permission.review, project)
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    with _conflict_if_stale(project, {}):
        svc.mark_reviewed(
            session=session,
            project=project,
            actor=current_actor(),
            expected_version=form.expected_version(),
        )
    _confirm(project, _("“%(name)s” er markeret som gennemset.", name=project.name), "success")
    return redirect(_back(project))


@bp.get("/mine")
def mine() -> str:
    """A process owner's own projects, those that need a review first."""
    from flask import current_app

    session = get_session()
    days = int(current_app.config["REVIEW_INTERVAL_DAYS"])
    projects = svc.owned_projects(session, current_user.person_id)
    rows = [(p, svc.review_reason(p, days)) for p in projects]
    rows.sort(key=lambda r: (r[1] is None, r[0].name.lower()))
    confirmation = flask_session.pop(MINE_CONFIRMATION, None)
    opened = request.args.get("aaben", type=int)
    if opened not in {p.id for p in projects}:
        opened = None
    forms = {
        p.id: StatusForm(
            formdata=None,
            data={
                "status": p.status.value if p.status else "",
                "phase": p.phase.value,
                "status_comment": p.status_comment or "",
                "version": p.version,
            },
            prefix=f"p{p.id}",
        )
        for p, _reason in rows
    }
    return render_template(
        "projects/mine.html",
        rows=rows,
        forms=forms,
        days=days,
        changes=svc.changes_since_review(session, projects),
        opened=opened,
        confirmation=confirmation if confirmation and confirmation["project"] == opened else None,
        field_labels=FIELD_LABELS,
    )


@bp.app_context_processor
def _review_count() -> dict[str, Any]:
    """The menu's "Mine projekter (12)": a function, so the one COUNT runs only on pages whose
    menu shows the item."""

    def awaiting_review_count() -> int:
        from flask import current_app

        if not current_user.is_authenticated:
            return 0
        days = int(current_app.config["REVIEW_INTERVAL_DAYS"])
        try:
            return svc.count_awaiting_review(get_session(), current_user.person_id, days)
        except SQLAlchemyError:  # an error page while the database is away still renders
            return 0

    return {"awaiting_review_count": awaiting_review_count}


@bp.route("/<int:project_id>/arkiv", methods=["GET", "POST"])
def archive(project_id: int) -> str | Response | tuple[str, int]:
    """Archiving is asked on a page of its own (GET); a POST from that page archives.
    Bringing a project back from the archive is the undo and needs no second step."""
    session = get_session()
    project = get_or_404(session, Project, project_id)
    if request.method == "GET":
        if project.archived:
            return redirect(url_for("projects.detail", project_id=project.id))
        return _confirm_archive(project)
    form = ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    archived = form.archive.data == "1"
    if archived and not is_confirmed():  # an old one-click button: ask first, change nothing
        return redirect(url_for("projects.archive", project_id=project.id))
    with _conflict_if_stale(project, {}):
        svc.set_archived(
            session=session,
            project=project,
            archived=archived,
            actor=current_actor(),
            source=ChangeSource.web,
            expected_version=form.expected_version(),
        )
    if archived:
        flash(_("Projektet er arkiveret. Det kan findes under “Arkiverede”."), "success")
    else:
        flash(_("Projektet er hentet tilbage fra arkivet."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


def _confirm_archive(project: Project) -> str:
    return confirm_page(
        title=_("Arkivér “%(name)s”", name=project.name),
        explanation=[
            _(
                "Et arkiveret projekt vises ikke længere i projektlisten, overblikket og "
                "møderne, men kan findes under “Arkiverede”."
            ),
            _("Intet slettes: historikken bevares, og projektet kan hentes tilbage fra arkivet."),
        ],
        question=_("Vil du arkivere projektet?"),
        action=url_for("projects.archive", project_id=project.id),
        hidden={"version": project.version, "archive": "1"},
        form=ArchiveForm(formdata=None, data={"version": project.version}),
        confirm_label=_("Ja, arkivér projektet"),
        cancel=url_for("projects.detail", project_id=project.id),
        back_label=project.name,
    )
