"""Mails as records: written (queued) in the caller's transaction, once per reason, with the
text and HTML they will be sent with; links built from PUBLIC_BASE_URL."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from portfolio.db import utcnow
from portfolio.mail.models import MailMessage, MailState


class MailError(Exception):
    """Mail cannot be written as asked; the message is for the user (Danish)."""


def reason_key(*parts: object) -> str:
    """Why a mail is sent, as the key that may occur once: ("review_round", 3, "user", 7,
    "invitation") -> "review_round:3:user:7:invitation"."""
    return ":".join(str(part) for part in parts)


def public_url(endpoint: str, **values: Any) -> str:
    """The address of one of the app's pages as a mail's reader opens it: PUBLIC_BASE_URL and
    the page's path (the base may have a path of its own, behind a proxy)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        raise MailError(
            _(
                "Portefølje kender ikke sin egen adresse, så mails ikke kan linke til den: sæt "
                "PORTFOLIO_PUBLIC_BASE_URL, fx https://portefolje.kommune.dk."
            )
        )
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return str(base).rstrip("/") + path


@dataclass(frozen=True)
class Mail:
    """A mail ready to record: its reason, recipient, subject and both bodies."""

    reason: str
    recipient: str
    recipient_name: str
    user_id: int | None
    subject: str
    body_text: str
    body_html: str


def render_mail(
    template: str,
    *,
    reason: str,
    recipient: str,
    recipient_name: str,
    user_id: int | None,
    subject: str,
    **context: Any,
) -> Mail:
    """templates/mail/<template>.txt and .html with the same context, in Danish (the HTML
    escaped as every page is; the text is plain)."""
    with force_locale("da"):
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    # A header is one line: a title with a line break in it must not become two headers.
    one_line = " ".join(subject.split())
    return Mail(reason, recipient, recipient_name, user_id, one_line[:300], text, html)


def recorded_reasons(session: Session, reasons: Collection[str]) -> set[str]:
    """Which of these reasons already have a mail (so it is not composed again)."""
    if not reasons:
        return set()
    stmt = select(MailMessage.reason).where(col(MailMessage.reason).in_(list(reasons)))
    return set(session.exec(stmt).all())


def queue_mails(session: Session, mails: Iterable[Mail]) -> list[int]:
    """Record the mails to be sent; a reason already recorded (by this or any other
    transaction, also one still running) is left as it is. The ids of those recorded now.

    INSERT … ON CONFLICT (reason) DO NOTHING: a second command at the same moment waits for
    the first one's row and then inserts nothing, so no reason is ever sent twice."""
    ids: list[int] = []
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for mail in mails:
        stmt = (
            insert(MailMessage)
            .values(
                reason=mail.reason,
                recipient=mail.recipient,
                recipient_name=mail.recipient_name[:200],
                user_id=mail.user_id,
                subject=mail.subject,
                body_text=mail.body_text,
                body_html=mail.body_html,
                state=MailState.queued,
                attempts=0,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["reason"])
            .returning(col(MailMessage.id))
        )
        new_id = session.execute(stmt).scalar_one_or_none()
        if new_id is not None:
            ids.append(int(new_id))
    return ids


def mails_for(session: Session, prefix: str) -> list[MailMessage]:
    """The mails whose reason starts with `prefix` (e.g. one review round's), oldest first."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        select(MailMessage)
        .where(col(MailMessage.reason).like(escaped + "%", escape="\\"))
        .order_by(col(MailMessage.id))
    )
    return list(session.exec(stmt).all())
