"""The consent registry's tables: guardian consents, data-sharing agreements and their parties,
break-glass grants.

Lists of vocabulary words (categories, purposes, region prefixes) are one text column each, sorted
words separated by a space (domain.words / unwords): they are read whole, never searched. Parties
are searched ("the agreements naming my agency or unit"), so they have their own table.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from subgraphs.common.tables import UtcDateTime, new_metadata

metadata = new_metadata()

guardian_consent = Table(
    "guardian_consent",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), nullable=False, index=True),
    Column("grantor_name", String(120), nullable=False),
    Column("grantor_relationship", String(24), nullable=False),  # domain.Relationship
    Column("recipient_agency", String(16), nullable=False),  # "pkh", "dinsos", ...
    Column("recipient_unit", String(40), nullable=True),  # null: the whole agency
    Column("categories", String(400), nullable=False),
    Column("purposes", String(200), nullable=False),
    Column("valid_from", UtcDateTime(), nullable=False),
    Column("valid_until", UtcDateTime(), nullable=True),  # null: until revoked
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revoked_by", String(120), nullable=True),
    Column("evidence_reference", String(120), nullable=True),
    Column("collected_by", String(120), nullable=False),  # the token subject who recorded it
    Column("collecting_agency", String(16), nullable=False),
    Column("collecting_unit", String(40), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # DOMAIN.md: a consent recorded by the recipient agency itself needs an evidence reference.
    CheckConstraint(
        "collecting_agency <> recipient_agency OR evidence_reference IS NOT NULL",
        name="evidence_when_self_recorded",
    ),
    CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="validity"),
)

# MoU / PKS between agencies or units: what they share, for which purposes, about which regions.
data_sharing_agreement = Table(
    "data_sharing_agreement",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference_number", String(80), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("categories", String(400), nullable=False),
    Column("purposes", String(200), nullable=False),
    Column("regions", String(400), nullable=False),  # region prefixes: "13.73", "14"
    Column("valid_from", UtcDateTime(), nullable=False),
    Column("valid_until", UtcDateTime(), nullable=True),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("ended_by", String(120), nullable=True),
    Column("ended_at", UtcDateTime(), nullable=True),
    # >=: ending an agreement before it begins leaves an empty validity (validUntil = validFrom).
    CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity"),
)

# A party of an agreement: an agency holding child data ("dinsos") or a unit ("RUMBAI").
agreement_party = Table(
    "agreement_party",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "agreement_id",
        Integer,
        ForeignKey("data_sharing_agreement.id"),
        nullable=False,
        index=True,
    ),
    Column("party", String(40), nullable=False, index=True),
    UniqueConstraint("agreement_id", "party", name="uq_agreement_party_agreement_party"),
)

# Emergency access: one user, one child, a justification, at most 24 h, reviewed afterwards.
break_glass_grant = Table(
    "break_glass_grant",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_subject", String(120), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("unit", String(40), nullable=True, index=True),
    Column("child_id", String(16), nullable=False, index=True),
    Column("justification", String(2000), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("review_state", String(16), nullable=False),  # PENDING, APPROVED, REJECTED
    Column("reviewed_by", String(120), nullable=True),
    Column("reviewed_at", UtcDateTime(), nullable=True),
    Column("review_note", String(2000), nullable=True),
    CheckConstraint("expires_at > created_at", name="expiry"),
)
