"""The audit log: every change with its author, for the IT department and the council."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlmodel import col, select

from portfolio.db import get_session
from portfolio.domain import ACTION_LABELS, FIELD_LABELS, ChangeSource
from portfolio.edge import int_arg
from portfolio.meetings.services import hidden_audit_actions
from portfolio.permissions import Permission
from portfolio.projects.models import Project
from portfolio.users.audit import AuditFilter, list_audit

bp = Blueprint("audit", __name__, url_prefix="/log")


@bp.get("/")
def index() -> str:
    flt = AuditFilter(
        # Bounded: ?page= with 25 digits is the first page, not an OFFSET the database refuses.
        project_id=int_arg("project"),
        actor=(request.args.get("actor") or "")[:200],
        source=request.args.get("source") or "",
        page=int_arg("page", 1) or 1,
        hidden_actions=hidden_audit_actions(current_user.can(Permission.manage_meetings)),
    )
    session = get_session()
    entries, total = list_audit(session, flt)
    ids = {e.project_id for e in entries if e.project_id}
    found = session.exec(select(Project).where(col(Project.id).in_(ids))).all() if ids else []
    names = {p.id: p.name for p in found}
    return render_template(
        "audit/index.html",
        entries=entries,
        total=total,
        flt=flt,
        names=names,
        sources=list(ChangeSource),
        field_labels=FIELD_LABELS,
        action_labels=ACTION_LABELS,
    )
