"""Balai's tables: rehabilitation centres, caseworkers, ATENSI cases, stages, stays, assessments, plans."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text

from subgraphs.common.tables import UtcDateTime, new_metadata

metadata = new_metadata()

balai = Table(
    "balai",
    metadata,
    Column("code", String(16), primary_key=True),  # e.g. RUMBAI, ALYATAMA, NAIBONAT
    Column("name", String(160), nullable=False),
    Column("city", String(80), nullable=False),
    Column("region_code", String(13), nullable=False),
    Column("provinces_served", String(64), nullable=False),  # comma-separated province codes
    Column("phone", String(24), nullable=False),
)

# Peksos: the social worker who manages a case; supervisors may read every case of their Balai.
caseworker = Table(
    "caseworker",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("balai_code", String(16), ForeignKey("balai.code"), nullable=False, index=True),
    Column("is_supervisor", Boolean, nullable=False, default=False),
    Column("phone", String(24), nullable=True),
)

# ATENSI (Asistensi Rehabilitasi Sosial) case of one child at one Balai.
atensi_case = Table(
    "atensi_case",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_number", String(32), nullable=False, unique=True),
    Column("child_id", String(16), nullable=False, index=True),
    Column("balai_code", String(16), ForeignKey("balai.code"), nullable=False, index=True),
    Column("caseworker_id", Integer, ForeignKey("caseworker.id"), nullable=False, index=True),
    Column("ampk_category", String(40), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("closure_reason", String(32), nullable=True),
    Column("referral_source", String(32), nullable=True),  # e.g. DINSOS referral id, POLICE, COURT
)

# Every stage a case entered, and when: the case's own timeline.
stage_event = Table(
    "stage_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("atensi_case.id"), nullable=False, index=True),
    Column("stage", String(16), nullable=False),
    Column("entered_at", UtcDateTime(), nullable=False),
    # The staff member who moved the case (the request's signed-in user), not a typed-in name.
    Column("by_id", Integer, ForeignKey("caseworker.id"), nullable=False),
)

residential_stay = Table(
    "residential_stay",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("atensi_case.id"), nullable=False, index=True),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
)

assessment = Table(
    "assessment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("atensi_case.id"), nullable=False, index=True),
    Column("assessed_on", Date, nullable=False),
    Column("assessor_id", Integer, ForeignKey("caseworker.id"), nullable=False),
    Column("risk_level", String(8), nullable=False),  # LOW, MEDIUM, HIGH
    Column("summary", Text, nullable=False),
    Column("notes", Text, nullable=True),
)

intervention_plan = Table(
    "intervention_plan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("atensi_case.id"), nullable=False, index=True),
    Column("created_on", Date, nullable=False),
    Column("setting", String(16), nullable=False),  # FAMILY, COMMUNITY, RESIDENTIAL
    Column("goals", Text, nullable=False),
    Column("notes", Text, nullable=True),
)
