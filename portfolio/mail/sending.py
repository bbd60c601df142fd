"""Sending the recorded mails by SMTP, each in transactions of its own.

The order, and what a crash at each point means:

1. The mail is recorded (`queued`) in the transaction of what caused it, once per reason.
2. It is claimed: `queued`/`failed` → `sending`, attempts + 1, committed *before* the SMTP
   server is contacted. Of two passes at the same moment only one claims it (a conditional
   UPDATE; on PostgreSQL the second waits for the first's row lock, then finds it taken).
3. The SMTP server is given it. Only when the server has accepted it is it marked `sent`;
   a refusal or an unreachable server marks it `failed` with the error, for the next pass.

A crash between 2 and 3 (the process killed while the server answers, or before the answer
is recorded) leaves the mail `sending`: perhaps delivered, perhaps not. It is never sent again
by itself: one missing mail is better than a chief getting the same mail twice every day. Each
pass counts such mails and logs them; `portfolio send-reminders --resend-unconfirmed` sends
them again when the operator has made sure they did not arrive. Every try of a mail carries
the same Message-ID, so a mail system that was sent one twice can tell.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from portfolio.db import get_session, unit_of_work, utcnow
from portfolio.mail.models import MailMessage, MailState

SECURITY_CHOICES = ("none", "starttls", "ssl")
# A mail still `sending` after this long was cut off (a pass sends one in seconds).
UNCONFIRMED_AFTER = timedelta(minutes=15)

log = logging.getLogger("portfolio.mail")


class MailSettingsError(Exception):
    """The SMTP settings cannot be used; the message is for the operator (Danish)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """The settings from the app's config; None when no SMTP host is set (mail off)."""
        get = config.get
        host = get("SMTP_HOST")
        if not host:
            return None
        security = str(get("SMTP_SECURITY") or "starttls").lower()
        if security not in SECURITY_CHOICES:
            raise MailSettingsError(
                _(
                    "PORTFOLIO_SMTP_SECURITY skal være none, starttls eller ssl (ikke "
                    "“%(value)s”).",
                    value=security,
                )
            )
        sender = get("SMTP_SENDER")
        if not sender or "@" not in parseaddr(str(sender))[1]:
            raise MailSettingsError(
                _(
                    "Sæt PORTFOLIO_SMTP_SENDER til den adresse, mails sendes fra, fx "
                    "“Portefølje <portefolje@kommune.dk>”."
                )
            )
        user, password = get("SMTP_USER"), get("SMTP_PASSWORD")
        try:
            port = int(str(get("SMTP_PORT")))
            timeout = float(str(get("SMTP_TIMEOUT_SECONDS") or 30))
        except ValueError as exc:
            raise MailSettingsError(
                _("PORTFOLIO_SMTP_PORT skal være et portnummer, fx 587.")
            ) from exc
        # From the environment a numeric password arrives as a number (JSON): keep it text.
        return cls(
            host=str(host),
            port=port,
            security=security,
            user=str(user) if user not in (None, "") else None,
            password=str(password) if password is not None else None,
            sender=str(sender),
            timeout=timeout,
        )


def build_message(mail: MailMessage, sender: str) -> EmailMessage:
    """The mail as sent: plain text and HTML as alternatives (multipart/alternative)."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = formataddr((mail.recipient_name, mail.recipient))
    message["Date"] = format_datetime(utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portefolje.invalid"
    # The same id on every try: a receiving system can drop a second copy.
    message["Message-ID"] = f"<portefolje.mail.{mail.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body_text)
    message.add_alternative(mail.body_html, subtype="html")
    return message


def send_message(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; returns once the server has accepted it, raises
    smtplib.SMTPException or OSError (refused, unreachable, TLS or login failed) otherwise."""
    # Only when it is used: loading the system's certificates takes a while.
    context = ssl.create_default_context() if settings.security != "none" else None
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        refused = smtp.send_message(message)
        if refused:  # some recipients refused, none accepted: each mail has one recipient
            raise smtplib.SMTPRecipientsRefused(refused)


def describe_error(exc: BaseException) -> str:
    """What went wrong, for the mail log and the operator: the server's own answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{code} {_decoded(text)}" for code, text in exc.recipients.values())
        return _("SMTP-serveren afviste modtageren: %(answer)s", answer=answers)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _(
            "SMTP-serveren afviste login (PORTFOLIO_SMTP_USER/PASSWORD): %(code)s %(text)s",
            code=exc.smtp_code,
            text=_decoded(exc.smtp_error),
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _(
            "SMTP-serveren afviste mailen: %(code)s %(text)s",
            code=exc.smtp_code,
            text=_decoded(exc.smtp_error),
        )
    if isinstance(exc, smtplib.SMTPException | ssl.SSLError):
        return _("Fejl i forbindelsen til SMTP-serveren: %(error)s", error=str(exc) or type(exc))
    return _("SMTP-serveren kunne ikke nås: %(error)s", error=str(exc) or type(exc).__name__)


def _decoded(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


@dataclass
class DeliveryReport:
    """What one pass did: mails sent and failed (ids), those waiting because mail is not set
    up, and those left `sending` by an interrupted pass (never resent by themselves)."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    waiting: int = 0
    deferred: int = 0  # not tried: the server was down, they wait for the next pass
    unconfirmed: int = 0
    given_up: int = 0


def _due_ids(session: Session, only: Collection[int] | None, max_attempts: int) -> list[int]:
    stmt = select(MailMessage.id).where(
        col(MailMessage.state).in_([MailState.queued, MailState.failed]),
        col(MailMessage.attempts) < max_attempts,
    )
    if only is not None:
        stmt = stmt.where(col(MailMessage.id).in_(list(only)))
    return [int(i) for i in session.exec(stmt.order_by(col(MailMessage.id))).all() if i]


def _count(session: Session, *conditions: sa.ColumnElement[bool]) -> int:
    stmt = sa.select(sa.func.count()).select_from(MailMessage).where(*conditions)
    return int(session.execute(stmt).scalar_one())


def _claim(session: Session, mail_id: int, max_attempts: int) -> MailMessage | None:
    """Take the mail for this pass, or None when another pass has it (or it is done)."""
    result = session.execute(
        sa.update(MailMessage)
        .where(
            col(MailMessage.id) == mail_id,
            col(MailMessage.state).in_([MailState.queued, MailState.failed]),
            col(MailMessage.attempts) < max_attempts,
        )
        .values(
            state=MailState.sending,
            attempts=col(MailMessage.attempts) + 1,
            last_attempt_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(MailMessage, mail_id, populate_existing=True)


def _finish(session: Session, mail_id: int, error: str | None) -> None:
    values: dict[str, object] = (
        {"state": MailState.sent, "sent_at": utcnow(), "last_error": None}
        if error is None
        else {"state": MailState.failed, "last_error": error}
    )
    session.execute(
        sa.update(MailMessage)
        .where(col(MailMessage.id) == mail_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def server_down(exc: BaseException) -> bool:
    """The server cannot take any mail now (unreachable, hung up, TLS or login refused), as
    opposed to refusing this one mail (its recipient, its content): the rest can wait."""
    per_mail = (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPDataError,
    )
    return not isinstance(exc, per_mail)


def deliver_mail(*, only: Collection[int] | None = None) -> DeliveryReport:
    """Send the mails that are due (queued, or failed and not tried too often): all of them,
    or those among `only`. Each claim and each result is committed on its own (see the module
    docstring), so this is called outside any unit of work: by a command, or by a request
    after its own changes are committed. Never raises for a mail that cannot be sent; when the
    server is down, the rest are left for the next pass (a request never waits on a timeout
    per chief)."""
    config = current_app.config
    settings = SmtpSettings.from_config(config)
    max_attempts = int(str(config.get("MAIL_MAX_ATTEMPTS") or 10))
    report = DeliveryReport()
    with unit_of_work():
        session = get_session()
        due = _due_ids(session, only, max_attempts)
        report.unconfirmed = _count(
            session,
            col(MailMessage.state) == MailState.sending,
            col(MailMessage.last_attempt_at) < utcnow() - UNCONFIRMED_AFTER,
        )
        report.given_up = _count(
            session,
            col(MailMessage.state) == MailState.failed,
            col(MailMessage.attempts) >= max_attempts,
        )
    if report.unconfirmed:
        log.warning(
            "%d mail(s) blev afbrudt under afsendelsen og sendes ikke igen af sig selv "
            "(portfolio send-reminders --resend-unconfirmed)",
            report.unconfirmed,
        )
    if settings is None:
        report.waiting = len(due)
        if due:
            log.info("%d mail(s) venter: PORTFOLIO_SMTP_HOST er ikke sat", len(due))
        return report
    for n, mail_id in enumerate(due):
        with unit_of_work():
            mail = _claim(get_session(), mail_id, max_attempts)
        if mail is None:
            continue  # another pass took it
        error: str | None = None
        exc: BaseException | None = None
        try:
            send_message(settings, build_message(mail, settings.sender))
        except (smtplib.SMTPException, OSError) as failure:
            exc, error = failure, describe_error(failure)
            log.warning(
                "Mail %d til %s (%s) er ikke sendt, forsøg %d: %s",
                mail.id,
                mail.recipient,
                mail.reason,
                mail.attempts,
                error,
            )
        with unit_of_work():
            _finish(get_session(), mail_id, error)
        (report.failed if error else report.sent).append(mail_id)
        if exc is not None and server_down(exc):
            report.deferred = len(due) - n - 1
            break
    return report


def release_unconfirmed() -> int:
    """The operator's answer to mails left `sending` by an interrupted pass: they did not
    arrive, send them again. Only those older than UNCONFIRMED_AFTER, so a pass running now
    keeps its own. How many were released."""
    with unit_of_work():
        result = get_session().execute(
            sa.update(MailMessage)
            .where(
                col(MailMessage.state) == MailState.sending,
                col(MailMessage.last_attempt_at) < utcnow() - UNCONFIRMED_AFTER,
            )
            .values(state=MailState.failed, last_error=_("Afsendelsen blev afbrudt"))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
