"""initial schema: departments, people, projects, status history

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "project",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("case_number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column(
            "scope",
            sa.Enum(
                "national", "municipal", "department", name="scope", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum("strategic", "operational", name="kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "phase",
            sa.Enum(
                "idea",
                "analysis",
                "procurement",
                "implementation",
                "benefits",
                "completed",
                "paused",
                "stopped",
                name="phase",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("green", "yellow", "red", name="status", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("status_comment", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("baseline_end_date", sa.Date(), nullable=True),
        sa.Column("budget_dkk", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("process_owner_id", sa.Integer(), nullable=True),
        sa.Column("project_lead_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["process_owner_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_lead_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number"),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_project_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_project_process_owner_id"), ["process_owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_project_lead_id"), ["project_lead_id"], unique=False
        )

    op.create_table(
        "status_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "web", "import", "cli", "demo", name="changesource", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("import_ref", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_update_changed_at"), ["changed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_status_update_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_update_project_id"))
        batch_op.drop_index(batch_op.f("ix_status_update_changed_at"))

    op.drop_table("status_update")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_project_lead_id"))
        batch_op.drop_index(batch_op.f("ix_project_process_owner_id"))
        batch_op.drop_index(batch_op.f("ix_project_name"))
        batch_op.drop_index(batch_op.f("ix_project_department_id"))

    op.drop_table("project")
    op.drop_table("person")
    op.drop_table("department")
