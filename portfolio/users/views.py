"""User administration for the IT department: create accounts, change roles, end sessions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import col, select
from werkzeug.wrappers import Response

from portfolio.auth import current_actor
from portfolio.db import discard, get_session
from portfolio.domain import ChangeSource, Role
from portfolio.projects.models import Person
from portfolio.users import services as svc
from portfolio.users.forms import UserForm
from portfolio.users.models import User

bp = Blueprint("users", __name__, url_prefix="/brugere")


@bp.get("/")
def index() -> str:
    users = get_session().exec(select(User).order_by(col(User.name))).all()
    return render_template("users/index.html", users=users)


def _people() -> list[str]:
    return list(get_session().exec(select(Person.name).order_by(Person.name)))


def _new_account_problems(form: UserForm) -> bool:
    """What the service would refuse one at a time, on each field at once, so a user sees
    every problem of the form in one go. True when there is any."""
    email = svc.normalise_email(form.email.data or "")
    if email and svc.user_by_email(get_session(), email):
        form.email.errors = [
            *form.email.errors,
            _("Der findes allerede en bruger med e-mailen %(email)s.", email=email),
        ]
    password = form.password.data or ""
    if password and len(password) < svc.MIN_PASSWORD_LENGTH:
        form.password.errors = [
            *form.password.errors,
            _("Adgangskoden skal være mindst %(num)d tegn.", num=svc.MIN_PASSWORD_LENGTH),
        ]
    if form.role.data == Role.owner.value and not (form.person.data or "").strip():
        form.person.errors = [
            *form.person.errors,
            _("En procesejer skal knyttes til en person (procesejeren på projekterne)."),
        ]
    return any(f.errors for f in form)


@bp.route("/ny", methods=["GET", "POST"])
def create() -> str | Response:
    form = UserForm()
    form.password.description = _(
        "Mindst 10 tegn. Giv brugeren adgangskoden på en sikker måde. Uden adgangskode kan "
        "brugeren ikke logge ind."
    )
    # validate() first (it resets the errors), then the checks the service would make.
    valid = form.is_submitted() and form.validate()
    if form.is_submitted() and not _new_account_problems(form) and valid:
        try:
            user = svc.create_user(
                session=get_session(),
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "reader",
                password=form.password.data or None,
                person=form.person.data or None,
                actor=current_actor(),
                source=ChangeSource.web,
            )
        except svc.UserError as exc:
            discard()
            getattr(form, exc.field).errors = [str(exc)]
        else:
            flash(_("Brugeren %(email)s er oprettet.", email=user.email), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=None, people=_people())


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int) -> str | Response:
    db = get_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    form = UserForm(
        data={
            "name": user.name,
            "email": user.email,
            "role": user.role.value,
            "person": user.person.name if user.person else "",
            "active": user.active,
        }
    )
    if form.validate_on_submit():
        try:
            svc.update_user(
                session=db,
                user=user,
                name=form.name.data or "",
                role=form.role.data or "reader",
                person=form.person.data or None,
                active=bool(form.active.data),
                password=form.password.data or None,
                actor=current_actor(),
                source=ChangeSource.web,
            )
        except svc.UserError as exc:
            discard()
            getattr(form, exc.field).errors = [str(exc)]
        else:
            flash(_("Brugeren %(email)s er opdateret.", email=user.email), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user, people=_people())
