"""The front door: start page, language choice and a health check."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from portfolio.db import get_session
from portfolio.forms import LanguageForm
from portfolio.i18n import LANGUAGE_COOKIE

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Response:
    return redirect(url_for("overview.index"))


@bp.post("/sprog")
def language() -> Response:
    form = LanguageForm()
    target = form.next.data or ""
    # Only local paths: the form must not become an open redirect.
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for("projects.index")
    response = redirect(target)
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
def health() -> dict[str, str]:
    get_session().exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {"status": "ok", "database": current_app.extensions["portfolio_db"].dialect.name}
