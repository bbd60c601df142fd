"""The rollout tables: an app's rollout settings, its cells (project × department), their
history, and the departments' blackout periods."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from portfolio.db import enum_column, utcnow, versioned
from portfolio.domain import ChangeSource, RolloutState

DEFAULT_CHECKLIST = ("Superbrugere udpeget", "Oplæring gennemført", "Data klar", "Udstyr klar")


class Rollout(SQLModel, table=True):
    """A project rolled out department by department: its base implementation time (a
    department's own time is this × its factor) and the readiness checklist its cells tick."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", unique=True)
    base_weeks: int = Field(default=6)
    checklist: str = Field(default="\n".join(DEFAULT_CHECKLIST), sa_type=sa.Text)  # one per line
    version: int = Field(default=1)

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]

    @property
    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class RolloutCellBase(SQLModel):
    """A cell's own fields, as the grid, the form, the sheet and the JSON name them."""

    state: RolloutState = Field(
        default=RolloutState.not_started, sa_column=enum_column(RolloutState, nullable=False)
    )
    planned_start: date | None = None
    planned_go_live: date | None = None
    baseline_go_live: date | None = None
    actual_go_live: date | None = None
    implementation_weeks: int | None = None
    users: int | None = None
    blocker: str | None = Field(default=None, max_length=2000, sa_type=sa.Text)
    # The checklist items done, one per line (the rollout's checklist names them).
    readiness: str = Field(default="", sa_type=sa.Text)


class RolloutCell(RolloutCellBase, table=True):
    __tablename__ = "rollout_cell"
    __table_args__ = (sa.UniqueConstraint("project_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="person.id")
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow)

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]

    @property
    def readiness_items(self) -> list[str]:
        return [line.strip() for line in self.readiness.splitlines() if line.strip()]


class RolloutChange(SQLModel, table=True):
    """One change of a cell: who, when, old → new. History, never edited."""

    __tablename__ = "rollout_change"

    id: int | None = Field(default=None, primary_key=True)
    cell_id: int = Field(foreign_key="rollout_cell.id", index=True)
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    changed_by: str = Field(max_length=200)
    field: str = Field(max_length=30)
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    source: ChangeSource = Field(sa_column=enum_column(ChangeSource, nullable=False))


class Blackout(SQLModel, table=True):
    """A yearly period when a department takes on no rollout: July, Christmas, school holidays.
    From start (month, day) to end (month, day), both included; it may wrap the new year."""

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    label: str = Field(max_length=60)  # as in a sentence: "juli", "jul", "vinterferie"
    start_month: int
    start_day: int
    end_month: int
    end_day: int
