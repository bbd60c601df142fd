"""User administration for the IT department: create accounts, change roles, end sessions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import col, select
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portfolio.auth import current_actor
from portfolio.db import get_session
from portfolio.domain import LABELS, ChangeSource, Role
from portfolio.projects.models import Person
from portfolio.projects.services import References
from portfolio.users import services as svc
from portfolio.users.audit import audit_entry
from portfolio.users.models import User

bp = Blueprint("users", __name__, url_prefix="/brugere")

ROLE_CHOICES = [SelectChoice(r.value, LABELS[r]) for r in Role]


class UserForm(FlaskForm):
    name = StringField(
        _l("Navn"), validators=[DataRequired(_l("Skriv brugerens navn.")), Length(max=200)]
    )
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Skriv en e-mail.")), Length(max=254)]
    )
    role = SelectField(_l("Rolle"), choices=ROLE_CHOICES)
    person = StringField(
        _l("Procesejer for"),
        description=_l(
            "Personen, som står som procesejer på projekterne (kræves for procesejere)."
        ),
        validators=[Optional(), Length(max=200)],
    )
    password = PasswordField(
        _l("Adgangskode"),
        description=_l("Mindst 10 tegn. Lad feltet stå tomt for at beholde den nuværende."),
        validators=[Optional(), Length(max=500)],
    )
    active = BooleanField(_l("Aktiv"), default=True)


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
        db = get_session()
        try:
            user = svc.create_user(
                session=db,
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "reader",
                password=form.password.data or None,
                person=form.person.data or None,
            )
        except svc.UserError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            db.add(
                audit_entry(
                    actor=current_actor(),
                    action="user_create",
                    source=ChangeSource.web,
                    field="role",
                    new=user.role,
                    old=None,
                )
            )
            db.commit()
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
        role = Role(form.role.data or "reader")
        person = References(db).person(form.person.data) if form.person.data else None
        if role == Role.owner and person is None:
            form.person.errors = [_("En procesejer skal knyttes til en person.")]
        else:
            changes: dict[str, tuple[object, object]] = {
                "name": (user.name, (form.name.data or "").strip()),
                "role": (user.role.value, role.value),
                "person": (
                    user.person.name if user.person else None,
                    person.name if person else None,
                ),
                "active": (user.active, bool(form.active.data)),
            }
            user.name, user.role, user.person, user.active = (
                (form.name.data or "").strip(),
                role,
                person,
                bool(form.active.data),
            )
            if form.password.data:
                try:
                    svc.set_password(db, user, form.password.data)
                except svc.UserError as exc:
                    form.password.errors = [str(exc)]
                    return render_template(
                        "users/form.html", form=form, user=user, people=_people()
                    )
                changes["password"] = ("***", "*** (ny)")
            if changes["role"][0] != changes["role"][1] or not user.active:
                svc.end_sessions(db, user)  # new rights take effect at once
            for field, (old, new) in changes.items():
                if old != new:
                    db.add(
                        audit_entry(
                            actor=current_actor(),
                            action="user_update",
                            source=ChangeSource.web,
                            field=f"{user.email}:{field}",
                            old=old,
                            new=new,
                        )
                    )
            db.add(user)
            db.commit()
            flash(_("Brugeren %(email)s er opdateret.", email=user.email), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user, people=_people())
