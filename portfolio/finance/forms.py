"""The pool forms: a new pool, the ledger's movements (each carrying the pool's version), a
return to confirm, and a project's spending in a year."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields import TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portfolio.forms import DanishDateField, MoneyField, VersionedForm

_SIGN = re.compile(r"^\s*([+\-−–])\s*")


class SignedMoneyField(MoneyField):
    """Whole kroner with a sign: '-50.000', '−50.000 kr.' or '+50.000' (a correction)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]) if valuelist else ""
        match = _SIGN.match(raw)
        negative = bool(match and match.group(1) != "+")
        super().process_formdata([raw[match.end() :] if match else raw])
        self.raw = raw
        if negative and self.data is not None:
            self.data = -self.data

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        sign = "−" if self.data < 0 else ""
        return sign + f"{abs(self.data):,}".replace(",", ".")


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


AMOUNT_HINT = _l("Hele kroner, fx 1.250.000")


class PoolForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[InputRequired(), Length(max=200)])
    owner_body = StringField(
        _l("Ejer (organ)"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("Fx Digitaliseringsrådet"),
    )
    established_on = DanishDateField(_l("Oprettet den"), validators=[InputRequired()])
    return_share_pct = IntegerField(
        _l("Andel af realiserede økonomiske gevinster tilbage til puljen (%)"),
        default=25,
        validators=[InputRequired(), NumberRange(0, 100)],
    )
    repay_investment = BooleanField(_l("Investeringen betales tilbage først"), default=True)
    description = TextAreaField(_l("Beskrivelse"), validators=[Optional(), Length(max=4000)])


class MovementForm(VersionedForm):
    """What every movement has: an amount, a date and a note; and the pool's version."""

    amount = MoneyField(_l("Beløb"), validators=[InputRequired()], description=AMOUNT_HINT)
    occurred_on = DanishDateField(_l("Dato"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class DepositForm(MovementForm):
    source = StringField(
        _l("Kilde"),
        validators=[InputRequired(), Length(max=300)],
        description=_l("Hvor pengene kommer fra, fx Digitaliseringsstyregruppen"),
    )


class GrantForm(MovementForm):
    project_id = SelectField(_l("Projekt"), coerce=int, validators=[InputRequired()])
    decision_meeting_id = SelectField(
        _l("Besluttet på møde"), coerce=_optional_int, validators=[Optional()]
    )
    decision_case_number = StringField(
        _l("eller sagsnr. for beslutningen"),
        validators=[Optional(), Length(max=60)],
        description=_l("Udfyld mødet eller sagsnummeret"),
    )


class ReleaseForm(MovementForm):
    project_id = SelectField(_l("Projekt"), coerce=int, validators=[InputRequired()])


class CorrectionForm(MovementForm):
    amount = SignedMoneyField(
        _l("Beløb (plus eller minus)"),
        validators=[InputRequired()],
        description=_l("Fx −50.000 for at trække fra saldoen, 50.000 for at lægge til"),
    )
    note = TextAreaField(_l("Begrundelse"), validators=[InputRequired(), Length(max=4000)])


class ReturnForm(MovementForm):
    project_id = HiddenField(validators=[InputRequired()])


class SpendingForm(FlaskForm):
    """One year of a project's money; `version` is empty for a year not recorded before."""

    year = IntegerField(_l("År"), validators=[InputRequired(), NumberRange(2000, 2100)])
    budget = MoneyField(_l("Budget"), validators=[Optional()], description=AMOUNT_HINT)
    actual = MoneyField(_l("Forbrugt"), validators=[Optional()], description=AMOUNT_HINT)
    version = HiddenField()
