"""person: the key indexes cover what candidate retrieval filters and orders by

Each of the five key indexes (migration 0002) now carries, after its key and its year or region,
the other of birth_year / region_code and sex: a block's conditions (a year window, a region
prefix, the sex) and its order are read from the index alone. Before, every matching row was
fetched from the table to test them: at ten million people a common name's window is ~1,500 rows
on as many table pages, which made retrieval most of a query's time (bench/identity/SCALE.md).
PostgreSQL's indexes also INCLUDE id (SQLite's carry the rowid, which is id); PostgreSQL answers
from an index alone only on pages its visibility map marks, which the bulk import's VACUUM sets.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    ("ix_person_name_key_year", ["name_key", "birth_year"]),
    ("ix_person_name_key_region", ["name_key", "region_code"]),
    ("ix_person_name_key2_year", ["name_key2", "birth_year"]),
    ("ix_person_mother_key_region", ["mother_key", "region_code"]),
    ("ix_person_mother_key_year", ["mother_key", "birth_year"]),
)
_COVERED = {"birth_year": ["region_code", "sex"], "region_code": ["birth_year", "sex"]}


def _rebuild(covering: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The rebuilds sort ten million keys: in memory, not in temporary files.
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    with op.batch_alter_table("person", schema=None) as batch_op:
        for index, columns in _BEFORE:
            batch_op.drop_index(index)
            if covering:
                batch_op.create_index(
                    index, [*columns, *_COVERED[columns[1]]], unique=False,
                    postgresql_include=["id"],
                )  # fmt: skip
            else:
                batch_op.create_index(index, columns, unique=False)


def upgrade() -> None:
    _rebuild(covering=True)


def downgrade() -> None:
    _rebuild(covering=False)
