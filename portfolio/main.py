"""The front door: start page, language choice and a health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portfolio.db import HealthReport, check_database, get_engine
from portfolio.forms import LanguageForm
from portfolio.i18n import LANGUAGE_COOKIE
from portfolio.security import local_path

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Response:
    return redirect(url_for("overview.index"))


@bp.post("/sprog")
def language() -> Response:
    form = LanguageForm()
    response = redirect(local_path(form.next.data, url_for("projects.index")))
    if form.validate_on_submit():
        response.set_cookie(
            LANGUAGE_COOKIE,
            str(form.language.data),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.get("/health")
def health() -> Response:
    """200 when the database is ready for work, 503 with what is wrong; JSON either way."""
    engine = get_engine()
    try:
        report = check_database(engine)
    except Exception:  # a bug in a check must still give the load balancer an answer
        current_app.logger.exception("the health check failed")
        report = HealthReport(
            engine.dialect.name,
            {"health": "failed"},
            message=_("Sundhedstjekket fejlede uventet; se programmets log."),
        )
    response = jsonify(report.to_json())
    response.status_code = 200 if report.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
