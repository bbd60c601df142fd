"""The finance tables: pools and their append-only ledger, projects' spending per year, and
benefits with their measurements and assessments."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from portfolio.db import enum_column, utcnow, versioned
from portfolio.domain import Assessment, BenefitType, MovementKind


class Pool(SQLModel, table=True):
    """A funding pool, e.g. Digitaliseringsrådets pulje. Its figures come from its movements;
    the version is bumped by every movement, so two grants from one balance cannot both win."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    owner_body: str = Field(max_length=200)  # e.g. Digitaliseringsrådet
    established_on: date
    # The return rule: this share (whole percent) of realised economic gains flows back to the
    # pool, the rest to the political room for manoeuvre; and whether the investment is repaid.
    return_share_pct: int = Field(default=25)
    repay_investment: bool = Field(default=True)
    description: str | None = Field(default=None, sa_type=sa.Text)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]


class PoolMovement(SQLModel, table=True):
    """One line of a pool's ledger. Never updated or deleted (the database refuses it too):
    a mistake is reversed by a new movement. Amounts are whole kroner, positive, except a
    correction, whose sign says which way it moves the balance."""

    __tablename__ = "pool_movement"

    id: int | None = Field(default=None, primary_key=True)
    pool_id: int = Field(foreign_key="pool.id", index=True)
    kind: MovementKind = Field(sa_column=enum_column(MovementKind, nullable=False))
    amount_dkk: int = Field(sa_type=sa.BigInteger)
    occurred_on: date
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    source: str | None = Field(default=None, max_length=300)  # a deposit's origin
    decision_meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    decision_case_number: str | None = Field(default=None, max_length=60)
    note: str | None = Field(default=None, sa_type=sa.Text)  # a correction's reason, too
    # A release or return names the grant it belongs to; a correction the movement it corrects.
    refers_to_id: int | None = Field(default=None, foreign_key="pool_movement.id")
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)


class ProjectSpending(SQLModel, table=True):
    """A project's budget and actual spending in one year (whole kroner)."""

    __tablename__ = "project_spending"
    __table_args__ = (sa.UniqueConstraint("project_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    year: int
    budget_dkk: int | None = Field(default=None, sa_type=sa.BigInteger)
    actual_dkk: int | None = Field(default=None, sa_type=sa.BigInteger)
    version: int = Field(default=1)

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]


class BenefitBase(SQLModel):
    """A benefit's own fields, as the form, the sheet and the JSON name them."""

    title: str = Field(max_length=200)
    type: BenefitType = Field(sa_column=enum_column(BenefitType, nullable=False))
    description: str | None = Field(default=None, sa_type=sa.Text)
    indicator: str | None = Field(default=None, max_length=300)  # how it is measured
    unit: str | None = Field(default=None, max_length=40)  # kr./år, timer/år, fejl pr. måned …
    baseline_value: float | None = None  # nulpunkt
    baseline_date: date | None = None
    target_pessimistic: float | None = None
    target_likely: float | None = None
    target_optimistic: float | None = None
    full_effect_on: date | None = None
    hourly_value_dkk: int | None = None  # a time benefit's worth per hour, when given


class Benefit(BenefitBase, table=True):
    """A gevinst of a project, owned by a gevinstejer (a person; one per department where it
    lands)."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]


class BenefitMeasurement(SQLModel, table=True):
    """A measurement (value) or, for a qualitative benefit, an assessment on the scale with
    its evidence. Never edited: a new one supersedes it."""

    __tablename__ = "benefit_measurement"

    id: int | None = Field(default=None, primary_key=True)
    benefit_id: int = Field(foreign_key="benefit.id", index=True)
    measured_on: date
    value: float | None = None
    assessment: Assessment | None = Field(
        default=None, sa_column=enum_column(Assessment, nullable=True)
    )
    comment: str | None = Field(default=None, sa_type=sa.Text)  # evidence, for an assessment
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow)


class HistoryIsAppendOnly(Exception):
    """A ledger line or a measurement was to be changed or deleted: refused, always."""


def _refuse(_mapper: object, _connection: object, target: object) -> None:
    raise HistoryIsAppendOnly(
        f"{type(target).__name__} er historik: rækker ændres og slettes ikke, der tilføjes en ny."
    )


for _model in (PoolMovement, BenefitMeasurement):
    sa.event.listen(_model, "before_update", _refuse)
    sa.event.listen(_model, "before_delete", _refuse)
