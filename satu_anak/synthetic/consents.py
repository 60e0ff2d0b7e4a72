"""The consent registry's seeded cases (chunk 0): guardian consents to PKH, data-sharing agreements
between Balais and with a region, and break-glass grants — each placed where a sample user
(auth/sample_users.py) can walk it with a real token.

Everything is fixed, except the one break-glass grant that must be in force when someone uses the
seeded world: no grant may last more than 24 h, so it is anchored to the moment of seeding
(`now`, given by the loader) rather than to REFERENCE_DATE. Generating without `now` anchors it to
REFERENCE_DATE too, so that the generator stays a pure function of its arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple

from satu_anak.synthetic.common import REFERENCE_DATE
from subgraphs.consent.domain import unwords

CONSENT_CHILD: Final = "ANK000000003"  # PKH member, no ABH case, an open case at Balai Rumbai
BREAK_GLASS_CHILD: Final = "ANK000000001"  # open case at Rumbai; not this caseworker's
BREAK_GLASS_USER: Final = "balai-rumbai-unassigned"
_HOUR: Final = timedelta(hours=1)


class SeededCase(NamedTuple):
    """One seeded registry record, as the seed report and the README describe it."""

    table: str
    id: int
    description: str


def _utc(year: int, month: int, day: int, hour: int = 2) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def reference_now() -> datetime:
    """The stand-in for "now" when the generator is not told the moment of seeding."""
    return datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, 2, tzinfo=UTC)


def _consents() -> list[dict[str, Any]]:
    base = {
        "child_id": CONSENT_CHILD,
        "grantor_name": "Rosmawati",  # the mother of STORY_BALAI_HISTORY's household
        "grantor_relationship": "MOTHER",
        "recipient_agency": "pkh",
        "categories": unwords(["protection.summary"]),
        "purposes": unwords(["child.protection"]),
        "revoked_at": None,
        "revoked_by": None,
    }
    return [
        {
            **base,
            "id": 1,
            # To the family's own PKH area only: the coordinator is not covered by it, so that
            # revoking consent 3 visibly takes protection.summary away from them.
            "recipient_unit": "PKH-14.71.07",
            "valid_from": _utc(2026, 10, 5),
            "valid_until": _utc(2027, 10, 5),
            "evidence_reference": "DINSOS-1471/PSTJ/2026/0412",
            "collected_by": "peksos-pekanbaru",
            "collecting_agency": "dinsos",
            "collecting_unit": "DINSOS-14.71",
            "created_at": _utc(2026, 10, 5, 3),
        },
        {
            **base,
            "id": 2,
            "recipient_unit": None,
            "valid_from": _utc(2025, 3, 1),
            "valid_until": _utc(2026, 3, 1),
            "evidence_reference": "PKH-1471/PSTJ/2025/0031",
            "collected_by": "pkh-coord-pekanbaru",
            "collecting_agency": "pkh",
            "collecting_unit": "PKH-14.71",
            "created_at": _utc(2025, 3, 1, 4),
        },
        {
            **base,
            "id": 3,
            "recipient_unit": None,
            "valid_from": _utc(2026, 10, 20),
            "valid_until": _utc(2027, 10, 20),
            "evidence_reference": "PKH-1471/PSTJ/2026/0088",
            "collected_by": "pkh-coord-pekanbaru",
            "collecting_agency": "pkh",
            "collecting_unit": "PKH-14.71",
            "created_at": _utc(2026, 10, 20, 5),
        },
    ]


_RUMBAI_ALYATAMA_REGIONS: Final = ("13", "14", "15", "18", "21")  # both Balais' provinces


def _agreements() -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    both = ("ALYATAMA", "RUMBAI")
    balai_purposes = unwords(["case.management", "child.protection"])
    common = {"created_by": "secretariat", "ended_by": None, "ended_at": None}
    return [
        (
            {
                **common,
                "id": 1,
                "reference_number": "PKS/BRSA-RUMBAI/ALYATAMA/2026/001",
                "title": "PKS Balai Anak Rumbai – Balai Anak Alyatama: earlier cases",
                "categories": unwords(["protection.summary"]),
                "purposes": balai_purposes,
                "regions": unwords(_RUMBAI_ALYATAMA_REGIONS),
                "valid_from": _utc(2026, 1, 1, 0),
                "valid_until": _utc(2028, 1, 1, 0),
                "created_at": _utc(2025, 12, 15),
            },
            both,
        ),
        (
            {
                **common,
                "id": 2,
                "reference_number": "PKS/BRSA-RUMBAI/ALYATAMA/2023/004",
                "title": "PKS Balai Anak Rumbai – Balai Anak Alyatama 2023–2025 (expired)",
                "categories": unwords(["protection.summary"]),
                "purposes": balai_purposes,
                "regions": unwords(_RUMBAI_ALYATAMA_REGIONS),
                "valid_from": _utc(2023, 7, 1, 0),
                "valid_until": _utc(2025, 7, 1, 0),
                "created_at": _utc(2023, 6, 20),
            },
            both,
        ),
        (
            {
                **common,
                "id": 3,
                "reference_number": "PKS/BRSA-RUMBAI/DINSOS-1373/2026/002",
                "title": "PKS Balai Anak Rumbai – Dinas Sosial Kota Sawahlunto",
                "categories": unwords(["dinsos.complaints", "welfare.registry"]),
                "purposes": balai_purposes,
                "regions": unwords(["13.73"]),
                "valid_from": _utc(2026, 2, 1, 0),
                "valid_until": _utc(2028, 2, 1, 0),
                "created_at": _utc(2026, 1, 20),
            },
            ("DINSOS-13.73", "RUMBAI"),
        ),
    ]


def _grants(now: datetime) -> list[dict[str, Any]]:
    # In force for 23 h after seeding: begun an hour before, the full 24 h allowed.
    start = now.astimezone(UTC).replace(second=0, microsecond=0) - _HOUR
    user = {"user_subject": BREAK_GLASS_USER, "role": "balai_caseworker", "unit": "RUMBAI"}
    return [
        {
            **user,
            "id": 1,
            "child_id": BREAK_GLASS_CHILD,
            "justification": (
                "Assigned caseworker unreachable; the child's mother reports threats tonight and "
                "the family's social-assistance contacts are needed for a safe placement."
            ),
            "created_at": start,
            "expires_at": start + 24 * _HOUR,
            "review_state": "PENDING",
            "reviewed_by": None,
            "reviewed_at": None,
            "review_note": None,
        },
        {
            **user,
            "id": 2,
            "child_id": CONSENT_CHILD,
            "justification": "Child absent from the family home overnight; PKH contacts needed.",
            "created_at": _utc(2026, 10, 28, 1),
            "expires_at": _utc(2026, 10, 28, 9),
            "review_state": "APPROVED",
            "reviewed_by": "balai-rumbai-supervisor",
            "reviewed_at": _utc(2026, 10, 29, 2),
            "review_note": "Justified: the assigned caseworker was on leave.",
        },
    ]


def consent_rows(
    columns: dict[str, tuple[str, ...]], now: datetime | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """The registry's seeded rows per table, as tuples in the order of `columns`."""
    moment = now or reference_now()
    agreements = _agreements()

    def rows(table: str, records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [tuple(record[c] for c in columns[table]) for record in records]

    parties = [
        {"id": number, "agreement_id": agreement_id, "party": party}
        for number, (agreement_id, party) in enumerate(
            ((agreement["id"], party) for agreement, named in agreements for party in named),
            start=1,
        )
    ]
    return {
        "guardian_consent": rows("guardian_consent", _consents()),
        "data_sharing_agreement": rows("data_sharing_agreement", [a for a, _ in agreements]),
        "agreement_party": rows("agreement_party", parties),
        "break_glass_grant": rows("break_glass_grant", _grants(moment)),
    }


def seeded_cases(now: datetime | None = None) -> list[SeededCase]:
    """What the seed report prints about the registry (and the README lists)."""
    moment = now or reference_now()
    active, expired = _grants(moment)
    show: Callable[[datetime], str] = lambda t: t.strftime("%Y-%m-%d %H:%M UTC")  # noqa: E731
    return [
        SeededCase("guardian_consent", 1, f"{CONSENT_CHILD} consent to PKH unit PKH-14.71.07 "
                   "(protection.summary, child.protection), in force until 2027-10-05; "
                   "collected by Dinsos (peksos-pekanbaru)"),
        SeededCase("guardian_consent", 2, f"{CONSENT_CHILD} consent to PKH (protection.summary, "
                   "child.protection), expired 2026-03-01"),
        SeededCase("guardian_consent", 3, f"{CONSENT_CHILD} consent to PKH (protection.summary, "
                   "child.protection), in force until 2027-10-20 — revoke it as "
                   "pkh-coord-pekanbaru (PKH collected it): revokeConsent(consentId: \"3\")"),
        SeededCase("data_sharing_agreement", 1, "RUMBAI-ALYATAMA (protection.summary; "
                   "provinces 13, 14, 15, 18, 21), in force 2026-01-01 to 2028-01-01"),
        SeededCase("data_sharing_agreement", 2, "RUMBAI-ALYATAMA (protection.summary), "
                   "expired 2025-07-01"),
        SeededCase("data_sharing_agreement", 3, "RUMBAI-DINSOS-13.73 (Kota Sawahlunto: "
                   "welfare.registry, dinsos.complaints; region 13.73), in force to 2028-02-01"),
        SeededCase("break_glass_grant", 1, f"{BREAK_GLASS_USER} on {BREAK_GLASS_CHILD}, PENDING "
                   f"review, in force until {show(active['expires_at'])}"),
        SeededCase("break_glass_grant", 2, f"{BREAK_GLASS_USER} on {CONSENT_CHILD}, APPROVED, "
                   f"expired {show(expired['expires_at'])}"),
    ]  # fmt: skip
