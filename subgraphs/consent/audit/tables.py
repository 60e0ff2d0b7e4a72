"""The audit store's tables. `audit_entry` is the chain itself: each entry's exact bytes and its
chain hash (auth/audit/chain.py). `audit_head` is the one row appends lock and advance, so that
appenders in several processes never fork the chain or leave a gap. The other tables are indexes
derived from the entries (who, which child, which legal basis) for the auditors' filters; they
are not hashed, and `satu-anak audit verify` checks them against the entries they index."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from subgraphs.common.tables import UtcDateTime, new_metadata

metadata = new_metadata()

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("head", LargeBinary(32), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

audit_entry = Table(
    "audit_entry",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("body", LargeBinary, nullable=False),  # the entry's exact bytes (canonical JSON)
    Column("hash", LargeBinary(32), nullable=False),
    # Copied out of the body for the filters (the body is what counts):
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("actor", String(200), nullable=True, index=True),
    Column("role", String(40), nullable=True),
    Column("agency", String(40), nullable=True),
    Column("purpose", String(64), nullable=True),
    Column("outcome", String(16), nullable=False),
)

audit_child = Table(
    "audit_child",
    metadata,
    Column("seq", BigInteger, ForeignKey("audit_entry.seq"), primary_key=True),
    Column("child_id", String(64), primary_key=True),
    Index("ix_audit_child_child_id_seq", "child_id", "seq"),
)

# Legal bases used, as written in the entry: "mandate", "consent:12", "agreement:3",
# "break_glass:7"; and the kind alone ("consent") for filtering by kind.
audit_basis = Table(
    "audit_basis",
    metadata,
    Column("seq", BigInteger, ForeignKey("audit_entry.seq"), primary_key=True),
    Column("basis", String(80), primary_key=True),
    Index("ix_audit_basis_basis_seq", "basis", "seq"),
)

audit_checkpoint = Table(
    "audit_checkpoint",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("head", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),  # the signed note (auth/audit/chain.py)
    Column("created_at", UtcDateTime(), nullable=False),
)

# Whether a child's guardian may see who looked at the child's data (docs/audit.md): off unless
# switched on, and switched off — with the reason — where the guardian is suspected of abuse.
guardian_view = Table(
    "guardian_view",
    metadata,
    Column("child_id", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("reason", String(2000), nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
)
