"""verification.recorded_by holds the recording officer's staff id: renamed recorded_by_id

A verification's recorder is the signed-in user (the grant's staff id), never a free-text name
sent as an argument. Rows recorded before keep what they held.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.alter_column(
            "recorded_by",
            new_column_name="recorded_by_id",
            existing_type=sa.String(length=120),
            type_=sa.String(length=32),
            existing_nullable=False,
            postgresql_using="left(recorded_by, 32)",
        )


def downgrade() -> None:
    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.alter_column(
            "recorded_by_id",
            new_column_name="recorded_by",
            existing_type=sa.String(length=32),
            type_=sa.String(length=120),
            existing_nullable=False,
        )
