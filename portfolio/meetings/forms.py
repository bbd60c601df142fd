"""The meetings' forms: a new meeting, the agenda text, publishing, decisions and flags."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)

from portfolio.forms import DanishDateField, VersionedForm
from portfolio.meetings.pack import PackMode

MODE_CHOICES = [
    SelectChoice(PackMode.complete.value, _l("Komplet status: alle projekter")),
    SelectChoice(PackMode.decisions.value, _l("Kun strategiske projekter til beslutning")),
]
ROLLOUT_LABEL = _l("Udrulningsplanen som punkt til beslutning")
ROLLOUT_HINT = _l(
    "Punktets tekst skrives ud fra udrulningen og fastfryses, når pakken offentliggøres."
)
FINANCE_LABEL = _l("Afsnittet “Finansiering og gevinster” i porteføljepunktet")
FINANCE_HINT = _l(
    "Puljernes status, bevillinger, tilbageløb og gevinster, og hvad der er nyt siden sidste "
    "møde; fastfryses, når pakken offentliggøres."
)
POOL_LABEL = _l("Skriftlig orientering om Digitaliseringsrådets pulje som eget punkt")
POOL_HINT = _l(
    "Punktet til orientering skrives ud fra puljens regnskab og fastfryses, når pakken "
    "offentliggøres."
)
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
    include_rollout = BooleanField(ROLLOUT_LABEL, description=ROLLOUT_HINT)
    include_finance = BooleanField(FINANCE_LABEL, description=FINANCE_HINT)
    include_pool_orientation = BooleanField(POOL_LABEL, description=POOL_HINT)


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
    include_rollout = BooleanField(ROLLOUT_LABEL, description=ROLLOUT_HINT)
    rollout_beslutning = TextAreaField(
        _l("Beslutning om udrulningsplanen"),
        description=_l("Chefforums beslutning om udrulningsplanen; skrives efter mødet."),
        validators=[Optional(), Length(max=20000)],
    )
    include_finance = BooleanField(FINANCE_LABEL, description=FINANCE_HINT)
    include_pool_orientation = BooleanField(POOL_LABEL, description=POOL_HINT)
    pool_beslutning = TextAreaField(
        _l("Beslutning om den skriftlige orientering"),
        description=_l("Fx “Chefforum tog orienteringen til efterretning.”; skrives efter mødet."),
        validators=[Optional(), Length(max=20000)],
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


class ReviewRoundForm(FlaskForm):
    """Start the review round: every chief is mailed their projects, to review by the deadline."""

    deadline = DanishDateField(
        _l("Frist for gennemgangen"),
        description=_l(
            "Forslaget er fem hverdage før mødet. To hverdage før fristen får de chefer, der "
            "ikke har gennemset alle deres projekter, én påmindelse."
        ),
        validators=[InputRequired(_l("Skriv fristen, fx 01-12-2026."))],
    )
