"""person: the region index covers the desa block's year window and sex

A record known only by a call name is looked up among its desa's children of its sex born in its
window (resolution.blocking, the neighbourhood block): ix_person_region_code now carries
birth_year and sex (and, on PostgreSQL, INCLUDEs id), so that block reads the index alone instead
of fetching each of the desa's few thousand people from the table. It still serves every lookup
by region_code.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_region_code")
        batch_op.create_index(
            "ix_person_region_code", ["region_code", "birth_year", "sex"], unique=False,
            postgresql_include=["id"],
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_region_code")
        batch_op.create_index("ix_person_region_code", ["region_code"], unique=False)
