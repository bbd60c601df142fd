"""meetings: Chefforum meetings, frozen snapshots, decisions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("complete", "decisions", name="packmode", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("anledning", sa.Text(), nullable=False),
        sa.Column("sagsfremstilling", sa.Text(), nullable=False),
        sa.Column("indstilling", sa.Text(), nullable=False),
        sa.Column("beslutning", sa.Text(), nullable=False),
        sa.Column("bilag", sa.Text(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("previous_meeting_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["previous_meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_meeting_date"), ["meeting_date"], unique=True)

    op.create_table(
        "meeting_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "project_id"),
    )
    with op.batch_alter_table("meeting_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_snapshot_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "project_id"),
    )
    with op.batch_alter_table("meeting_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_item_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_item_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_item_project_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_item_meeting_id"))

    op.drop_table("meeting_item")
    with op.batch_alter_table("meeting_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_snapshot_meeting_id"))

    op.drop_table("meeting_snapshot")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_meeting_date"))

    op.drop_table("meeting")
