"""The project register: list with filters, project page, create, edit, status and archive."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session, select
from werkzeug.wrappers import Response

from portfolio.db import get_session
from portfolio.domain import FIELD_LABELS, ChangeSource, Kind, Phase, Scope, Status
from portfolio.forms import ArchiveForm, ProjectForm, StatusForm
from portfolio.models import Department, Person, Project
from portfolio.services import projects as svc

bp = Blueprint("projects", __name__, url_prefix="/projekter")


def current_actor() -> str:
    # Until accounts exist every web edit is recorded as made from the web.
    return _("Webbruger")


def _project_or_404(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        abort(404)
    return project


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
    choices = svc.filter_choices(session)
    enum_choices = {
        "scope": list(Scope),
        "kind": list(Kind),
        "phase": list(Phase),
        "status": [*Status, svc.NO_STATUS],
    }
    return render_template(
        "projects/index.html",
        projects=projects,
        flt=flt,
        choices=choices,
        enum_choices=enum_choices,
        sort_keys=svc.SORT_KEYS,
        field_labels=FIELD_LABELS,
    )


@bp.get("/<int:project_id>")
def detail(project_id: int) -> str:
    session = get_session()
    project = _project_or_404(session, project_id)
    status_form = StatusForm(
        data={
            "status": project.status.value if project.status else "",
            "phase": project.phase.value,
            "status_comment": project.status_comment or "",
            "version": project.version,
        }
    )
    archive_form = ArchiveForm(data={"version": project.version})
    return render_template(
        "projects/detail.html",
        project=project,
        history=svc.project_history(session, project_id),
        status_form=status_form,
        archive_form=archive_form,
        field_labels=FIELD_LABELS,
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
        session.commit()
        flash(_("Projektet “%(name)s” er oprettet.", name=project.name), "success")
        return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None, **_name_choices(session))


@bp.route("/<int:project_id>/rediger", methods=["GET", "POST"])
def edit(project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    project = _project_or_404(session, project_id)
    if request.method == "GET":
        form = ProjectForm(data={**svc.current_values(project), "version": project.version})
        form.status.data = project.status.value if project.status else ""
    else:
        form = ProjectForm()
    if form.validate_on_submit() and _check_unique_case_number(session, form, project.id):
        try:
            changes = svc.update_project(
                session=session,
                project=project,
                data=form.project_data(),
                actor=current_actor(),
                source=ChangeSource.web,
                expected_version=form.expected_version(),
            )
        except svc.StaleProjectError:
            session.rollback()
            return _conflict(project, form.project_data())
        session.commit()
        if changes:
            flash(_("Ændringerne er gemt."), "success")
        else:
            flash(_("Der var ingen ændringer at gemme."), "info")
        return redirect(url_for("projects.detail", project_id=project.id))
    return render_template(
        "projects/form.html", form=form, project=project, **_name_choices(session)
    )


def _conflict(project: Project, submitted: dict[str, Any]) -> tuple[str, int]:
    """Someone saved in between: show both versions side by side; nothing is overwritten."""
    mine = dict(submitted)
    rows = svc.diff_project(project, mine)
    return (
        render_template(
            "projects/conflict.html", project=project, rows=rows, field_labels=FIELD_LABELS
        ),
        409,
    )


@bp.post("/<int:project_id>/status")
def update_status(project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    project = _project_or_404(session, project_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Statusopdateringen kunne ikke gemmes: kontroller felterne."), "error")
        return redirect(url_for("projects.detail", project_id=project.id))
    data = {
        "status": form.status.data,
        "status_comment": form.status_comment.data,
        "phase": form.phase.data or project.phase.value,
    }
    try:
        changes = svc.update_project(
            session=session,
            project=project,
            data=data,
            actor=current_actor(),
            source=ChangeSource.web,
            expected_version=form.expected_version(),
        )
    except svc.StaleProjectError:
        session.rollback()
        return _conflict(project, data)
    session.commit()
    if changes:
        flash(_("Status er opdateret."), "success")
    else:
        flash(_("Status var uændret; intet er gemt."), "info")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.post("/<int:project_id>/arkiv")
def archive(project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    project = _project_or_404(session, project_id)
    form = ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    archived = form.archive.data == "1"
    try:
        svc.set_archived(
            session=session,
            project=project,
            archived=archived,
            expected_version=form.expected_version(),
        )
    except svc.StaleProjectError:
        session.rollback()
        return _conflict(project, {})
    session.commit()
    if archived:
        flash(_("Projektet er arkiveret. Det kan findes under “Arkiverede”."), "success")
    else:
        flash(_("Projektet er hentet tilbage fra arkivet."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))
