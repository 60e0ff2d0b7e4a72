"""Helpers for the Dinsos subgraph tests: a seeded database, row builders, row counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select

from subgraphs.common.federation import CATEGORIES
from subgraphs.common.identity import Identity
from subgraphs.dinsos import tables as t

CHILD_A = "ANK000000001"  # Pekanbaru: in DTKS, complaints, referrals, an ended placement
CHILD_B = "ANK000000002"  # Batam: lives in an LKSA
FUTURE = "2999-01-01T00:00:00+07:00"


def officer(
    role: str = "dinsos_officer",
    regions: tuple[str, ...] = ("14", "21.71"),
    staff_id: str | None = "DSS-01",
    agency: str = "dinsos",
    unit: str | None = "DINSOS-14",
    categories: frozenset[str] = CATEGORIES,
) -> Identity:
    return Identity(
        subject=f"{role}-{staff_id}",
        role=role,
        agency=agency,
        unit=unit,
        regions=regions,
        purpose="child.protection",
        staff_id=staff_id,
        categories=categories,
    )


# A Dinsos officer whose regions hold every seeded complaint, LKSA and placement (Riau, Batam).
OFFICER = officer()
# The Sakti Peksos of Kota Pekanbaru who responded to complaint 2 (auth/sample_users.py's).
PEKSOS = officer("sakti_peksos", ("14.71",), "SP147104", unit="DINSOS-14.71")


def moment(day: int, hour: int = 9, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def insert_rows(conn: Any, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """One row at a time with RETURNING: the database's own ids, so sequences stay right."""
    ids = []
    for row in rows:
        result = await conn.execute(insert(table).returning(table.c.id), row)
        ids.append(int(result.scalar_one()))
    return ids


async def count_rows(db: Any, table: Table, **where: Any) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with db.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def complaint_row(child_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "channel": "PKSAI",
        "received_at": moment(1),
        "region_code": "14.71.02.1001",
        "problem_category": "MISTREATMENT_AND_NEGLECT",
        "summary": "Anak sering ditinggal tanpa pengasuhan.",
        "status": "RECEIVED",
        **extra,
    }


def referral_row(child_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "complaint_id": None,
        "target_kind": "LKSA",
        "target_code": "2",
        "reason": "Membutuhkan pengasuhan alternatif sementara.",
        "status": "REQUESTED",
        "requested_at": moment(2),
        **extra,
    }


async def seed(db: Any) -> None:
    async with db.transaction() as conn:
        await insert_rows(
            conn,
            t.lksa,
            [
                {
                    "name": "LKSA Kasih Ibu",
                    "region_code": "21.71.01.1002",
                    "capacity": 2,
                    "phone": "0812-7000-0001",
                },
                {
                    "name": "LKSA Nurul Iman",
                    "region_code": "14.71.02.1003",
                    "capacity": 1,
                    "phone": "0812-7000-0002",
                },
                {
                    "name": "LKSA Harapan Bangsa",
                    "region_code": "14.08.01.2001",
                    "capacity": 30,
                    "phone": None,
                },
            ],
        )
        await conn.execute(
            insert(t.dinsos_office),
            {
                "kabupaten_code": "14.71",
                "name": "Dinas Sosial Kota Pekanbaru",
                "phone": "(0761) 5550201",
            },
        )
        await insert_rows(
            conn,
            t.registry_member,
            [
                {
                    "child_id": CHILD_A,
                    "kk_number": "1471020101150001",
                    "decile": 2,
                    "registered_on": date(2019, 3, 1),
                    "updated_on": date(2026, 2, 1),
                    "status": "ACTIVE",
                }
            ],
        )
        await insert_rows(
            conn,
            t.assistance,
            [
                {
                    "child_id": CHILD_A,
                    "programme": "PBI_JKN",
                    "period_start": date(2019, 3, 1),
                    "period_end": None,
                    "amount": None,
                },
                {
                    "child_id": CHILD_A,
                    "programme": "BLT",
                    "period_start": date(2022, 9, 1),
                    "period_end": date(2022, 12, 31),
                    "amount": Decimal("600000.00"),
                },
            ],
        )
        # Complaint 1: open, newer; complaint 2: closed, with two responses.
        await insert_rows(
            conn,
            t.complaint,
            [
                complaint_row(CHILD_A, received_at=moment(10), status="RECEIVED"),
                complaint_row(
                    CHILD_A,
                    channel="TEPSA",
                    received_at=moment(1, month=3),
                    problem_category="PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE",
                    status="CLOSED",
                    closed_at=moment(1, month=6),
                ),
            ],
        )
        await insert_rows(
            conn,
            t.case_response,
            [
                {
                    "complaint_id": 2,
                    "social_worker_id": "SP147104",
                    "responded_at": moment(3, month=3),
                    "action": "HOME_VISIT",
                    "notes": "Ibu bekerja di luar kota.",
                },
                {
                    "complaint_id": 2,
                    "social_worker_id": "SP147104",
                    "responded_at": moment(2, month=3),
                    "action": "ASSESSMENT",
                    "notes": None,
                },
            ],
        )
        # Referral 1: active, from complaint 1, to LKSA 2; referral 2: direct, completed, to Balai.
        await insert_rows(
            conn,
            t.referral,
            [
                referral_row(CHILD_A, complaint_id=1, requested_at=moment(11)),
                referral_row(
                    CHILD_A,
                    target_kind="BALAI",
                    target_code="RUMBAI",
                    status="COMPLETED",
                    requested_at=moment(5, month=3),
                    decided_at=moment(6, month=3),
                    completed_at=moment(1, month=5),
                ),
            ],
        )
        await insert_rows(
            conn,
            t.placement,
            [
                {
                    "child_id": CHILD_B,
                    "lksa_id": 1,
                    "referral_id": None,
                    "started_on": date(2025, 7, 1),
                },
                {
                    "child_id": CHILD_A,
                    "lksa_id": 3,
                    "referral_id": None,
                    "started_on": date(2024, 1, 10),
                    "ended_on": date(2024, 8, 1),
                    "end_reason": "REUNIFIED",
                },
            ],
        )
