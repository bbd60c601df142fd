"""User administration for the IT department: create accounts, change roles, end sessions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import col, select
from werkzeug.wrappers import Response

from portfolio.auth import current_actor
from portfolio.db import discard, get_session
from portfolio.domain import ChangeSource
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


@bp.route("/ny", methods=["GET", "POST"])
def create() -> str | Response:
    form = UserForm()
    if form.validate_on_submit():
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
            form.email.errors = [*form.email.errors, str(exc)]
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
