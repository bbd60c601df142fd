"""Chefforum meetings, their published snapshots and the projects flagged or decided."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from portfolio.db import enum_column, utcnow, versioned
from portfolio.meetings.pack import PackMode


class Meeting(SQLModel, table=True):
    """A Chefforum meeting and its pack: a draft until published, then frozen."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_date: date = Field(unique=True, index=True)
    title: str = Field(max_length=200)
    mode: PackMode = Field(sa_column=enum_column(PackMode, nullable=False))
    # The agenda item (DOMAIN.md). Empty: the suggested text, written from the live portfolio
    # until publishing freezes it. Beslutning is written after the meeting.
    anledning: str = Field(default="", sa_type=sa.Text)
    sagsfremstilling: str = Field(default="", sa_type=sa.Text)
    indstilling: str = Field(default="", sa_type=sa.Text)
    beslutning: str = Field(default="", sa_type=sa.Text)
    bilag: str = Field(default="", sa_type=sa.Text)  # one attachment per line
    # The rollout plan (issue 14) as a second agenda item, til beslutning; its texts are
    # suggested from the plan and frozen at publishing, its Beslutning written after the meeting.
    include_rollout: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}, nullable=False
    )
    rollout_beslutning: str = Field(
        default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""}
    )
    # Funding pools and benefits (issue 15): the section "Finansiering og gevinster" in the
    # portfolio item, and a pool's written orientation as an item of its own, til orientering;
    # its texts are suggested from the ledger and frozen at publishing.
    include_finance: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}, nullable=False
    )
    include_pool_orientation: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}, nullable=False
    )
    pool_beslutning: str = Field(
        default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""}
    )
    published_at: datetime | None = None
    published_by: str | None = Field(default=None, max_length=200)
    # Fixed when published, so a pack compares with the same meeting for ever.
    previous_meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    version: int = Field(default=1)  # guards every UPDATE, as Project's does
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]


class MeetingSnapshot(SQLModel, table=True):
    """One project as it stood when its meeting's pack was published. Written once, never
    changed: a published pack reads only these rows."""

    __tablename__ = "meeting_snapshot"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "project_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    project_id: int  # no foreign key: the snapshot outlives any later change to the project
    data: str = Field(sa_type=sa.Text)  # the PackProject as JSON


class MeetingRolloutSnapshot(SQLModel, table=True):
    """The rollout grid and its agenda text as they stood when the meeting's pack was
    published: written once, never changed (portfolio/meetings/rollout_item.py's JSON)."""

    __tablename__ = "meeting_rollout_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    data: str = Field(sa_type=sa.Text)


class MeetingFinanceSnapshot(SQLModel, table=True):
    """The pools, ledger lines, benefits and measurements, and the orientation's text, as they
    stood when the meeting's pack was published: written once, never changed
    (portfolio/meetings/finance_item.py's JSON)."""

    __tablename__ = "meeting_finance_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    data: str = Field(sa_type=sa.Text)


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


class ReviewRound(SQLModel, table=True):
    """The review round (gennemgangsrunde) before a meeting: each chief is asked by mail to go
    through their projects by the deadline (portfolio/meetings/review_round.py). One per meeting;
    deleting the draft deletes it (the mails sent stay in the mail log)."""

    __tablename__ = "review_round"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    deadline: date
    started_at: datetime = Field(default_factory=utcnow)
    started_by: str = Field(max_length=200)
