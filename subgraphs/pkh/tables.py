"""PKH's tables: beneficiary families (KPM), members, components, verifications, payments, pendamping."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)

from subgraphs.common.tables import UtcDateTime, new_metadata

metadata = new_metadata()

# Pendamping: the PKH facilitator assigned to a set of families.
facilitator = Table(
    "facilitator",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("phone", String(24), nullable=False),
    Column("region_code", String(13), nullable=False, index=True),
)

# KPM: Keluarga Penerima Manfaat, the beneficiary family, identified by its KK number.
beneficiary_family = Table(
    "beneficiary_family",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kk_number", String(16), nullable=False, unique=True),
    Column("head_name", String(120), nullable=False),
    Column("region_code", String(13), nullable=False, index=True),
    Column("facilitator_id", Integer, ForeignKey("facilitator.id"), nullable=False, index=True),
    Column("enrolled_on", Date, nullable=False),
    Column("status", String(16), nullable=False),  # ACTIVE, GRADUATED, EXITED
)

member = Table(
    "member",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("family_id", Integer, ForeignKey("beneficiary_family.id"), nullable=False, index=True),
    Column("child_id", String(16), nullable=True, unique=True),  # children only; adults have none
    Column("name", String(120), nullable=False),
    Column("relationship", String(16), nullable=False),  # HEAD, SPOUSE, CHILD, OTHER
)

# The components a member qualifies under (early childhood 0-6, SD, SMP, SMA, severe disability, elderly).
component = Table(
    "component",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("member.id"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
)

# Conditionality per member and verification period: attendance >= 85 % for school components,
# health visits for early childhood.
verification = Table(
    "verification",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("member.id"), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("period", Integer, nullable=False),  # 1..4, one per payment stage (tahap)
    Column("school_attendance_pct", Numeric(5, 2), nullable=True),
    Column("health_visits_met", Boolean, nullable=True),
    Column("compliant", Boolean, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    # Staff id of the pendamping or coordinator who recorded it (the grant's user, never an argument).
    Column("recorded_by_id", String(32), nullable=False),
    UniqueConstraint("member_id", "year", "period", name="uq_verification_member_period"),
)

# Payment stages (tahap), four a year, per family.
payment = Table(
    "payment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("family_id", Integer, ForeignKey("beneficiary_family.id"), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("paid_on", Date, nullable=True),
    Column("status", String(16), nullable=False),  # PAID, WITHHELD, PENDING
    UniqueConstraint("family_id", "year", "stage", name="uq_payment_family_stage"),
)
