"""Flask-WTF forms with Danish labels and messages."""

from __future__ import annotations

import re
from typing import Any

from flask import abort
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from importers.fields import (
    BUDGET_TOO_LARGE,
    MAX_BUDGET,
    MAX_LENGTHS,
    FieldError,
    check_budget,
    check_value,
)
from portfolio.domain import LABELS, Kind, Phase, Scope, Status
from portfolio.pack import PackMode

_MONEY_JUNK = re.compile(r"(kr\.?|dkk|\s)", re.IGNORECASE)


def _choices(enum: Any) -> list[SelectChoice]:
    # Lazy labels, so a form built once still speaks the user's language.
    return [SelectChoice(m.value, LABELS[m]) for m in enum]


def _translated(error: FieldError) -> str:
    return gettext(error.message, **error.params)


class FieldRules:
    """A project field's shared rules (importers/fields.py: length, control characters, the
    link's http/https), so the form refuses exactly what the importer and the services do."""

    def __init__(self, name: str) -> None:
        self.name = name
        limit = MAX_LENGTHS.get(name)
        # Rendered as maxlength="…": the browser stops typing at the limit.
        self.field_flags = {"maxlength": limit} if limit else {}

    def __call__(self, form: Any, field: Field) -> None:
        if not isinstance(field.data, str):
            return
        text = field.data.replace("\r\n", "\n").strip()  # as the service will store it
        if not text:
            return
        try:
            check_value(self.name, text, label=str(field.label.text))
        except FieldError as error:
            raise ValidationError(_translated(error)) from None


class MoneyField(StringField):
    """Whole kroner; accepts '1.250.000', '1250000' and '1.250.000 kr.'."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        text = _MONEY_JUNK.sub("", self.raw or "")
        if not text:
            self.data = None
            return
        if not re.fullmatch(r"\d{1,3}(\.\d{3})+|\d+", text):
            self.data = None
            raise ValueError(_l("Skriv beløbet i hele kroner, fx 1.250.000."))
        digits = text.replace(".", "").lstrip("0") or "0"
        try:
            # Counted before int(): 30 digits must be a message, not a BIGINT overflow.
            if len(digits) > len(str(MAX_BUDGET)):
                raise FieldError("budget_dkk", BUDGET_TOO_LARGE)
            self.data = check_budget(int(digits))
        except FieldError as error:
            self.data = None
            raise ValueError(_translated(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return f"{self.data:,}".replace(",", ".")


DATE_MESSAGE = _l("Skriv datoen som dd-mm-åååå, fx 22-10-2020.")


class DanishDateField(DateField):
    """Dates typed as 22-10-2020 or picked in the browser's date picker (ISO)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(DATE_MESSAGE)) from exc


VERSION_REFUSED = _l(
    "Formularen mangler sit versionsnummer, eller det er ugyldigt, så Portefølje kan ikke se, "
    "om en anden har gemt i mellemtiden. Intet er gemt: genindlæs siden, og prøv igen."
)


class VersionedForm(FlaskForm):
    """A form that changes a versioned record. It carries the version the user saw: a save
    from an older one is a conflict, never an overwrite, and a form without a (numeric)
    version is refused with 400 before anything is read from it."""

    version = HiddenField(
        validators=[
            InputRequired(VERSION_REFUSED),
            Regexp(r"^[0-9]{1,9}$", message=VERSION_REFUSED),
        ]
    )

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate_on_submit(extra_validators))
        if self.is_submitted() and self.version.errors:
            abort(400, description=str(VERSION_REFUSED))
        return valid

    def expected_version(self) -> int:
        """The version the form was made from (only after validate_on_submit)."""
        return int(self.version.data)


class CsrfForm(FlaskForm):
    """A button that needs nothing but the CSRF token (e.g. deleting a draft)."""


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


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Sprog"), choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")]
    )
    next = HiddenField()


MODE_CHOICES = [
    SelectChoice(PackMode.complete.value, _l("Komplet status: alle projekter")),
    SelectChoice(PackMode.decisions.value, _l("Kun strategiske projekter til beslutning")),
]
TEXT_HINT = _l(
    "Lad feltet stå tomt for at bruge forslaget, som følger porteføljen indtil pakken "
    "offentliggøres."
)


class MeetingForm(FlaskForm):
    """A new Chefforum meeting."""

    meeting_date = DanishDateField(
        _l("Mødedato"), validators=[InputRequired(_l("Skriv mødets dato, fx 08-12-2026."))]
    )
    title = StringField(
        _l("Titel"),
        description=_l("Tom: “Chefforum” og datoen."),
        validators=[Optional(), Length(max=200, message=_l("Titlen må højst være 200 tegn."))],
    )
    mode = RadioField(_l("Pakkens indhold"), choices=MODE_CHOICES, default=PackMode.complete.value)


class MeetingTextForm(VersionedForm):
    """The agenda item's text: every part while a draft, only Beslutning once published."""

    title = StringField(
        _l("Titel"),
        validators=[Optional(), Length(max=200, message=_l("Titlen må højst være 200 tegn."))],
    )
    mode = RadioField(_l("Pakkens indhold"), choices=MODE_CHOICES, validators=[Optional()])
    anledning = TextAreaField(
        _l("Anledning"), description=TEXT_HINT, validators=[Optional(), Length(max=20000)]
    )
    sagsfremstilling = TextAreaField(
        _l("Sagsfremstilling"), description=TEXT_HINT, validators=[Optional(), Length(max=50000)]
    )
    indstilling = TextAreaField(
        _l("Indstilling"), description=TEXT_HINT, validators=[Optional(), Length(max=20000)]
    )
    beslutning = TextAreaField(
        _l("Beslutning"),
        description=_l("Chefforums beslutning; skrives efter mødet."),
        validators=[Optional(), Length(max=20000)],
    )
    bilag = TextAreaField(
        _l("Bilag"),
        description=_l("Ét bilag pr. linje. Tomt: porteføljeoversigten."),
        validators=[Optional(), Length(max=5000)],
    )


class PublishForm(VersionedForm):
    confirm = BooleanField(
        _l("Jeg har gennemgået pakken. Den fastfryses og kan ikke ændres bagefter."),
        validators=[DataRequired(_l("Bekræft, at pakken er gennemgået, før den offentliggøres."))],
    )


class DecisionForm(VersionedForm):
    decision = TextAreaField(
        _l("Beslutning"),
        validators=[
            Optional(),
            Length(max=4000, message=_l("Beslutningen må højst være %(num)d tegn.", num=4000)),
        ],
    )


class FlagForm(VersionedForm):
    flagged = HiddenField()
