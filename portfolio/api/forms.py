"""The form that creates an API token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from portfolio.api.tokens import DEFAULT_DAYS, MAX_DAYS, MAX_NAME


class TokenForm(FlaskForm):
    name = StringField(
        _l("Navn"),
        validators=[
            InputRequired(_l("Giv nøglen et navn, fx “Power BI – porteføljerapport”.")),
            Length(max=MAX_NAME, message=_l("Navnet må højst være %(max)d tegn.")),
        ],
        description=_l("Hvad nøglen bruges til, så du kan kende den igen."),
    )
    days = IntegerField(
        _l("Gyldig i dage"),
        default=DEFAULT_DAYS,
        validators=[
            InputRequired(_l("Skriv hvor mange dage nøglen skal gælde.")),
            NumberRange(
                min=1, max=MAX_DAYS, message=_l("En nøgle kan gælde fra 1 til %(max)d dage.")
            ),
        ],
        description=_l("Højst %(num)d dage. Derefter holder nøglen op med at virke.", num=MAX_DAYS),
    )
