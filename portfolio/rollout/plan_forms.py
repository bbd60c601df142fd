"""The forms of "Foreslå plan": the settings (read from the query string, so a preview is a
bookmark) and the "Brug planen" button that carries them back with the plan's fingerprint."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField, HiddenField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Regexp, ValidationError

from portfolio.forms import DanishDateField
from portfolio.rollout.forms import CheckboxListField
from portfolio.rollout.services import PlanSettings

ORDER_ROWS = 3
MAX_CAPACITY = 100


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


class OrderRow(Form):
    """ "<app> efter <app>": in each department the first waits until the second is live."""

    app = SelectField(_l("App"), coerce=_optional_int, validate_choice=False)
    after = SelectField(_l("efter"), coerce=_optional_int, validate_choice=False)


class PlanForm(FlaskForm):
    """What the IT department chooses; read from GET arguments, so no CSRF token (nothing is
    written: the preview is only a page)."""

    class Meta:
        csrf = False

    projekt = CheckboxListField(
        _l("Apps"),
        coerce=int,
        validate_choice=True,
        validators=[InputRequired(_l("Vælg mindst én app til planen."))],
    )
    start = DanishDateField(
        _l("Start"),
        description=_l("Den første dag, planen må lægge en udrulning, fx 05-01-2026."),
        validators=[InputRequired(_l("Skriv en startdato."))],
    )
    kapacitet = IntegerField(
        _l("Kapacitet"),
        default=2,
        description=_l("Hvor mange afdelingers udrulning IT-afdelingen kan støtte samtidig."),
        validators=[
            InputRequired(_l("Skriv kapaciteten som et helt tal, mindst 1.")),
            NumberRange(1, MAX_CAPACITY, _l("Kapaciteten skal være mellem 1 og 100.")),
        ],
    )
    orden = FieldList(FormField(OrderRow), min_entries=ORDER_ROWS, max_entries=10)
    laas = CheckboxListField(
        _l("Låste celler"),
        coerce=int,
        validate_choice=True,
        description=_l(
            "En låst celle beholder sine datoer, og planen lægges uden om den. Celler, der er "
            "“I gang”, beholder altid deres datoer."
        ),
    )

    def set_choices(self, apps: list[tuple[int, str]], lockable: list[tuple[int, str]]) -> None:
        self.projekt.choices = apps
        self.laas.choices = lockable
        options: list[tuple[Any, str]] = [("", "—"), *apps]
        for row in self.orden:
            row.form.app.choices = options
            row.form.after.choices = options

    def validate_orden(self, field: Any) -> None:
        picked = set(self.projekt.data or ())
        names = dict(self.projekt.choices or [])  # type: ignore[arg-type]
        for row in field:
            app, after = row.form.app.data, row.form.after.data
            if app is None and after is None:
                continue
            if app is None or after is None:
                raise ValidationError(_l("Vælg begge apps i en rækkefølge, eller ingen af dem."))
            if app == after:
                raise ValidationError(_l("En app kan ikke komme efter sig selv."))
            if app not in names or after not in names:
                raise ValidationError(_l("Vælg apps, der har en udrulning."))
            if app not in picked or after not in picked:
                raise ValidationError(
                    _l("Rækkefølgen kan kun bruge apps, der er valgt til planen.")
                )

    def settings(self) -> PlanSettings:
        """The valid form as the planner's settings."""
        start: date = self.start.data  # type: ignore[assignment]
        order = tuple(
            (int(row.form.after.data), int(row.form.app.data))
            for row in self.orden
            if row.form.app.data is not None and row.form.after.data is not None
        )
        return PlanSettings(
            project_ids=tuple(sorted(self.projekt.data or ())),
            start=start,
            capacity=int(self.kapacitet.data or 0),
            order=order,
            locked=frozenset(self.laas.data or ()),
        )


def settings_query(settings: PlanSettings) -> str:
    """The settings as the form's query string: the preview's link and the "Brug planen" form."""
    pairs: list[tuple[str, str]] = [("projekt", str(pid)) for pid in settings.project_ids]
    pairs += [("start", settings.start.isoformat()), ("kapacitet", str(settings.capacity))]
    for i, (before, after) in enumerate(settings.order):
        pairs += [(f"orden-{i}-app", str(after)), (f"orden-{i}-after", str(before))]
    pairs += [("laas", str(cid)) for cid in sorted(settings.locked)]
    return urlencode(pairs)


def query_data(query: str) -> MultiDict[str, str]:
    return MultiDict(parse_qsl(query, keep_blank_values=True))


class ApplyPlanForm(FlaskForm):
    """ "Brug planen": the settings the preview was made from, and the grid it was made on."""

    settings = HiddenField(validators=[InputRequired()])
    fingerprint = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9a-f]{32}$")])
