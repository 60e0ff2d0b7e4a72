"""identity resolution: the officer's decisions and the work queue's suggestions

`identity_decision`: each LINK, NOT_THIS_PERSON or NEW_REGISTRATION, with the matcher's score and
explanation when decided, who decided and why, and its undoing (never deleted).
`identity_suggestion_run` / `identity_suggestion`: the matcher's top candidates per child,
computed on demand by the work queue and dropped when stale (docs/identity-resolution.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.create_index("ix_child_registered_at", ["registered_at", "id"], unique=False)
    op.create_table(
        "identity_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=16), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("model_version", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("undo_data", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_by_name", sa.String(length=120), nullable=False),
        sa.Column("decided_by_role", sa.String(length=40), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=120), nullable=True),
        sa.Column("undone_by_name", sa.String(length=120), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_identity_decision_child_id_child")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_decision")),
    )
    with op.batch_alter_table("identity_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_decision_child_id"), ["child_id"], unique=False
        )

    op.create_table(
        "identity_suggestion",
        sa.Column("child_id", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_identity_suggestion_child_id_child")
        ),
        sa.PrimaryKeyConstraint("child_id", "rank", name=op.f("pk_identity_suggestion")),
    )
    op.create_table(
        "identity_suggestion_run",
        sa.Column("child_id", sa.String(length=16), nullable=False),
        sa.Column("candidate_count", sa.Integer(), nullable=False),
        sa.Column("best_score", sa.Float(), nullable=True),
        sa.Column("best_band", sa.String(length=16), nullable=True),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_identity_suggestion_run_child_id_child")
        ),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_identity_suggestion_run")),
    )
    with op.batch_alter_table("identity_suggestion_run", schema=None) as batch_op:
        batch_op.create_index("ix_identity_suggestion_run_score", ["best_score"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_suggestion_run", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_suggestion_run_score")

    op.drop_table("identity_suggestion_run")
    op.drop_table("identity_suggestion")
    with op.batch_alter_table("identity_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_decision_child_id"))

    op.drop_table("identity_decision")
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.drop_index("ix_child_registered_at")
