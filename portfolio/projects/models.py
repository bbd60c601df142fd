"""The register's tables: departments, people, projects and their status history."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, Relationship, SQLModel

from portfolio.db import enum_column, utcnow, versioned
from portfolio.domain import ChangeSource, Kind, Phase, Scope, Status


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
    scope: Scope = Field(sa_column=enum_column(Scope, nullable=False))
    kind: Kind = Field(sa_column=enum_column(Kind, nullable=False))
    phase: Phase = Field(sa_column=enum_column(Phase, nullable=False))
    status: Status | None = Field(default=None, sa_column=enum_column(Status, nullable=True))
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

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]


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
    source: ChangeSource = Field(sa_column=enum_column(ChangeSource, nullable=False))
    # The import that caused the change, when an import did.
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)

    project: Project | None = Relationship(back_populates="updates")


TRACKED_FIELDS = ("status", "phase", "status_comment")
