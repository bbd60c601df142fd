"""The accounts' forms: login and user administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portfolio.domain import LABELS, Role


class LoginForm(FlaskForm):
    # autocomplete: password managers fill the account in (WCAG 1.3.5, identify input purpose)
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(_l("Skriv din e-mail.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Adgangskode"),
        validators=[DataRequired(_l("Skriv din adgangskode.")), Length(max=500)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


ROLE_CHOICES = [SelectChoice(r.value, LABELS[r]) for r in Role]


class UserForm(FlaskForm):
    name = StringField(
        _l("Navn"), validators=[DataRequired(_l("Skriv brugerens navn.")), Length(max=200)]
    )
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Skriv en e-mail.")), Length(max=254)]
    )
    # A new account may only read until someone decides otherwise.
    role = SelectField(_l("Rolle"), choices=ROLE_CHOICES, default=Role.reader.value)
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
        # Someone else's new password: a password manager offers to make one, never the
        # administrator's own (WCAG 1.3.5).
        render_kw={"autocomplete": "new-password"},
    )
    active = BooleanField(_l("Aktiv"), default=True)
