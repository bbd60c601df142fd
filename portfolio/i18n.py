"""Language and Danish formatting: Flask-Babel set-up and filters for dates and money."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from babel.numbers import format_decimal
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

from portfolio import formats
from portfolio.domain import label, short_label

if TYPE_CHECKING:
    from portfolio.charts import ChartText

LANGUAGE_COOKIE = "portfolio_lang"


def select_locale() -> str:
    from flask import current_app

    languages: list[str] = current_app.config["LANGUAGES"]
    # Danish first: English only when the user has chosen it, whatever the browser says.
    # Outside a request (the CLI) there is no choice to honour: Danish.
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    if chosen in languages:
        return chosen
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def format_money(value: int | None, locale: str | None = None) -> str:
    """1250000 -> '1.250.000 kr.' (Danish) or 'DKK 1,250,000' (English)."""
    if value is None:
        return ""
    return formats.money(value, locale or str(get_locale() or "da"))


def format_day(value: date | datetime | None) -> str:
    """Dates as the municipality writes them: 22-10-2020."""
    return "" if value is None else formats.danish_day(value)


def format_timestamp(value: datetime | None) -> str:
    """22-10-2020 14:05 in the user's time zone."""
    if value is None:
        return ""
    from flask_babel import to_user_timezone

    return formats.danish_timestamp(to_user_timezone(value))


def format_actor(actor: str | None) -> str:
    """Who made a change, as a user reads it: the command line's "cli:root" becomes
    "Kommandolinjen (root)"; a web user's "Navn <e-mail>" and other names stay as they are."""
    if not actor:
        return ""
    if actor.startswith("cli:"):
        return str(_("Kommandolinjen (%(user)s)", user=actor.removeprefix("cli:") or "?"))
    if actor == "anonym":
        return str(_("Ukendt bruger"))
    return actor


# Fields whose values are yes/no, as the audit trail stores them ("True"/"False").
YES_NO_FIELDS = frozenset({"archived", "flagged", "active"})


def format_field(value: object, field: str | None) -> str:
    """Any field's value as a user reads it: as the model holds it, or as the history and
    the audit trail store it (text), never as a Python literal. An audit row about no one
    field (an API key created) has no `field`."""
    if value is None or value == "":
        return ""
    field = field or ""
    # A user's fields are stored as "e-mail:field"; a meeting's as "meeting.field".
    base = field.rsplit(":", 1)[-1]
    yes_no = base in YES_NO_FIELDS or field.startswith("meeting.include_")
    if isinstance(value, bool) or (yes_no and value in ("True", "False")):
        return str(_("Ja") if value in (True, "True") else _("Nej"))
    if field == "meeting.mode":
        from portfolio.meetings.forms import MODE_CHOICES

        return next((str(c.label) for c in MODE_CHOICES if c.value == value), str(value))
    if field == "meeting" and isinstance(value, str):  # a meeting is named by its date
        value = _parse_stored(value, "meeting_date")
    if isinstance(value, str):
        value = _parse_stored(value, field)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_day(value)
    if field == "budget_dkk" and isinstance(value, int):
        return format_money(value)
    if field in ("scope", "kind", "phase", "status", "role") or field.endswith(":role"):
        return label(str(value))
    return str(value)


def _parse_stored(text: str, field: str) -> object:
    """A date, timestamp or amount stored as text, back as what it was; other text as is."""
    if field == "budget_dkk" and text.isdigit():
        return int(text)
    if field.endswith("_date") or field.endswith("_at"):
        try:
            return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            return text
    return text


def init_app(app: Flask) -> None:
    translations = Path(__file__).parent / "translations"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        money=format_money,
        day=format_day,
        timestamp=format_timestamp,
        label=label,
        field_value=format_field,
        actor=format_actor,
        short_label=short_label,
    )
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())


def chart_text() -> ChartText:
    """ChartText in the user's language; in Danish it equals charts.DANISH."""
    from babel.numbers import format_compact_decimal

    from portfolio.charts import NO_STATUS, ChartText
    from portfolio.domain import Status

    text = ChartText(
        status={
            **{s.value: label(s) for s in Status},
            NO_STATUS: _("Ingen status"),
        },
        count_axis=_("Antal projekter"),
        budget_axis=_("Budget (kr.)"),
        change=_("{change} siden {day}"),
        share=_("{share} %"),
        today=_("I dag"),
        slip=_("Skred ud over oprindelig slutdato"),
        baseline=_("Oprindelig slutdato"),
    )
    if str(get_locale() or "da").startswith("da"):
        return text
    locale = str(get_locale())
    return replace(
        text,
        separators=".,",
        number=lambda v: format_decimal(v, locale=locale),
        money=lambda v: format_money(int(v), locale),
        money_short=lambda v: (
            "DKK "
            + format_compact_decimal(v, format_type="short", locale=locale, fraction_digits=1)
        ),
    )
