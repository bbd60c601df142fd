"""The mail log: one row per message the app means to send, written before it is sent."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portfolio.db import enum_column, utcnow


class MailState(StrEnum):
    queued = "queued"  # recorded, not yet tried
    sending = "sending"  # handed to the SMTP server; no answer recorded (see sending.py)
    sent = "sent"  # the SMTP server accepted it
    failed = "failed"  # refused or unreachable; tried again by `portfolio send-reminders`


class MailMessage(SQLModel, table=True):
    """A mail: to whom, why, its text as sent, and what became of it. `reason` says why in a
    key unique per purpose ("review_round:3:user:7:invitation"): the database's unique
    constraint is what keeps a mail from being sent twice for the same reason, also when two
    commands run at once."""

    __tablename__ = "mail_message"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(max_length=200, unique=True)
    recipient: str = Field(max_length=254)
    recipient_name: str = Field(default="", max_length=200)
    user_id: int | None = Field(default=None, index=True)  # no foreign key: the log outlives
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_type=sa.Text)
    body_html: str = Field(sa_type=sa.Text)
    state: MailState = Field(sa_column=enum_column(MailState, nullable=False))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow)
    last_attempt_at: datetime | None = None
    sent_at: datetime | None = None
