"""responder as staff id: a case response names the staff id of who responded

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("social_worker_id", sa.String(length=32), nullable=True))
    # Dinsos keeps no staff roster to turn a recorded name into an id: an earlier response keeps
    # what it recorded (cut to the column), which matches no staff id and so gives no one rights.
    op.execute("UPDATE case_response SET social_worker_id = substr(social_worker, 1, 32)")
    with op.batch_alter_table("case_response", schema=None) as batch_op:
        batch_op.alter_column(
            "social_worker_id", existing_type=sa.String(length=32), nullable=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_response_social_worker_id"), ["social_worker_id"], unique=False
        )
        batch_op.drop_column("social_worker")


def downgrade() -> None:
    with op.batch_alter_table("case_response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("social_worker", sa.String(length=120), nullable=True))
    op.execute("UPDATE case_response SET social_worker = social_worker_id")
    with op.batch_alter_table("case_response", schema=None) as batch_op:
        batch_op.alter_column("social_worker", existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_index(batch_op.f("ix_case_response_social_worker_id"))
        batch_op.drop_column("social_worker_id")
