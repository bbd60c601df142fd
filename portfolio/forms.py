"""Flask-WTF forms with Danish labels and messages."""

from __future__ import annotations

import re
from typing import Any

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
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional, ValidationError

from portfolio.domain import LABELS, Kind, Phase, Scope, Status
from portfolio.pack import PackMode

_MONEY_JUNK = re.compile(r"(kr\.?|dkk|\s)", re.IGNORECASE)


def _choices(enum: Any) -> list[SelectChoice]:
    # Lazy labels, so a form built once still speaks the user's language.
    return [SelectChoice(m.value, LABELS[m]) for m in enum]


class MoneyField(StringField):
    """Whole kroner; accepts '1.250.000', '1250000' and '1.250.000 kr.'."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        text = _MONEY_JUNK.sub("", self.raw or "")
        if not text:
            self.data = None
            return
        if re.fullmatch(r"\d{1,3}(\.\d{3})+|\d+", text):
            self.data = int(text.replace(".", ""))
        else:
            self.data = None
            raise ValueError(_l("Skriv beløbet i hele kroner, fx 1.250.000."))

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


class VersionedForm(FlaskForm):
    # The version the user saw: a save from an older one is a conflict, never an overwrite.
    version = HiddenField()

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class ProjectForm(VersionedForm):
    name = StringField(
        _l("Projektnavn"),
        validators=[
            DataRequired(_l("Projektet skal have et navn.")),
            Length(max=300, message=_l("Projektnavnet må højst være 300 tegn.")),
        ],
    )
    case_number = StringField(
        _l("Sagsnr."),
        description=_l("Journalnummer, fx 85.13.00-P20-1-20."),
        validators=[Optional(), Length(max=60, message=_l("Sagsnummeret er for langt."))],
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
    department = StringField(_l("Afdeling"), validators=[Optional(), Length(max=120)])
    process_owner = StringField(
        _l("Procesejer"),
        description=_l("Chefen, der ejer projektet."),
        validators=[Optional(), Length(max=200)],
    )
    project_lead = StringField(_l("Projektleder"), validators=[Optional(), Length(max=200)])
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
        validators=[Optional(), Length(max=4000)],
    )
    start_date = DanishDateField(_l("Startdato"), validators=[Optional()])
    end_date = DanishDateField(_l("Slutdato"), validators=[Optional()])
    baseline_end_date = DanishDateField(
        _l("Oprindelig slutdato"),
        description=_l("Den først godkendte slutdato; viser om projektet er skredet."),
        validators=[Optional()],
    )
    budget_dkk = MoneyField(_l("Budget (kr.)"), validators=[Optional()])
    description = TextAreaField(_l("Beskrivelse"), validators=[Optional(), Length(max=10000)])
    link = StringField(
        _l("Link"),
        description=_l("Link til procesarket eller dokumenter i SharePoint."),
        validators=[
            Optional(),
            URL(require_tld=False, message=_l("Skriv en hel webadresse, fx https://…")),
            Length(max=2000),
        ],
    )

    def validate_end_date(self, field: Field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("Slutdatoen kan ikke ligge før startdatoen."))

    def validate_link(self, field: Field) -> None:
        if field.data and not re.match(r"https?://", field.data, re.IGNORECASE):
            raise ValidationError(_l("Linket skal begynde med http:// eller https://."))

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


class StatusForm(VersionedForm):
    """The quick status update on a project's page."""

    status = SelectField(
        _l("Ny status"),
        choices=[SelectChoice("", _l("Ingen status")), *_choices(Status)],
        validators=[Optional()],
    )
    status_comment = TextAreaField(_l("Statuskommentar"), validators=[Optional(), Length(max=4000)])
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


class DecisionForm(FlaskForm):
    decision = TextAreaField(
        _l("Beslutning"),
        validators=[
            Optional(),
            Length(max=4000, message=_l("Beslutningen må højst være %(num)d tegn.", num=4000)),
        ],
    )


class FlagForm(FlaskForm):
    flagged = HiddenField()
