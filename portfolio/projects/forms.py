"""The register's forms: a project's fields, its status update, archiving."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Optional,
    ValidationError,
)

from portfolio.domain import Kind, Phase, Scope, Status
from portfolio.forms import (
    DanishDateField,
    FieldRules,
    MoneyField,
    VersionedForm,
    _choices,
)


class ProjectForm(FlaskForm):
    """A new project: every field of the record."""

    name = StringField(
        _l("Projektnavn"),
        validators=[
            DataRequired(_l("Projektet skal have et navn.")),
            FieldRules("name"),
        ],
    )
    case_number = StringField(
        _l("Sagsnr."),
        description=_l("Journalnummer, fx 85.13.00-P20-1-20."),
        validators=[Optional(), FieldRules("case_number")],
    )
    scope = SelectField(
        _l("Projekttype"),
        choices=_choices(Scope),
        validators=[InputRequired(_l("Vælg en projekttype."))],
    )
    kind = SelectField(
        _l("Strategisk / operationelt"),
        choices=_choices(Kind),
        validators=[InputRequired(_l("Vælg strategisk eller operationelt."))],
    )
    department = StringField(_l("Afdeling"), validators=[Optional(), FieldRules("department")])
    process_owner = StringField(
        _l("Procesejer"),
        description=_l("Chefen, der ejer projektet."),
        validators=[Optional(), FieldRules("process_owner")],
    )
    project_lead = StringField(
        _l("Projektleder"), validators=[Optional(), FieldRules("project_lead")]
    )
    phase = SelectField(
        _l("Fase"), choices=_choices(Phase), validators=[InputRequired(_l("Vælg en fase."))]
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Ingen status")), *_choices(Status)],
        validators=[Optional()],
    )
    status_comment = TextAreaField(
        _l("Statuskommentar"),
        description=_l("Hvorfor har projektet denne status?"),
        validators=[Optional(), FieldRules("status_comment")],
    )
    start_date = DanishDateField(_l("Startdato"), validators=[Optional()])
    end_date = DanishDateField(_l("Slutdato"), validators=[Optional()])
    baseline_end_date = DanishDateField(
        _l("Oprindelig slutdato"),
        description=_l("Den først godkendte slutdato; viser om projektet er skredet."),
        validators=[Optional()],
    )
    budget_dkk = MoneyField(_l("Budget (kr.)"), validators=[Optional()])
    description = TextAreaField(
        _l("Beskrivelse"), validators=[Optional(), FieldRules("description")]
    )
    link = StringField(
        _l("Link"),
        description=_l("Link til procesarket eller dokumenter i SharePoint."),
        validators=[Optional(), FieldRules("link")],
    )

    def validate_end_date(self, field: Field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("Slutdatoen kan ikke ligge før startdatoen."))

    def project_data(self) -> dict[str, Any]:
        return {
            name: getattr(self, name).data
            for name in (
                "name",
                "case_number",
                "scope",
                "kind",
                "department",
                "process_owner",
                "project_lead",
                "phase",
                "status",
                "status_comment",
                "start_date",
                "end_date",
                "baseline_end_date",
                "budget_dkk",
                "description",
                "link",
            )
        }


class ProjectEditForm(VersionedForm, ProjectForm):
    """An existing project's fields, with the version they were read at."""


class StatusForm(VersionedForm):
    """The quick status update on a project's page."""

    status = SelectField(
        _l("Ny status"),
        choices=[SelectChoice("", _l("Ingen status")), *_choices(Status)],
        validators=[Optional()],
    )
    status_comment = TextAreaField(
        _l("Statuskommentar"), validators=[Optional(), FieldRules("status_comment")]
    )
    phase = SelectField(_l("Fase"), choices=_choices(Phase), validators=[Optional()])


class ArchiveForm(VersionedForm):
    archive = HiddenField()
