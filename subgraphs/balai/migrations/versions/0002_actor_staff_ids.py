"""actors as staff ids: stage events and assessments name the caseworker who acted

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A recorded name becomes the id of the caseworker of that name at the case's Balai; where no
# caseworker there has that name, the case's assigned caseworker (the one the case belongs to).
_STAGE_EVENT_IDS = """
UPDATE stage_event SET by_id = coalesce(
  (SELECT min(w.id) FROM caseworker w JOIN atensi_case c ON c.balai_code = w.balai_code
   WHERE c.id = stage_event.case_id AND w.name = stage_event."by"),
  (SELECT c.caseworker_id FROM atensi_case c WHERE c.id = stage_event.case_id))
"""
_ASSESSMENT_IDS = """
UPDATE assessment SET assessor_id = coalesce(
  (SELECT min(w.id) FROM caseworker w JOIN atensi_case c ON c.balai_code = w.balai_code
   WHERE c.id = assessment.case_id AND w.name = assessment.assessor),
  (SELECT c.caseworker_id FROM atensi_case c WHERE c.id = assessment.case_id))
"""
_STAGE_EVENT_NAMES = """
UPDATE stage_event SET "by" = (SELECT w.name FROM caseworker w WHERE w.id = stage_event.by_id)
"""
_ASSESSMENT_NAMES = """
UPDATE assessment SET assessor = (SELECT w.name FROM caseworker w WHERE w.id = assessment.assessor_id)
"""


def upgrade() -> None:
    with op.batch_alter_table("stage_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("by_id", sa.Integer(), nullable=True))
    op.execute(_STAGE_EVENT_IDS)
    with op.batch_alter_table("stage_event", schema=None) as batch_op:
        batch_op.alter_column("by_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_stage_event_by_id_caseworker"), "caseworker", ["by_id"], ["id"]
        )
        batch_op.drop_column("by")

    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessor_id", sa.Integer(), nullable=True))
    op.execute(_ASSESSMENT_IDS)
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.alter_column("assessor_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_assessment_assessor_id_caseworker"),
            "caseworker",
            ["assessor_id"],
            ["id"],
        )
        batch_op.drop_column("assessor")


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessor", sa.String(length=120), nullable=True))
    op.execute(_ASSESSMENT_NAMES)
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.alter_column("assessor", existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_assessment_assessor_id_caseworker"), type_="foreignkey"
        )
        batch_op.drop_column("assessor_id")

    with op.batch_alter_table("stage_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("by", sa.String(length=120), nullable=True))
    op.execute(_STAGE_EVENT_NAMES)
    with op.batch_alter_table("stage_event", schema=None) as batch_op:
        batch_op.alter_column("by", existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_stage_event_by_id_caseworker"), type_="foreignkey")
        batch_op.drop_column("by_id")
