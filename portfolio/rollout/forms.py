"""The rollout's forms: a cell, the departments' settings, an app's settings, starting one."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portfolio.domain import RolloutState
from portfolio.forms import DanishDateField, VersionedForm, enum_choices
from portfolio.rollout.departments import MAX_BASE_WEEKS, MAX_FACTOR, MAX_HEAD_COUNT

# A cell's fields as the form, the history and the grid name them.
CELL_LABELS: dict[str, Any] = {
    "state": _l("Tilstand"),
    "planned_start": _l("Planlagt start"),
    "planned_go_live": _l("Planlagt idriftsættelse"),
    "baseline_go_live": _l("Oprindelig idriftsættelse"),
    "actual_go_live": _l("Faktisk idriftsættelse"),
    "implementation_weeks": _l("Implementeringstid (uger)"),
    "users": _l("Brugere"),
    "blocker": _l("Blokering"),
    "readiness": _l("Parathed"),
    "contact_id": _l("Kontaktperson"),
    "contact": _l("Kontaktperson"),
}


class DecimalCommaField(StringField):
    """A decimal number typed the Danish way ("1,5") or with a point."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        if not self.raw:
            self.data = None
            return
        if not re.fullmatch(r"\d{1,3}([.,]\d{1,3})?", self.raw):
            self.data = None
            raise ValueError(_l("Skriv et tal med decimalkomma, fx 1,5."))
        self.data = float(self.raw.replace(",", "."))

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return f"{self.data:g}".replace(".", ",")


_DAY_MONTH = re.compile(r"(\d{1,2})[-./](\d{1,2})")


class DayMonthField(StringField):
    """A day of the year as dd-mm ("01-07"); data is (day, month) or None."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.raw = text
        if not text:
            self.data = None
            return
        match = _DAY_MONTH.fullmatch(text)
        if match is None:
            self.data = None
            raise ValueError(_l("Skriv dagen som dd-mm, fx 01-07."))
        self.data = (int(match.group(1)), int(match.group(2)))

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if not self.data:
            return ""
        day, month = self.data
        return f"{day:02d}-{month:02d}"


class BlackoutRow(Form):
    """One blackout period; an empty row is ignored, a ticked "Fjern" removes it."""

    label = StringField(_l("Navn"), validators=[Optional()])
    start = DayMonthField(_l("Fra (dd-mm)"), validators=[Optional()])
    end = DayMonthField(_l("Til (dd-mm)"), validators=[Optional()])
    remove = BooleanField(_l("Fjern"))

    def is_blank(self) -> bool:
        return not (self.label.data or "").strip() and not self.start.data and not self.end.data

    def validate_label(self, field: Field) -> None:
        if self.remove.data or self.is_blank():
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Giv perioden et navn, fx juli."))
        if len(field.data.strip()) > 60:
            raise ValidationError(_l("Navnet må højst have 60 tegn."))
        if not self.start.data or not self.end.data:
            raise ValidationError(_l("Skriv både fra og til som dd-mm."))


class DepartmentRow(Form):
    department_id = HiddenField()
    seen = HiddenField()  # the settings the page showed (departments.seen_mark)
    chief = StringField(_l("Chef"), validators=[Optional()])
    head_count = IntegerField(
        _l("Medarbejdere"),
        validators=[
            Optional(),
            NumberRange(0, MAX_HEAD_COUNT, _l("Antallet skal være 0 eller flere.")),
        ],
    )
    implementation_factor = DecimalCommaField(_l("Faktor"), validators=[Optional()])
    blackouts = FieldList(FormField(BlackoutRow), min_entries=0)

    def validate_implementation_factor(self, field: Field) -> None:
        if field.data is not None and not 0 < field.data <= MAX_FACTOR:
            raise ValidationError(
                _l("Faktoren skal være over 0 og højst %(max)s.", max=f"{MAX_FACTOR:g}")
            )


class DepartmentsForm(FlaskForm):
    departments = FieldList(FormField(DepartmentRow), min_entries=0)


class RolloutSettingsForm(VersionedForm):
    base_weeks = IntegerField(
        _l("Grundtid (uger)"),
        description=_l("En afdelings implementeringstid er grundtiden × afdelingens faktor."),
        validators=[
            InputRequired(_l("Skriv grundtiden i uger.")),
            NumberRange(1, MAX_BASE_WEEKS, _l("Grundtiden skal være mellem 1 og 104 uger.")),
        ],
    )
    checklist = TextAreaField(
        _l("Tjekliste for parathed"),
        description=_l("Ét punkt pr. linje, fx Superbrugere udpeget."),
        validators=[Optional()],
    )


class StartRolloutForm(FlaskForm):
    project_id = SelectField(_l("Projekt"), coerce=int, validate_choice=True)


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CellForm(VersionedForm):
    """Every field of a cell; a chief's form is the same with only CHIEF_FIELDS rendered."""

    state = SelectField(CELL_LABELS["state"], choices=enum_choices(RolloutState))
    planned_start = DanishDateField(CELL_LABELS["planned_start"], validators=[Optional()])
    planned_go_live = DanishDateField(CELL_LABELS["planned_go_live"], validators=[Optional()])
    baseline_go_live = DanishDateField(
        CELL_LABELS["baseline_go_live"],
        description=_l("Sættes ved den første planlagte dato; viser senere skred."),
        validators=[Optional()],
    )
    actual_go_live = DanishDateField(
        CELL_LABELS["actual_go_live"],
        description=_l("Tom ved “I drift”: dagens dato."),
        validators=[Optional()],
    )
    implementation_weeks = IntegerField(
        CELL_LABELS["implementation_weeks"],
        validators=[Optional(), NumberRange(1, 520, _l("Mellem 1 og 520 uger."))],
    )
    users = IntegerField(
        CELL_LABELS["users"],
        validators=[Optional(), NumberRange(0, MAX_HEAD_COUNT, _l("0 eller flere."))],
    )
    blocker = TextAreaField(CELL_LABELS["blocker"], validators=[Optional()])
    readiness = CheckboxListField(CELL_LABELS["readiness"], choices=[], validate_choice=True)
    contact = StringField(CELL_LABELS["contact"], validators=[Optional()])

    def validate_blocker(self, field: Field) -> None:
        if field.data and len(field.data) > 2000:
            raise ValidationError(_l("Højst 2000 tegn."))

    def validate_planned_go_live(self, field: Field) -> None:
        start = self.planned_start.data
        if field.data and start and field.data < start:
            raise ValidationError(_l("Idriftsættelsen kan ikke ligge før starten."))
