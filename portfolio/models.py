"""SQLModel tables: departments, people, projects and their status history."""

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, Relationship, SQLModel

from portfolio.domain import ChangeSource, Kind, Phase, Role, Scope, Status
from portfolio.pack import PackMode


def utcnow() -> datetime:
    return datetime.now(UTC)


def _enum(enum: type, *, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    """A string column holding an enum's values."""
    # Stored as plain strings (no native PG enum) so new values need no type migration.
    return sa.Column(
        sa.Enum(
            enum,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=nullable,
    )


def _versioned(cls: Any) -> dict[str, Any]:
    """Mapper arguments for a table whose `version` guards every UPDATE: the ORM writes
    `UPDATE … WHERE id = :id AND version = :loaded` and raises StaleDataError when no row
    matched, so two saves from the same version can never both win, on any database."""
    return {"version_id_col": cls.__table__.c.version}


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)

    projects: list["Project"] = Relationship(back_populates="department")


class Person(SQLModel, table=True):
    """A member of staff: a chief (process owner) or a project lead. No citizen data."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)


class ProjectBase(SQLModel):
    name: str = Field(max_length=300, index=True)
    case_number: str | None = Field(default=None, max_length=60, unique=True)
    scope: Scope = Field(sa_column=_enum(Scope, nullable=False))
    kind: Kind = Field(sa_column=_enum(Kind, nullable=False))
    phase: Phase = Field(sa_column=_enum(Phase, nullable=False))
    status: Status | None = Field(default=None, sa_column=_enum(Status, nullable=True))
    status_comment: str | None = Field(default=None, sa_type=sa.Text)
    start_date: date | None = None
    end_date: date | None = None
    baseline_end_date: date | None = None
    budget_dkk: int | None = Field(default=None, sa_type=sa.BigInteger)
    description: str | None = Field(default=None, sa_type=sa.Text)
    link: str | None = Field(default=None, max_length=2000)
    archived: bool = Field(default=False)


class Project(ProjectBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    process_owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    project_lead_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Optimistic locking: bumped by the ORM on every UPDATE (see _versioned); stale forms are
    # refused, and a concurrent save from the same version fails in the database.
    version: int = Field(default=1)
    # The process owner's last review ("gennemset"), and by whom.
    reviewed_at: datetime | None = Field(default=None)
    reviewed_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    department: Department | None = Relationship(back_populates="projects")
    process_owner: Person | None = Relationship(
        sa_relationship_kwargs={"foreign_keys": "Project.process_owner_id"}
    )
    project_lead: Person | None = Relationship(
        sa_relationship_kwargs={"foreign_keys": "Project.project_lead_id"}
    )
    updates: list["StatusUpdate"] = Relationship(
        back_populates="project",
        sa_relationship_kwargs={"order_by": "StatusUpdate.id.desc()"},
    )

    __mapper_args__ = declared_attr(_versioned)  # type: ignore[arg-type,var-annotated]


class StatusUpdate(SQLModel, table=True):
    """One change of a project's status, phase or status comment: history, never edited."""

    __tablename__ = "status_update"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    changed_by: str = Field(max_length=200)
    field: str = Field(max_length=30)
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    source: ChangeSource = Field(sa_column=_enum(ChangeSource, nullable=False))
    # The import that caused the change, when an import did.
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)

    project: Project | None = Relationship(back_populates="updates")


class ImportRun(SQLModel, table=True):
    """One applied import of a workbook: who, when, which file, and what it did."""

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    source: ChangeSource = Field(sa_column=_enum(ChangeSource, nullable=False))
    filename: str = Field(max_length=300)
    sha256: str = Field(max_length=64, index=True)
    sheet: str = Field(max_length=200)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0


TRACKED_FIELDS = ("status", "phase", "status_comment")


class User(SQLModel, table=True):
    """An account. Local password today; an external identity (OIDC) can be linked later."""

    __tablename__ = "app_user"
    __table_args__ = (sa.UniqueConstraint("external_issuer", "external_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_column=_enum(Role, nullable=False))
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
    source: ChangeSource = Field(sa_column=_enum(ChangeSource, nullable=False))
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class Meeting(SQLModel, table=True):
    """A Chefforum meeting and its pack: a draft until published, then frozen."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_date: date = Field(unique=True, index=True)
    title: str = Field(max_length=200)
    mode: PackMode = Field(sa_column=_enum(PackMode, nullable=False))
    # The agenda item (DOMAIN.md). Empty: the suggested text, written from the live portfolio
    # until publishing freezes it. Beslutning is written after the meeting.
    anledning: str = Field(default="", sa_type=sa.Text)
    sagsfremstilling: str = Field(default="", sa_type=sa.Text)
    indstilling: str = Field(default="", sa_type=sa.Text)
    beslutning: str = Field(default="", sa_type=sa.Text)
    bilag: str = Field(default="", sa_type=sa.Text)  # one attachment per line
    published_at: datetime | None = None
    published_by: str | None = Field(default=None, max_length=200)
    # Fixed when published, so a pack compares with the same meeting for ever.
    previous_meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    version: int = Field(default=1)  # guards every UPDATE, as Project's does
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    __mapper_args__ = declared_attr(_versioned)  # type: ignore[arg-type,var-annotated]


class MeetingSnapshot(SQLModel, table=True):
    """One project as it stood when its meeting's pack was published. Written once, never
    changed: a published pack reads only these rows."""

    __tablename__ = "meeting_snapshot"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "project_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    project_id: int  # no foreign key: the snapshot outlives any later change to the project
    data: str = Field(sa_type=sa.Text)  # the PackProject as JSON


class MeetingItem(SQLModel, table=True):
    """A project's place in one meeting: flagged for decision by hand, and Chefforum's decision."""

    __tablename__ = "meeting_item"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "project_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    flagged: bool = False
    decision: str | None = Field(default=None, sa_type=sa.Text)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = None
