"""Logging in and out."""

from __future__ import annotations

import dataclasses
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

from portfolio.auth import landing_page, session_user
from portfolio.db import get_session, unit_of_work
from portfolio.domain import Role
from portfolio.forms import CsrfForm
from portfolio.security import local_path, start_session_clock
from portfolio.users import sso
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
    if not sso.local_login_enabled(current_app.config):
        # Single sign-on only: no password is checked here, and nothing is written.
        if request.method == "POST":
            message = _("Log ind med kommunens login. Adgangskoder bruges ikke her.")
            return _login_page(None, message, 403)
        return render_template("auth/login.html", form=None, next=_next_arg())
    return _password_login(admins_only=False)


@bp.route("/login/noedadgang", methods=["GET", "POST"])
def emergency() -> str | Response | tuple[str, int]:
    """With PORTFOLIO_LOCAL_LOGIN=0 the IT department's way in when single sign-on fails:
    the password form, for active administrators with a local password only (made with
    `portfolio create-user --role admin`). Anyone else gets the answer of a wrong password."""
    if sso.local_login_enabled(current_app.config):
        return redirect(url_for("auth.login", next=_next_arg() or None))
    if current_user.is_authenticated:
        return redirect(landing_page(current_user.role))
    return _password_login(admins_only=True)


def _next_arg() -> str:
    return local_path(request.args.get("next"), "")


def _password_login(*, admins_only: bool) -> str | Response | tuple[str, int]:
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
        if admins_only and ticket.user is not None and ticket.user.role != Role.admin:
            # Checked against the dummy hash like an unknown e-mail: the answer does not tell.
            ticket = dataclasses.replace(ticket, user=None)
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
    return render_template("auth/login.html", form=form, emergency=admins_only)


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
    form: LoginForm | None, message: str, status: int, *, retry_after: int | None = None
) -> Response:
    emergency = request.endpoint == "auth.emergency"
    page = render_template(
        "auth/login.html", form=form, error=message, emergency=emergency, next=_next_arg()
    )
    response = current_app.make_response((page, status))
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
    through_provider = bool(session.get(sso.SSO_LOGIN))
    id_token = session.get(sso.SSO_ID_TOKEN) or None
    logout_user()
    session.clear()
    flash(_("Du er logget ud."), "success")
    if through_provider and sso.sso_enabled(current_app.config):
        # RP-initiated logout: the provider ends its session too, and sends the browser back.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        target = sso.logout_url(app, id_token, url_for("auth.login", _external=True))
        if target is not None:
            return redirect(target)
    return redirect(url_for("auth.login"))
