"""import profiles: the choices per sheet layout, and the choices recorded with each import

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("import_profile", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_profile_signature"), ["signature"], unique=False
        )

    with op.batch_alter_table("import_run", schema=None) as batch_op:
        # Earlier imports recorded no choices.
        batch_op.add_column(sa.Column("choices", sa.Text(), server_default="{}", nullable=False))
        batch_op.add_column(
            sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_column("profile")
        batch_op.drop_column("choices")

    with op.batch_alter_table("import_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_profile_signature"))

    op.drop_table("import_profile")
