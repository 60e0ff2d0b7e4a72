"""person: held — an index child holds this person's NIK — kept by triggers, in the key indexes

A person is one child: ``linkNik`` refuses a NIK another index child holds. In the seeded
worlds most of the people a record's blocks find are such persons (88 % at 200,000 children),
and a block's cap kept them as readily as the people the child could be: a child known by a
call name alone, whose family moved, lost its own person to the cap. A block for an index child
now cuts held persons first (resolution.store), which needs ``held`` in the covering key indexes
so that a block still reads its index alone.

The column is the database's to keep, not each writer's: triggers on ``child`` set and clear it
whenever a child row gains, changes or loses a NIK (linkNik, its undo, a child registered with
a NIK, the seeder's load). A person row written after the child that holds its NIK is the
writer's to mark: the registry import does, for the rows it adds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:10:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BY_YEAR = ["birth_year", "region_code", "sex"]
_BY_REGION = ["region_code", "birth_year", "sex"]
# Each key index's columns before this migration; held is appended to each.
_INDEXES = {
    "ix_person_name_key_year": ["name_key", *_BY_YEAR],
    "ix_person_name_key_region": ["name_key", *_BY_REGION],
    "ix_person_name_key2_year": ["name_key2", *_BY_YEAR],
    "ix_person_mother_key_region": ["mother_key", *_BY_REGION],
    "ix_person_mother_key_year": ["mother_key", *_BY_YEAR],
    "ix_person_region_code": _BY_REGION,
    "ix_person_birth_date_keys": ["birth_date", "name_key", "mother_key", "birth_year", "sex"],
}

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER child_holds_person_insert AFTER INSERT ON child
       WHEN NEW.nik IS NOT NULL
       BEGIN UPDATE person SET held = 1 WHERE nik = NEW.nik; END""",
    """CREATE TRIGGER child_holds_person_update AFTER UPDATE OF nik ON child
       WHEN OLD.nik IS NOT NEW.nik
       BEGIN
         UPDATE person SET held = 0 WHERE nik = OLD.nik;
         UPDATE person SET held = 1 WHERE nik = NEW.nik;
       END""",
    """CREATE TRIGGER child_holds_person_delete AFTER DELETE ON child
       WHEN OLD.nik IS NOT NULL
       BEGIN UPDATE person SET held = 0 WHERE nik = OLD.nik; END""",
)
_POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION child_holds_person() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP <> 'INSERT' AND OLD.nik IS NOT NULL THEN
           UPDATE person SET held = false WHERE nik = OLD.nik;
         END IF;
         IF TG_OP <> 'DELETE' AND NEW.nik IS NOT NULL THEN
           UPDATE person SET held = true WHERE nik = NEW.nik;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER child_holds_person_insert AFTER INSERT ON child
       FOR EACH ROW WHEN (NEW.nik IS NOT NULL) EXECUTE FUNCTION child_holds_person()""",
    """CREATE TRIGGER child_holds_person_update AFTER UPDATE OF nik ON child
       FOR EACH ROW WHEN (OLD.nik IS DISTINCT FROM NEW.nik) EXECUTE FUNCTION child_holds_person()""",
    """CREATE TRIGGER child_holds_person_delete AFTER DELETE ON child
       FOR EACH ROW WHEN (OLD.nik IS NOT NULL) EXECUTE FUNCTION child_holds_person()""",
)
_DROP = {
    "sqlite": (
        "DROP TRIGGER child_holds_person_insert",
        "DROP TRIGGER child_holds_person_update",
        "DROP TRIGGER child_holds_person_delete",
    ),
    "postgresql": (
        "DROP TRIGGER child_holds_person_insert ON child",
        "DROP TRIGGER child_holds_person_update ON child",
        "DROP TRIGGER child_holds_person_delete ON child",
        "DROP FUNCTION child_holds_person()",
    ),
}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    op.add_column(
        "person", sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        sa.text(
            "UPDATE person SET held = :held "
            "WHERE nik IN (SELECT nik FROM child WHERE nik IS NOT NULL)"
        ).bindparams(held=True)
    )
    for statement in _POSTGRESQL_TRIGGERS if postgresql else _SQLITE_TRIGGERS:
        op.execute(statement)
    _rebuild(lambda columns: [*columns, "held"])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    for statement in _DROP[dialect]:
        op.execute(statement)
    _rebuild(lambda columns: columns)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("held")


def _rebuild(columns_of: Callable[[list[str]], list[str]]) -> None:
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name="person")
        op.create_index(name, "person", columns_of(columns), postgresql_include=["id"])
