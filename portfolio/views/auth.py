"""Logging in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from portfolio.auth import session_user
from portfolio.db import get_session
from portfolio.models import User
from portfolio.services.users import authenticate, end_sessions

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Skriv din e-mail.")), Length(max=254)]
    )
    password = PasswordField(
        _l("Adgangskode"), validators=[DataRequired(_l("Skriv din adgangskode.")), Length(max=500)]
    )
    next = HiddenField()


def safe_next(target: str | None) -> str:
    """Only a path on this site: the login form must not become an open redirect."""
    target = target or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    if "\\" in target:
        return url_for("main.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        db = get_session()
        result = authenticate(
            db, form.email.data or "", form.password.data or "", request.remote_addr or "-"
        )
        db.commit()
        if result.user is not None:
            session.clear()  # a fresh session: nothing from before the login carries over
            login_user(session_user(result.user))
            return redirect(safe_next(form.next.data))
        # One message for every failure: it must not tell whether the e-mail exists.
        message = _("Forkert e-mail eller adgangskode.")
        if result.throttled:
            message = _(
                "Forkert e-mail eller adgangskode, eller for mange forsøg. "
                "Vent et kvarter, og prøv igen."
            )
        return render_template("auth/login.html", form=form, error=message), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("main.index"))
    db = get_session()
    user = db.get(User, int(current_user.id))
    if user is not None:
        end_sessions(db, user)
        db.commit()
    logout_user()
    session.clear()
    flash(_("Du er logget ud."), "success")
    return redirect(url_for("auth.login"))
