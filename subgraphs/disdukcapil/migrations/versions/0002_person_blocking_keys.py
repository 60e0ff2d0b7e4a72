"""person: blocking keys for identity resolution (resolution.blocking)

Four columns a registry person is filed under (the phonetic key of the name the person is called
by, of another name token, of the mother's called name, and the birth year) and the composite
indexes candidate retrieval reads. Rows already present are keyed by `satu-anak identity rekey`
(the seeder and the importer write the keys themselves).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_person_name_key_year", ["name_key", "birth_year"]),
    ("ix_person_name_key_region", ["name_key", "region_code"]),
    ("ix_person_name_key2_year", ["name_key2", "birth_year"]),
    ("ix_person_mother_key_region", ["mother_key", "region_code"]),
    ("ix_person_mother_key_year", ["mother_key", "birth_year"]),
)


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        for name in ("name_key", "name_key2", "mother_key"):
            batch_op.add_column(
                sa.Column(name, sa.String(length=40), nullable=False, server_default="")
            )
        batch_op.add_column(
            sa.Column("birth_year", sa.Integer(), nullable=False, server_default="0")
        )
        for index, columns in _INDEXES:
            batch_op.create_index(index, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        for index, _columns in _INDEXES:
            batch_op.drop_index(index)
        for name in ("birth_year", "mother_key", "name_key2", "name_key"):
            batch_op.drop_column(name)
