"""The benefits' forms: a benefit (from BenefitBase's fields, plus owner and department) and a
measurement or assessment."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portfolio.domain import Assessment, BenefitType
from portfolio.finance.services import BENEFIT_FIELDS
from portfolio.forms import DanishDateField, VersionedForm, enum_choices

# The fields a qualitative benefit has no use for: it is assessed on the scale, not in numbers.
NUMERIC_FIELDS = frozenset(
    {
        "unit",
        "baseline_value",
        "target_pessimistic",
        "target_likely",
        "target_optimistic",
        "hourly_value_dkk",
    }
)

BENEFIT_LABELS: dict[str, Any] = {
    "title": _l("Titel"),
    "type": _l("Type"),
    "description": _l("Beskrivelse"),
    "indicator": _l("Indikator (hvordan måles den)"),
    "unit": _l("Enhed"),
    "baseline_value": _l("Nulpunkt"),
    "baseline_date": _l("Nulpunktets dato"),
    "target_pessimistic": _l("Pessimistisk mål"),
    "target_likely": _l("Sandsynligt mål"),
    "target_optimistic": _l("Optimistisk mål"),
    "full_effect_on": _l("Fuld effekt"),
    "hourly_value_dkk": _l("Værdi pr. time (kr.)"),
    "owner": _l("Gevinstejer"),
    "department": _l("Afdeling"),
}

_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+(,\d+)?")
_PLAIN = re.compile(r"-?\d{1,12}([.,]\d{1,6})?")


class NumberField(StringField):
    """A number typed the Danish way: "3.800", "2,5", "1.250.000" (or with a decimal point)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip().replace(" ", "").replace("−", "-")
        if not self.raw:
            self.data = None
            return
        if _THOUSANDS.fullmatch(self.raw) and len(self.raw) < 24:
            self.data = float(self.raw.replace(".", "").replace(",", "."))
        elif _PLAIN.fullmatch(self.raw):
            self.data = float(self.raw.replace(",", "."))
        else:
            self.data = None
            raise ValueError(_l("Skriv et tal, fx 3.800 eller 2,5."))

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        value = float(self.data)
        if value.is_integer():
            return f"{int(value):,}".replace(",", ".")
        return f"{value:g}".replace(".", ",")


class BenefitForm(VersionedForm):
    """A benefit's fields. A new benefit carries version 0; its type is chosen before the form
    (so a qualitative one never shows the numeric fields) and not changed afterwards."""

    title = StringField(
        BENEFIT_LABELS["title"],
        validators=[InputRequired(_l("Giv gevinsten en titel.")), Length(max=200)],
    )
    description = TextAreaField(
        BENEFIT_LABELS["description"],
        description=_l("For en kvalitativ gevinst: det mål, der vurderes."),
        validators=[Optional(), Length(max=4000)],
    )
    indicator = StringField(BENEFIT_LABELS["indicator"], validators=[Optional(), Length(max=300)])
    unit = StringField(
        BENEFIT_LABELS["unit"],
        description=_l("Fx kr./år eller timer/år."),
        validators=[Optional(), Length(max=40)],
    )
    baseline_value = NumberField(BENEFIT_LABELS["baseline_value"], validators=[Optional()])
    baseline_date = DanishDateField(BENEFIT_LABELS["baseline_date"], validators=[Optional()])
    target_pessimistic = NumberField(BENEFIT_LABELS["target_pessimistic"], validators=[Optional()])
    target_likely = NumberField(BENEFIT_LABELS["target_likely"], validators=[Optional()])
    target_optimistic = NumberField(BENEFIT_LABELS["target_optimistic"], validators=[Optional()])
    full_effect_on = DanishDateField(BENEFIT_LABELS["full_effect_on"], validators=[Optional()])
    hourly_value_dkk = IntegerField(
        BENEFIT_LABELS["hourly_value_dkk"],
        description=_l("Hvad en frigjort time er værd; giver gevinsten en værdi i kroner."),
        validators=[Optional(), NumberRange(0, 100_000, _l("Mellem 0 og 100.000 kr."))],
    )
    owner = StringField(BENEFIT_LABELS["owner"], validators=[Optional(), Length(max=200)])
    department = StringField(BENEFIT_LABELS["department"], validators=[Optional(), Length(max=200)])

    def benefit_values(self, kind: BenefitType) -> dict[str, Any]:
        """The BenefitBase fields as the service takes them; text trimmed, empty as None. A
        qualitative benefit's numeric fields are left out unless posted (then the service
        refuses them with its message)."""
        values: dict[str, Any] = {}
        for name in BENEFIT_FIELDS:
            if name == "type":
                continue
            if name in NUMERIC_FIELDS and kind == BenefitType.qualitative:
                if self[name].data in (None, ""):
                    continue
            data = self[name].data
            if isinstance(data, str):
                data = data.replace("\r\n", "\n").strip() or None
            values[name] = data
        return values

    def validate_full_effect_on(self, field: Field) -> None:
        start = self.baseline_date.data
        if field.data and start and field.data < start:
            raise ValidationError(_l("Fuld effekt kan ikke ligge før nulpunktets dato."))


class BenefitTypeForm(FlaskForm):
    """The first step of a new benefit: its type (GET, so nothing is sent but the choice)."""

    class Meta:
        csrf = False

    type = SelectField(BENEFIT_LABELS["type"], choices=enum_choices(BenefitType))


class MeasurementForm(FlaskForm):
    """A measurement (a value) or, for a qualitative benefit, an assessment with its evidence."""

    measured_on = DanishDateField(
        _l("Dato"), validators=[InputRequired(_l("Skriv datoen for målingen."))]
    )
    value = NumberField(_l("Målt værdi"), validators=[Optional()])
    assessment = SelectField(
        _l("Vurdering"),
        choices=[SelectChoice("", _l("Vælg …")), *enum_choices(Assessment)],
        validators=[Optional()],
    )
    comment = TextAreaField(
        _l("Kommentar"),
        description=_l("For en vurdering: hvad den bygger på (dokumentation)."),
        validators=[Optional(), Length(max=2000)],
    )
