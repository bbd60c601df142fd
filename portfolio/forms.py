"""Form pieces shared by every feature: Danish fields, the version guard, CSRF-only forms."""

from __future__ import annotations

import re
from typing import Any

from flask import abort
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    HiddenField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Regexp,
    ValidationError,
)
from wtforms.widgets import TextInput

from importers.fields import (
    BUDGET_TOO_LARGE,
    MAX_BUDGET,
    MAX_LENGTHS,
    FieldError,
    check_budget,
    check_value,
)
from portfolio.domain import LABELS
from portfolio.formats import ImpossibleDate, danish_day, parse_danish_date

_MONEY_JUNK = re.compile(r"(kr\.?|dkk|\s)", re.IGNORECASE)


def enum_choices(enum: Any) -> list[SelectChoice]:
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


DATE_HINT = _l("Skriv datoen som dd-mm-åååå, fx 08-12-2026")
DATE_MESSAGE = _l("Skriv datoen som dd-mm-åååå, fx 08-12-2026.")


class DanishDateField(DateField):
    """A date typed the Danish way into a text box (formats.parse_danish_date: 08-12-2026,
    8/12-2026, 8.12.2026, 08122026 or ISO), shown as 08-12-2026. Not type="date": the
    browser's picker follows the browser's locale, and mm/dd turned 08122026 into 12 August."""

    widget = TextInput()
    format_hint = DATE_HINT  # the field macro shows it and ties it to the box
    data: Any  # date | None, untyped as in WTForms: views trust InputRequired for a date

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["render_kw"] = {"inputmode": "numeric", "autocomplete": "off"} | (
            kwargs.get("render_kw") or {}
        )
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = " ".join(str(v) for v in valuelist)
        self.data = None
        try:
            self.data = parse_danish_date(text)
        except ImpossibleDate:
            message = gettext(
                "Datoen %(text)s findes ikke i kalenderen. Skriv fx 08-12-2026.",
                text=text.strip(),
            )
            raise ValueError(message) from None
        except ValueError:
            raise ValueError(str(DATE_MESSAGE)) from None

    def _value(self) -> str:
        # A date read from the box is shown the Danish way (08122026 -> 08-12-2026); text that
        # is no date is shown exactly as typed, beside its error.
        if self.data is not None:
            return danish_day(self.data)
        return " ".join(self.raw_data) if self.raw_data else ""


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


# What the confirmation page (templates/confirm.html) sends with a dangerous action; a POST
# without it (an old one-click button, a replayed request) is sent to that page instead.
CONFIRMED = "ja"


def confirm_page(*, hidden: dict[str, object] | None = None, **context: object) -> str:
    """The confirmation step of a delete or an archiving (templates/confirm.html): its yes
    button sends CONFIRMED, which is_confirmed() looks for."""
    from flask import render_template

    return render_template(
        "confirm.html", hidden=hidden or {}, confirmed_value=CONFIRMED, **context
    )


def is_confirmed() -> bool:
    """The user came through the confirmation page of a delete or an archiving."""
    from flask import request

    return request.form.get("confirmed") == CONFIRMED


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Sprog"), choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")]
    )
    next = HiddenField()
