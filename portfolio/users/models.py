"""Accounts, login attempts and the audit log."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from portfolio.db import enum_column, utcnow
from portfolio.domain import ChangeSource, Role
from portfolio.projects.models import Person


class User(SQLModel, table=True):
    """An account. Local password today; an external identity (OIDC) can be linked later."""

    __tablename__ = "app_user"
    __table_args__ = (sa.UniqueConstraint("external_issuer", "external_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    # A process owner acts for this person: their projects are the ones they own.
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    password_hash: str | None = Field(default=None, max_length=300)
    active: bool = Field(default=True)
    # Bumped at logout and password change: every session cookie issued before stops working.
    session_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    external_issuer: str | None = Field(default=None, max_length=300)
    external_subject: str | None = Field(default=None, max_length=300)

    person: Person | None = Relationship()


class LoginAttempt(SQLModel, table=True):
    """Failed and successful logins, for throttling and the admin log."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    email: str = Field(max_length=254, index=True)
    remote_addr: str = Field(max_length=64, index=True)
    succeeded: bool = False


class AuditEntry(SQLModel, table=True):
    """Who changed what and when, old → new: every field, from the web, an import or the CLI."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    field: str | None = Field(default=None, max_length=40)
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    source: ChangeSource = Field(sa_column=enum_column(ChangeSource, nullable=False))
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)
