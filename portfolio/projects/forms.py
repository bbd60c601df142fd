"""The register's forms: a project's fields, its status update, archiving."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from pydantic.fields import FieldInfo
from wtforms import (
    Field,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Optional,
    ValidationError,
)

from portfolio.domain import FIELD_LABELS, Phase, Status
from portfolio.forms import (
    DanishDateField,
    FieldRules,
    MoneyField,
    VersionedForm,
    enum_choices,
)
from portfolio.projects.models import (
    PROJECT_FIELDS,
    ProjectCreate,
    form_hints,
    is_long_text,
    value_type,
)

# The project form's fieldsets, in page order; each field names its own (models.shown).
FIELDSETS: dict[str, Any] = {
    "project": _l("Projektet"),
    "responsibility": _l("Ansvar"),
    "plan": _l("Status og plan"),
}


def project_field(name: str, info: FieldInfo) -> UnboundField:
    """The form field for one field of the project's shape, from its type and its shown(...):
    a choice list for an enum, a Danish date, whole kroner for an int, a text area for a TEXT
    column, else a line of text; the label is domain.FIELD_LABELS's."""
    kind, optional = value_type(info)
    hints = form_hints(info)
    label, hint = FIELD_LABELS[name], hints["hint"] or ""
    if issubclass(kind, StrEnum):
        if optional:
            choices = [SelectChoice("", hints["blank"] or ""), *enum_choices(kind)]
            return SelectField(label, choices=choices, description=hint, validators=[Optional()])
        required = [InputRequired(hints["required"])]
        return SelectField(label, choices=enum_choices(kind), description=hint, validators=required)
    if kind is date:
        return DanishDateField(label, description=hint, validators=[Optional()])
    if kind is int:
        return MoneyField(label, description=hint, validators=[Optional()])
    if kind is str:
        text = TextAreaField if is_long_text(info) else StringField
        first = Optional() if optional else DataRequired(hints["required"])
        return text(label, description=hint, validators=[first, FieldRules(name)])
    raise TypeError(f"the project form has no field for {name}: {kind.__name__}")


class ProjectForm(FlaskForm):
    """A new project: every field of the record, built from the project's model below."""

    def validate_end_date(self, field: Field) -> None:
        start = self["start_date"].data
        if field.data and start and field.data < start:
            raise ValidationError(_l("Slutdatoen kan ikke ligge før startdatoen."))

    def project_data(self) -> dict[str, Any]:
        return {name: self[name].data for name in PROJECT_FIELDS}

    def fieldsets(self) -> list[tuple[Any, list[tuple[Field, str | None]]]]:
        """(legend, [(field, its datalist id)]) per fieldset, in page order."""
        return [
            (FIELDSETS[group], [(self[name], datalist) for name, datalist in fields])
            for group, fields in LAYOUT.items()
        ]


def form_layout(fields: Mapping[str, FieldInfo]) -> dict[str, list[tuple[str, str | None]]]:
    """Each fieldset's fields (in the order given) with the datalist that suggests values."""
    layout: dict[str, list[tuple[str, str | None]]] = {group: [] for group in FIELDSETS}
    for name, info in fields.items():
        hints = form_hints(info)
        layout[hints["group"]].append((name, hints["datalist"]))  # KeyError: an unknown group
    return layout


LAYOUT = form_layout({name: ProjectCreate.model_fields[name] for name in PROJECT_FIELDS})

# Created in reading order, so the fields (and the error summary) keep that order.
for _name in PROJECT_FIELDS:
    setattr(ProjectForm, _name, project_field(_name, ProjectCreate.model_fields[_name]))


class ProjectEditForm(VersionedForm, ProjectForm):
    """An existing project's fields, with the version they were read at."""


class StatusForm(VersionedForm):
    """The quick status update on a project's page."""

    status = SelectField(
        _l("Ny status"),
        choices=[SelectChoice("", _l("Ingen status")), *enum_choices(Status)],
        validators=[Optional()],
    )
    status_comment = TextAreaField(
        _l("Statuskommentar"), validators=[Optional(), FieldRules("status_comment")]
    )
    phase = SelectField(_l("Fase"), choices=enum_choices(Phase), validators=[Optional()])


class ArchiveForm(VersionedForm):
    archive = HiddenField()
