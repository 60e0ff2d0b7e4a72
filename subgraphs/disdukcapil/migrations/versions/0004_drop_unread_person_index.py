"""person: drop the index on normalized_name, which no query reads

Candidate retrieval looks registry persons up by their blocking keys (migration 0002) and by
region_code (a desa's children); persons are otherwise read by id, NIK or KK number. Nothing
searches `person.normalized_name` (the name search is the child index's), so its index only
cost the bulk import a ten-million-row rebuild and every insert a b-tree update. The column
stays: it is written and shown.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_normalized_name")


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_normalized_name", ["normalized_name"], unique=False)
