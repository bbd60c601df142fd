"""The review round (gennemgangsrunde) before a meeting: each chief is mailed the projects they
own, to review by a deadline; those who have not reviewed them all get one reminder two working
days before it. The meeting page shows the progress, the pack what is still not reviewed.

A project counts as reviewed in the round when its process owner marked it reviewed
("gennemset") after the round began: a `review` entry in the audit log, so a published pack can
still say what stood unreviewed when it was published. Which mails go out is decided here and
recorded through portfolio.mail; each reason (round, chief, invitation or reminder) at most once.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from portfolio.db import get_session, unit_of_work
from portfolio.domain import FIELD_LABELS, ChangeSource, label
from portfolio.formats import danish_day
from portfolio.locks import hold_lock
from portfolio.mail.models import MailMessage, MailState
from portfolio.mail.services import (
    Mail,
    public_url,
    queue_mails,
    reason_key,
    recorded_reasons,
    render_mail,
)
from portfolio.meetings.models import Meeting, ReviewRound
from portfolio.meetings.pack import MUNICIPAL_TIME, Pack, ReviewNote
from portfolio.projects.models import Project
from portfolio.projects.services import FieldChange, changes_since_review
from portfolio.users.audit import audit_entry
from portfolio.users.models import AuditEntry, User

INVITATION = "invitation"
REMINDER = "reminder"
DEFAULT_WORKING_DAYS = 5  # the deadline, counted back from the meeting
REMINDER_WORKING_DAYS = 2  # the reminder, counted back from the deadline


class ReviewRoundError(Exception):
    """The round cannot be started as asked; the message is for the user (Danish)."""


# --- working days ---------------------------------------------------------------------------


def _easter(year: int) -> date:
    """Easter Sunday (the Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@functools.cache
def days_off(year: int) -> frozenset[date]:
    """The weekdays a municipal office is closed: the public holidays (helligdage), and
    grundlovsdag, juleaftensdag and nytårsaftensdag, which the agreements give off."""
    easter = _easter(year)
    moving = [-3, -2, 1, 39, 50]  # skærtorsdag, langfredag, 2. påskedag, Kr. himmelfart, 2. pinse
    if year < 2024:
        moving.append(26)  # store bededag, abolished from 2024
    fixed = [(1, 1), (6, 5), (12, 24), (12, 25), (12, 26), (12, 31)]
    return frozenset(
        [easter + timedelta(days=n) for n in moving] + [date(year, m, d) for m, d in fixed]
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in days_off(day.year)


def working_days_before(day: date, count: int) -> date:
    """The working day `count` working days before `day` (5 before Tuesday 08-12-2026 is
    Tuesday 01-12-2026)."""
    while count > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def default_deadline(meeting_date: date, today: date) -> date:
    """Five working days before the meeting, or today when that has passed."""
    return max(working_days_before(meeting_date, DEFAULT_WORKING_DAYS), today)


def reminder_day(deadline: date) -> date:
    return working_days_before(deadline, REMINDER_WORKING_DAYS)


def municipal_today() -> date:
    return datetime.now(MUNICIPAL_TIME).date()


# --- who is in the round ----------------------------------------------------------------------


@dataclass
class Chief:
    """A process owner with a user account, and their active projects."""

    user_id: int
    name: str
    email: str
    projects: list[Project] = field(default_factory=list)


def round_chiefs(session: Session) -> list[Chief]:
    """Every active user who acts for a person owning active projects, by name; one query."""
    rows = session.exec(
        select(User, Project)
        .join(Project, col(Project.process_owner_id) == col(User.person_id))
        .where(col(User.active).is_(True), col(Project.archived).is_(False))
        .order_by(sa.func.lower(col(User.name)), col(User.id), sa.func.lower(col(Project.name)))
    ).all()
    chiefs: dict[int, Chief] = {}
    for user, project in rows:
        assert user.id is not None  # noqa: S101
        chief = chiefs.setdefault(user.id, Chief(user.id, user.name, user.email))
        chief.projects.append(project)
    return list(chiefs.values())


def round_for(session: Session, meeting: Meeting) -> ReviewRound | None:
    return session.exec(select(ReviewRound).where(ReviewRound.meeting_id == meeting.id)).first()


def reviews_in_round(
    session: Session,
    project_ids: Collection[int],
    started_at: datetime,
    until: datetime | None = None,
) -> dict[int, datetime]:
    """The projects marked reviewed since the round began (and before `until`, a published
    pack's moment), with the latest such review."""
    if not project_ids:
        return {}
    stmt = (
        sa.select(col(AuditEntry.project_id), sa.func.max(col(AuditEntry.at)))
        .where(
            col(AuditEntry.action) == "review",
            col(AuditEntry.project_id).in_(list(project_ids)),
            col(AuditEntry.at) >= started_at,
        )
        .group_by(col(AuditEntry.project_id))
    )
    if until is not None:
        stmt = stmt.where(col(AuditEntry.at) <= until)
    return {int(pid): at for pid, at in session.execute(stmt).all() if pid is not None}


# --- the mails ----------------------------------------------------------------------------------


def round_reason(round_: ReviewRound, user_id: int, purpose: str) -> str:
    return reason_key("review_round", round_.id, "user", user_id, purpose)


def round_prefix(round_: ReviewRound) -> str:
    return reason_key("review_round", round_.id, "")


@dataclass(frozen=True)
class MailProject:
    """A project as a chief's mail lists it: status and phase in words, what changed."""

    name: str
    status: str
    phase: str
    changes: list[str]
    reviewed_on: date | None


def change_words(change: FieldChange) -> str:
    """ "Status: Grøn → Rød", "Statuskommentar ændret"."""
    name = FIELD_LABELS.get(change.field, change.field)
    if change.field == "status_comment":
        return _("%(field)s ændret", field=name)
    return f"{name}: {label(change.old) or '–'} → {label(change.new) or '–'}"


def _mail_projects(session: Session, projects: Sequence[Project]) -> list[MailProject]:
    changes = changes_since_review(session, projects)
    return [
        MailProject(
            name=p.name,
            status=label(p.status) or _("Ingen status"),
            phase=label(p.phase),
            changes=[change_words(c) for c in changes.get(p.id or 0, [])],
            reviewed_on=(
                p.reviewed_at.astimezone(MUNICIPAL_TIME).date() if p.reviewed_at else None
            ),
        )
        for p in projects
    ]


def _round_mail(
    session: Session,
    round_: ReviewRound,
    meeting: Meeting,
    chief: Chief,
    purpose: str,
    projects: Sequence[Project],
) -> Mail:
    """The chief's mail, in Danish whatever language the editor who started the round reads."""
    with force_locale("da"):
        return _round_mail_text(session, round_, meeting, chief, purpose, projects)


def _round_mail_text(
    session: Session,
    round_: ReviewRound,
    meeting: Meeting,
    chief: Chief,
    purpose: str,
    projects: Sequence[Project],
) -> Mail:
    deadline = danish_day(round_.deadline)
    if purpose == INVITATION:
        subject = _("Gennemgå dine projekter før %(meeting)s", meeting=meeting.title)
    else:
        subject = _("Påmindelse: gennemgå dine projekter senest %(deadline)s", deadline=deadline)
    return render_mail(
        "review_round",
        reason=round_reason(round_, chief.user_id, purpose),
        recipient=chief.email,
        recipient_name=chief.name,
        user_id=chief.user_id,
        subject=subject,
        reminder=purpose == REMINDER,
        name=chief.name,
        meeting_title=meeting.title,
        meeting_day=danish_day(meeting.meeting_date),
        deadline=deadline,
        projects=_mail_projects(session, projects),
        total=len(chief.projects),
        link=public_url("projects.mine"),
    )


def queue_round_mails(
    session: Session, round_: ReviewRound, meeting: Meeting, today: date
) -> list[int]:
    """The mails the round owes today, recorded to be sent: an invitation to each chief who
    has none yet (also one who became process owner after the round began), until the
    deadline; from two working days before the deadline, a reminder to each chief who has
    not reviewed all their projects. The ids of the mails recorded now."""
    if meeting.published_at is not None or today > round_.deadline:
        return []
    chiefs = round_chiefs(session)
    remind = today >= reminder_day(round_.deadline)
    reviewed = (
        reviews_in_round(
            session, [p.id for c in chiefs for p in c.projects if p.id], round_.started_at
        )
        if remind
        else {}
    )
    done = recorded_reasons(
        session,
        [round_reason(round_, c.user_id, p) for c in chiefs for p in (INVITATION, REMINDER)],
    )
    mails: list[Mail] = []
    for chief in chiefs:
        if round_reason(round_, chief.user_id, INVITATION) not in done:
            # A newcomer's invitation lists all they own: no reminder the same day.
            mails.append(_round_mail(session, round_, meeting, chief, INVITATION, chief.projects))
            continue
        missing = [p for p in chief.projects if p.id not in reviewed]
        if remind and missing and round_reason(round_, chief.user_id, REMINDER) not in done:
            mails.append(_round_mail(session, round_, meeting, chief, REMINDER, missing))
    return queue_mails(session, mails)


def start_review_round(
    *, session: Session, meeting: Meeting, deadline: date, actor: str, today: date
) -> tuple[ReviewRound, list[int]]:
    """Begin the meeting's review round and record an invitation to every chief; the caller
    sends them once this is committed (portfolio.mail.sending.deliver_mail)."""
    if meeting.published_at is not None:
        raise ReviewRoundError(
            _("Pakken er offentliggjort: en gennemgangsrunde skal startes før mødet.")
        )
    if deadline < today:
        raise ReviewRoundError(_("Fristen er overskredet allerede: vælg i dag eller senere."))
    if deadline > meeting.meeting_date:
        raise ReviewRoundError(
            _(
                "Fristen skal ligge før mødet den %(day)s.",
                day=danish_day(meeting.meeting_date),
            )
        )
    public_url("projects.mine")  # refuse now, not when the mails are written, if links can't be
    hold_lock(session, f"review_round:{meeting.id}")  # two editors at once: one round
    if round_for(session, meeting) is not None:
        raise ReviewRoundError(_("Gennemgangsrunden for mødet er allerede startet."))
    if not round_chiefs(session):
        raise ReviewRoundError(
            _(
                "Ingen procesejere med en brugerkonto har projekter i porteføljen, så der er "
                "ingen at sende til. Knyt brugerne til deres procesejer under Brugere."
            )
        )
    assert meeting.id is not None  # noqa: S101
    round_ = ReviewRound(meeting_id=meeting.id, deadline=deadline, started_by=actor[:200])
    session.add(round_)
    session.flush()
    session.add(
        audit_entry(
            actor=actor,
            action="review_round_start",
            source=ChangeSource.web,
            field="meeting",
            old=None,
            new=f"{meeting.meeting_date.isoformat()} (frist {deadline.isoformat()})",
        )
    )
    return round_, queue_round_mails(session, round_, meeting, today)


# --- the command: `portfolio send-reminders` -----------------------------------------------------


@dataclass
class PassReport:
    """What one `send-reminders` pass did."""

    rounds: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    deferred: int = 0
    unconfirmed: int = 0
    given_up: int = 0


def open_rounds(session: Session, today: date) -> list[tuple[ReviewRound, Meeting]]:
    """The rounds that may still owe mails: deadline not passed, pack not published."""
    rows = session.exec(
        select(ReviewRound, Meeting)
        .join(Meeting, col(Meeting.id) == col(ReviewRound.meeting_id))
        .where(col(ReviewRound.deadline) >= today, col(Meeting.published_at).is_(None))
        .order_by(col(ReviewRound.deadline))
    ).all()
    return [(r, m) for r, m in rows]


def run_review_pass(today: date) -> PassReport:
    """The daily pass: each open round's due mails recorded (one transaction), then every
    mail that is due sent (portfolio.mail.sending). Run again the same day, it sends nothing
    new. Called outside a unit of work."""
    from portfolio.mail.sending import deliver_mail

    report = PassReport()
    with unit_of_work():
        session = get_session()
        for round_, meeting in open_rounds(session, today):
            report.rounds += 1
            report.queued += len(queue_round_mails(session, round_, meeting, today))
    delivery = deliver_mail()
    report.sent, report.failed = len(delivery.sent), len(delivery.failed)
    report.waiting, report.deferred = delivery.waiting, delivery.deferred
    report.unconfirmed = delivery.unconfirmed
    report.given_up = delivery.given_up
    return report


# --- the meeting page and the pack -------------------------------------------------------------


@dataclass(frozen=True)
class ChiefProgress:
    """One chief's line on the meeting page."""

    name: str
    email: str
    projects: list[Project]
    reviewed: set[int]
    last_review: datetime | None
    invitation: MailMessage | None
    reminder: MailMessage | None

    @property
    def done(self) -> bool:
        return all(p.id in self.reviewed for p in self.projects)

    @property
    def unreviewed(self) -> list[Project]:
        return [p for p in self.projects if p.id not in self.reviewed]


@dataclass(frozen=True)
class RoundProgress:
    round: ReviewRound
    reminder_on: date
    chiefs: list[ChiefProgress]

    @property
    def done_count(self) -> int:
        return sum(1 for c in self.chiefs if c.done)


def round_progress(session: Session, round_: ReviewRound) -> RoundProgress:
    """Per chief: their projects, those reviewed since the round began, their latest review
    and the round's mails to them (the chiefs as they stand now)."""
    chiefs = round_chiefs(session)
    reviewed = reviews_in_round(
        session, [p.id for c in chiefs for p in c.projects if p.id], round_.started_at
    )
    from portfolio.mail.services import mails_for

    mails = {m.reason: m for m in mails_for(session, round_prefix(round_))}
    lines = []
    for chief in chiefs:
        latest = [p.reviewed_at for p in chief.projects if p.reviewed_at is not None]
        lines.append(
            ChiefProgress(
                name=chief.name,
                email=chief.email,
                projects=chief.projects,
                reviewed={p.id for p in chief.projects if p.id in reviewed},
                last_review=max(latest) if latest else None,
                invitation=mails.get(round_reason(round_, chief.user_id, INVITATION)),
                reminder=mails.get(round_reason(round_, chief.user_id, REMINDER)),
            )
        )
    return RoundProgress(round=round_, reminder_on=reminder_day(round_.deadline), chiefs=lines)


def add_review_note(session: Session, meeting: Meeting, pack: Pack) -> None:
    """The pack's note on the round: the pack's projects in the round (their owner has an
    account) that the owner has not reviewed since it began; for a published pack, as it
    stood when it was published."""
    round_ = round_for(session, meeting)
    if round_ is None:
        return
    shown = {p.id: p for p in pack.projects}
    in_round = {p.id for chief in round_chiefs(session) for p in chief.projects if p.id in shown}
    reviewed = reviews_in_round(session, in_round, round_.started_at, meeting.published_at)
    pack.review = ReviewNote(
        started_on=round_.started_at.astimezone(MUNICIPAL_TIME).date(),
        deadline=round_.deadline,
        in_round=len(in_round),
        unreviewed=[
            (p.name, p.process_owner or "")
            for p in pack.projects
            if p.id in in_round and p.id not in reviewed
        ],
    )


def mail_state_text(mail: MailMessage | None) -> str:
    """A round mail's state in words, for the progress table."""
    if mail is None:
        return ""
    if mail.state == MailState.sent:
        return _("sendt")
    if mail.state == MailState.failed:
        return ngettext(
            "fejlede (%(num)d forsøg), prøves igen",
            "fejlede (%(num)d forsøg), prøves igen",
            mail.attempts,
        )
    if mail.state == MailState.sending:
        return _("afsendelse ikke bekræftet")
    return _("venter")
