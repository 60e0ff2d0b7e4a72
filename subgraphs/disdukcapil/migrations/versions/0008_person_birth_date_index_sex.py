"""person: the birth-date index carries the sex

A child known only by a call name made from the end of its formal name ("Nana" for Mardiana),
whose family moved, with no mother nor KK number to look up by, is looked up among the nation's
children of its sex born on its written day whose called name ends as the call name does
(resolution.blocking, the name-end block): the birth-date index now carries the sex after the
keys, so that block tests the name's end and the sex in the index alone instead of fetching
each of the day's few hundred people (at ten million) from the table. It still serves the day
blocks by name or mother as 0007's did (the same leading columns).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_birth_date_keys")
        batch_op.create_index(
            "ix_person_birth_date_keys",
            ["birth_date", "name_key", "mother_key", "birth_year", "sex"],
            unique=False, postgresql_include=["id"],
        )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_birth_date_keys")
        batch_op.create_index(
            "ix_person_birth_date_keys", ["birth_date", "name_key", "mother_key", "birth_year"],
            unique=False, postgresql_include=["id"],
        )  # fmt: skip
