"""Dinsos's tables: social registry (DTKS/DTSEN), assistance, complaints, responses, referrals, LKSA placements."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)

from subgraphs.common.tables import UtcDateTime, new_metadata

metadata = new_metadata()

# DTKS/DTSEN: the social registry; one row per child's household membership, with the welfare decile.
registry_member = Table(
    "registry_member",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), nullable=False, unique=True),
    Column("kk_number", String(16), nullable=True, index=True),
    Column("decile", Integer, nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("updated_on", Date, nullable=False),
    Column("status", String(16), nullable=False),  # ACTIVE, INACTIVE
)

# Social assistance the child's household received, by programme and period.
assistance = Table(
    "assistance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), nullable=False, index=True),
    Column("programme", String(24), nullable=False),  # PKH, SEMBAKO, PBI_JKN, PIP, ATENSI_YAPI, BLT
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=True),
    Column("amount", Numeric(14, 2), nullable=True),
)

# Pengaduan: complaints received through the PKSAI unit, PSM/TKSK volunteers or the TepSA line.
complaint = Table(
    "complaint",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), nullable=False, index=True),
    Column("channel", String(16), nullable=False),  # PKSAI, PSM, TKSK, TEPSA
    Column("received_at", UtcDateTime(), nullable=False),
    Column("region_code", String(13), nullable=False, index=True),
    Column("problem_category", String(40), nullable=False),
    Column("summary", Text, nullable=False),
    Column("status", String(16), nullable=False),  # RECEIVED, IN_RESPONSE, REFERRED, CLOSED
    Column("closed_at", UtcDateTime(), nullable=True),
)

# Case responses by Sakti Peksos (social workers) to a complaint.
case_response = Table(
    "case_response",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaint.id"), nullable=False, index=True),
    # The staff id of the Sakti Peksos (or Dinsos officer) who responded: the request's user.
    Column("social_worker_id", String(32), nullable=False, index=True),
    Column("responded_at", UtcDateTime(), nullable=False),
    Column("action", String(32), nullable=False),
    Column("notes", Text, nullable=True),
)

# LKSA: child-care institutions (Lembaga Kesejahteraan Sosial Anak).
lksa = Table(
    "lksa",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(160), nullable=False),
    Column("region_code", String(13), nullable=False, index=True),
    Column("capacity", Integer, nullable=False),
    Column("phone", String(24), nullable=True),
)

# Referrals of a child to a Balai or an LKSA: requested -> accepted/rejected -> completed; revocable.
referral = Table(
    "referral",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), nullable=False, index=True),
    Column("complaint_id", Integer, ForeignKey("complaint.id"), nullable=True, index=True),
    Column("target_kind", String(8), nullable=False),  # BALAI, LKSA
    Column("target_code", String(32), nullable=False),  # Balai code or LKSA id
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("decision_note", Text, nullable=True),  # why it was accepted or rejected
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("closing_note", Text, nullable=True),  # written when completed or revoked
)

placement = Table(
    "placement",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", String(16), nullable=False, index=True),
    Column("lksa_id", Integer, ForeignKey("lksa.id"), nullable=False, index=True),
    Column("referral_id", Integer, ForeignKey("referral.id"), nullable=True),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
    Column("end_reason", String(32), nullable=True),
)

# A child lives in one LKSA at a time: at most one open placement per child, even under races.
Index(
    "uq_placement_open_child",
    placement.c.child_id,
    unique=True,
    sqlite_where=placement.c.ended_on.is_(None),
    postgresql_where=placement.c.ended_on.is_(None),
)

# The Dinas Sosial of each kabupaten/kota: whom a protection flag tells people to call.
dinsos_office = Table(
    "dinsos_office",
    metadata,
    Column("kabupaten_code", String(5), primary_key=True),  # e.g. 14.71
    Column("name", String(160), nullable=False),  # e.g. Dinas Sosial Kota Pekanbaru
    Column("phone", String(24), nullable=True),
)
