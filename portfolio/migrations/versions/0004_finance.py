"""finance: pools with an append-only ledger, project spending, benefits and measurements

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pool",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner_body", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("return_share_pct", sa.Integer(), nullable=False),
        sa.Column("repay_investment", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "benefit",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "economic", "time", "qualitative", name="benefittype", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_date", sa.Date(), nullable=True),
        sa.Column("target_pessimistic", sa.Float(), nullable=True),
        sa.Column("target_likely", sa.Float(), nullable=True),
        sa.Column("target_optimistic", sa.Float(), nullable=True),
        sa.Column("full_effect_on", sa.Date(), nullable=True),
        sa.Column("hourly_value_dkk", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("benefit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benefit_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_benefit_project_id"), ["project_id"], unique=False)

    op.create_table(
        "pool_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "deposit",
                "grant",
                "release",
                "return",
                "correction",
                name="movementkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("amount_dkk", sa.BigInteger(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("decision_meeting_id", sa.Integer(), nullable=True),
        sa.Column(
            "decision_case_number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("refers_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["pool.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["refers_to_id"],
            ["pool_movement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pool_movement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pool_movement_pool_id"), ["pool_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pool_movement_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "project_spending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("budget_dkk", sa.BigInteger(), nullable=True),
        sa.Column("actual_dkk", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "year"),
    )
    with op.batch_alter_table("project_spending", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_spending_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "benefit_measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("benefit_id", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column(
            "assessment",
            sa.Enum(
                "not_begun",
                "underway",
                "partly",
                "realised",
                name="assessment",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["benefit_id"],
            ["benefit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("benefit_measurement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_benefit_measurement_benefit_id"), ["benefit_id"], unique=False
        )
    _refuse_updates()


# The ledger and the measurements are history: the database refuses to change a row in place
# (the ORM refuses deletes too, see portfolio/finance/models.py); a mistake is a new row.
APPEND_ONLY = ("pool_movement", "benefit_measurement")


def _refuse_updates() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION portfolio_refuse_update() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION '% er historik og ændres ikke', TG_TABLE_NAME;"
            " END $$"
        )
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION portfolio_refuse_update()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN"
                f" SELECT RAISE(ABORT, '{table} er historik og ændres ikke');"
                " END"
            )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(
            f"DROP TRIGGER IF EXISTS {table}_no_update"
            + (f" ON {table}" if op.get_bind().dialect.name == "postgresql" else "")
        )
    with op.batch_alter_table("benefit_measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benefit_measurement_benefit_id"))

    op.drop_table("benefit_measurement")
    with op.batch_alter_table("project_spending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_spending_project_id"))

    op.drop_table("project_spending")
    with op.batch_alter_table("pool_movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_movement_project_id"))
        batch_op.drop_index(batch_op.f("ix_pool_movement_pool_id"))

    op.drop_table("pool_movement")
    with op.batch_alter_table("benefit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benefit_project_id"))
        batch_op.drop_index(batch_op.f("ix_benefit_owner_id"))

    op.drop_table("benefit")
    op.drop_table("pool")
