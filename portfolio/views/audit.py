"""The audit log: every change with its author, for the IT department and the council."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlmodel import col, select

from portfolio.db import get_session
from portfolio.domain import ACTION_LABELS, FIELD_LABELS, ChangeSource
from portfolio.models import Project
from portfolio.services.audit import AuditFilter, list_audit

bp = Blueprint("audit", __name__, url_prefix="/log")


@bp.get("/")
def index() -> str:
    flt = AuditFilter(
        project_id=request.args.get("project", type=int),
        actor=(request.args.get("actor") or "")[:200],
        source=request.args.get("source") or "",
        page=max(request.args.get("page", 1, type=int) or 1, 1),
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
