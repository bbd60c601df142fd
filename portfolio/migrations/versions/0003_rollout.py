"""rollout: plans per department, blackouts, history

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blackout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("end_month", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("blackout", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blackout_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "rollout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("base_weeks", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id"),
    )
    op.create_table(
        "rollout_cell",
        sa.Column(
            "state",
            sa.Enum(
                "not_started",
                "preparing",
                "in_progress",
                "live",
                "postponed",
                "not_relevant",
                name="rolloutstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_go_live", sa.Date(), nullable=True),
        sa.Column("baseline_go_live", sa.Date(), nullable=True),
        sa.Column("actual_go_live", sa.Date(), nullable=True),
        sa.Column("implementation_weeks", sa.Integer(), nullable=True),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("blocker", sa.Text(), nullable=True),
        sa.Column("readiness", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "department_id"),
    )
    with op.batch_alter_table("rollout_cell", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rollout_cell_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rollout_cell_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "rollout_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "web",
                "import",
                "cli",
                "demo",
                "plan",
                name="changesource",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["cell_id"],
            ["rollout_cell.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rollout_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollout_change_cell_id"), ["cell_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rollout_change_changed_at"), ["changed_at"], unique=False
        )

    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chief_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("head_count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("implementation_factor", sa.Float(), nullable=False, server_default="1.0")
        )
        batch_op.create_foreign_key("fk_department_chief_id_person", "person", ["chief_id"], ["id"])

    # The rollout as an agenda item of a Chefforum meeting, and its frozen copy.
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("include_rollout", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("rollout_beslutning", sa.Text(), nullable=False, server_default="")
        )
    op.create_table(
        "meeting_rollout_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )


def downgrade() -> None:
    op.drop_table("meeting_rollout_snapshot")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("rollout_beslutning")
        batch_op.drop_column("include_rollout")

    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_constraint("fk_department_chief_id_person", type_="foreignkey")
        batch_op.drop_column("implementation_factor")
        batch_op.drop_column("head_count")
        batch_op.drop_column("chief_id")

    with op.batch_alter_table("rollout_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_change_changed_at"))
        batch_op.drop_index(batch_op.f("ix_rollout_change_cell_id"))

    op.drop_table("rollout_change")
    with op.batch_alter_table("rollout_cell", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_cell_project_id"))
        batch_op.drop_index(batch_op.f("ix_rollout_cell_department_id"))

    op.drop_table("rollout_cell")
    op.drop_table("rollout")
    with op.batch_alter_table("blackout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blackout_department_id"))

    op.drop_table("blackout")
