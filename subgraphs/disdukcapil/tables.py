"""Disdukcapil's tables: the national child index, the population registry, families (KK)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)

from subgraphs.common.tables import UtcDateTime, new_metadata

metadata = new_metadata()

# Kartu Keluarga: the family card; its number identifies the household.
family = Table(
    "family",
    metadata,
    Column("kk_number", String(16), primary_key=True),
    Column("head_name", String(120), nullable=False),
    Column("region_code", String(13), nullable=False, index=True),
    Column("address", Text, nullable=False),
    Column("issued_on", Date, nullable=False),
)

# The population registry (SIAK): people with a NIK, whom undocumented children are matched against.
person = Table(
    "person",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("nik", String(16), nullable=False, unique=True),
    Column("kk_number", String(16), ForeignKey("family.kk_number"), nullable=False, index=True),
    Column("full_name", String(120), nullable=False),
    # Not indexed: nothing searches persons by it (retrieval reads the blocking keys below).
    Column("normalized_name", String(120), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("birth_place", String(80), nullable=False),
    Column("mother_name", String(120), nullable=True),
    Column("father_name", String(120), nullable=True),
    Column("relationship", String(24), nullable=False),  # within the KK: HEAD, SPOUSE, CHILD, ...
    Column("region_code", String(13), nullable=False),  # indexed below
    Column("birth_certificate_number", String(32), nullable=True),
    # Blocking keys (resolution.blocking.registry_keys): candidate retrieval looks people up by
    # these, several blocks unioned, so no one field has to be right.
    Column("name_key", String(40), nullable=False, server_default=""),
    Column("name_key2", String(40), nullable=False, server_default=""),
    Column("mother_key", String(40), nullable=False, server_default=""),
    Column("birth_year", Integer, nullable=False, server_default="0"),
    # An index child holds this person's NIK (child.nik): kept by the database itself, by
    # triggers on child (migration 0009), and set by the registry import for the rows it adds.
    # A block cuts such people first for an index child, who cannot be linked to them.
    Column("held", Boolean, nullable=False, server_default=false()),
)
# The key indexes cover what retrieval filters and orders by (migrations 0005, 0006, 0009): a
# block reads its index alone, never the table. PostgreSQL's also INCLUDE id (SQLite's carry the
# rowid, which is id).
_BY_YEAR = (person.c.birth_year, person.c.region_code, person.c.sex, person.c.held)
_BY_REGION = (person.c.region_code, person.c.birth_year, person.c.sex, person.c.held)
_ID = ["id"]
Index("ix_person_name_key_year", person.c.name_key, *_BY_YEAR, postgresql_include=_ID)
Index("ix_person_name_key_region", person.c.name_key, *_BY_REGION, postgresql_include=_ID)
Index("ix_person_name_key2_year", person.c.name_key2, *_BY_YEAR, postgresql_include=_ID)
Index("ix_person_mother_key_region", person.c.mother_key, *_BY_REGION, postgresql_include=_ID)
Index("ix_person_mother_key_year", person.c.mother_key, *_BY_YEAR, postgresql_include=_ID)
# A desa's children of one sex in a window (resolution.blocking's neighbourhood block).
Index("ix_person_region_code", *_BY_REGION, postgresql_include=_ID)
# The people born on a few given days, by name or mother (the day blocks; migration 0007), or
# of one sex whose called name ends so (the name-end block; migration 0008 added sex).
Index(
    "ix_person_birth_date_keys", person.c.birth_date, person.c.name_key, person.c.mother_key,
    person.c.birth_year, person.c.sex, person.c.held, postgresql_include=_ID,
)  # fmt: skip

# The national child index: every child known to any agency, documented or not.
child = Table(
    "child",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("nik", String(16), nullable=True, unique=True),
    Column("full_name", String(120), nullable=False),
    Column("normalized_name", String(120), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=True),
    Column("birth_date_approximate", Boolean, nullable=False, default=False),
    Column("birth_place", String(80), nullable=True),
    Column("mother_name", String(120), nullable=True),
    Column("father_name", String(120), nullable=True),
    Column("region_code", String(13), nullable=False),
    Column("address", Text, nullable=True),
    Column("kk_number", String(16), nullable=True, index=True),
    Column("birth_certificate_number", String(32), nullable=True),
    Column("kia_status", String(16), nullable=False, default="NONE"),
    Column("registry_person_id", Integer, ForeignKey("person.id"), nullable=True, index=True),
    Column("registered_by", String(16), nullable=False),  # agency that first reported the child
    Column("registered_at", UtcDateTime(), nullable=False),
)
Index("ix_child_region_name", child.c.region_code, child.c.normalized_name)
Index("ix_child_normalized_name", child.c.normalized_name)
# The identity work queue's oldest-first order walks this instead of sorting the kabupaten.
Index("ix_child_registered_at", child.c.registered_at, child.c.id)

# Other names a child is known by (nicknames, old spelling), and who recorded them.
child_name = Table(
    "child_name",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), ForeignKey("child.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("normalized_name", String(120), nullable=False, index=True),
    Column("recorded_by", String(16), nullable=False),
)

# Which agency reported which attribute of a child: identity resolution weighs sources.
child_attribute_report = Table(
    "child_attribute_report",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), ForeignKey("child.id"), nullable=False, index=True),
    Column("agency", String(16), nullable=False),
    Column("attribute", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),
)

# Identity resolution (docs/identity-resolution.md): what the officer decided about a child's
# registry candidates, who decided and why — never deleted; an undo is recorded on the row.
identity_decision = Table(
    "identity_decision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), ForeignKey("child.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # LINK, NOT_THIS_PERSON, NEW_REGISTRATION
    Column("nik", String(16), nullable=True),  # the person linked or rejected
    Column("score", Float, nullable=True),  # the matcher's score for that person when decided
    Column("band", String(16), nullable=True),
    Column("explanation", Text, nullable=True),  # JSON: the evidence list the officer saw
    Column("model_version", String(40), nullable=True),
    Column("reason", Text, nullable=False),
    # What the link changed on the child (JSON: the columns before, the rows it added), so that
    # undoing it puts the child back exactly.
    Column("undo_data", Text, nullable=True),
    Column("decided_by", String(120), nullable=False),  # the token's subject
    Column("decided_by_name", String(120), nullable=False),
    Column("decided_by_role", String(40), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("undone_at", UtcDateTime(), nullable=True),
    Column("undone_by", String(120), nullable=True),
    Column("undone_by_name", String(120), nullable=True),
    Column("undo_reason", Text, nullable=True),
)

# The work queue's precomputed candidates: the matcher's top candidates per child, computed on
# demand and dropped when they go stale (a decision, a link, a new model version, their age).
identity_suggestion_run = Table(
    "identity_suggestion_run",
    metadata,
    Column("child_id", String(16), ForeignKey("child.id"), primary_key=True),
    Column("candidate_count", Integer, nullable=False),  # candidates not in the UNLIKELY band
    Column("best_score", Float, nullable=True),
    Column("best_band", String(16), nullable=True),
    Column("model_version", String(40), nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
)
Index("ix_identity_suggestion_run_score", identity_suggestion_run.c.best_score)

identity_suggestion = Table(
    "identity_suggestion",
    metadata,
    Column("child_id", String(16), ForeignKey("child.id"), primary_key=True),
    Column("rank", Integer, primary_key=True),  # 1 = best
    Column("nik", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("band", String(16), nullable=False),
    Column("model_version", String(40), nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
)
