"""The help pages: an index, one short page per area, and the login help (open to everyone)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from portfolio.domain import (
    LABELS,
    Assessment,
    BenefitType,
    MovementKind,
    Phase,
    Role,
    RolloutState,
    Status,
)
from portfolio.help.contact import login_contact
from portfolio.help.topics import (
    TOPIC_BY_SLUG,
    TOPICS,
    role_columns,
    role_rights,
    role_table,
    sheet_columns,
)

bp = Blueprint("help", __name__, url_prefix="/hjaelp")
bp.add_app_template_global(login_contact, "login_contact")


def _labels(values: Any) -> list[str]:
    return [str(LABELS[value]) for value in values]


def _extra(slug: str) -> dict[str, Any]:
    """What one area's page shows besides the text: tables taken from the code."""
    config = current_app.config
    if slug == "roller":
        return {"columns": role_columns(), "rows": role_table()}
    if slug == "import":
        return {
            "sheet_columns": sheet_columns(),
            "max_mb": int(config["MAX_CONTENT_LENGTH"]) // (1024 * 1024),
            "upload_hours": max(1, int(config["UPLOAD_MAX_AGE_SECONDS"]) // 3600),
        }
    if slug == "projekter":
        return {
            "status_label": {status.value: str(LABELS[status]) for status in Status},
            "phases": _labels(Phase),
            "review_days": int(config["REVIEW_INTERVAL_DAYS"]),
        }
    if slug == "udrulning":
        return {"states": _labels(RolloutState)}
    if slug == "oekonomi":
        return {
            "movements": _labels(MovementKind),
            "benefit_types": _labels(BenefitType),
            "assessments": _labels(Assessment),
        }
    return {}


@bp.get("/")
def index() -> str:
    return render_template("help/index.html", topics=TOPICS)


@bp.get("/<slug>")
def topic(slug: str) -> str:
    found = TOPIC_BY_SLUG.get(slug)
    if found is None:
        abort(404)
    role = Role(current_user.role)
    return render_template(
        f"help/{found.slug}.html",
        topic=found,
        topics=TOPICS,
        role=role,
        rights=role_rights(role, found.permissions),
        **_extra(found.slug),
    )


@bp.get("/login")
def login() -> str:
    """Help for someone who cannot log in yet: open without a login."""
    return render_template(
        "help/login.html",
        idle_minutes=int(current_app.config["SESSION_IDLE_MINUTES"]),
        max_days=int(current_app.config["SESSION_MAX_DAYS"]),
    )
