"""Logging in and out."""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from portfolio.auth import session_user
from portfolio.db import get_session, unit_of_work
from portfolio.domain import Role
from portfolio.forms import CsrfForm
from portfolio.security import local_path, start_session_clock
from portfolio.users.forms import LoginForm
from portfolio.users.models import User
from portfolio.users.services import (
    LoginGuard,
    LoginPolicy,
    begin_login,
    end_sessions,
    finish_login,
)

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(landing_page(current_user.role))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        db = get_session()
        guard = login_guard(current_app)
        # Committed before hashing: parallel guesses see this attempt at once, and no
        # transaction (SQLite's write lock) or pooled connection is held during the hash.
        with unit_of_work():
            ticket = begin_login(db, guard, form.email.data or "", request.remote_addr or "-")
        # Committed whatever the answer: a failed attempt counts although the page is a 401.
        with unit_of_work():
            result = finish_login(db, guard, ticket, form.password.data or "")
        if result.user is not None:
            session.clear()  # a fresh session: nothing from before the login carries over
            login_user(session_user(result.user))
            start_session_clock()
            return redirect(local_path(form.next.data, landing_page(Role(result.user.role))))
        # The same messages whether or not the e-mail exists: they must not tell.
        if result.busy:
            wait = max(1, math.ceil(guard.policy.hash_wait))
            message = _("Der er travlt lige nu. Prøv igen om lidt.")
            return _login_page(form, message, 503, retry_after=wait)
        if result.throttled:
            message = _("For mange mislykkede forsøg.") + " " + _wait_text(result.retry_after)
            return _login_page(form, message, 429, retry_after=result.retry_after)
        message = _("Forkert e-mail eller adgangskode.")
        if result.retry_after:
            message += " " + _wait_text(result.retry_after)
        return _login_page(form, message, 401)
    return render_template("auth/login.html", form=form)


def landing_page(role: Role) -> str:
    """Where a login lands without a `next`: a chief (process owner) on their own projects,
    which wait for their review; everyone else on the start page."""
    return url_for("projects.mine") if role == Role.owner else url_for("main.index")


GUARD_KEY = "portfolio_login_guard"


def login_guard(app: Flask) -> LoginGuard:
    """This process's guard for the app: its throttling policy and its bounded hash slots."""
    guard = app.extensions.get(GUARD_KEY)
    if guard is None:
        guard = app.extensions.setdefault(
            GUARD_KEY, LoginGuard(LoginPolicy.from_config(app.config))
        )
    return guard  # type: ignore[no-any-return]


def _login_page(
    form: LoginForm, message: str, status: int, *, retry_after: int | None = None
) -> Response:
    response = current_app.make_response(
        (render_template("auth/login.html", form=form, error=message), status)
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _wait_text(seconds: int) -> str:
    """How long to wait, in words: seconds under a minute, else minutes rounded up."""
    if seconds < 60:
        return ngettext(
            "Vent %(num)d sekund, og prøv igen.", "Vent %(num)d sekunder, og prøv igen.", seconds
        )
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Vent %(num)d minut, og prøv igen.", "Vent %(num)d minutter, og prøv igen.", minutes
    )


@bp.post("/logout")
def logout() -> Response:
    if not CsrfForm().validate_on_submit():
        return redirect(url_for("main.index"))
    db = get_session()
    user = db.get(User, int(current_user.id))
    if user is not None:
        end_sessions(db, user)
    logout_user()
    session.clear()
    flash(_("Du er logget ud."), "success")
    return redirect(url_for("auth.login"))
