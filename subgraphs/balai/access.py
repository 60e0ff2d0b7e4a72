"""Who may read and write which Balai records (DOMAIN.md "Writes", "Per record"): the subgraph's own
check, on the record's own data, behind the gateway's decision — defence in depth."""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.balai import repository
from subgraphs.balai.domain import CaseRecord, CaseworkerRecord
from subgraphs.common.errors import Forbidden
from subgraphs.common.identity import Identity

CASEWORKER: Final = "balai_caseworker"
SUPERVISOR: Final = "balai_supervisor"
BALAI_ROLES: Final = frozenset({CASEWORKER, SUPERVISOR})

# One message for every refusal: it never says which part of the right was missing.
_REFUSED = "Not allowed for this officer."


def refused(**extra: str) -> Forbidden:
    return Forbidden(_REFUSED, **extra)


def writer(identity: Identity | None, roles: frozenset[str] = BALAI_ROLES) -> Identity:
    """The caller of a write, who must act in one of `roles` (no identity: refused)."""
    if identity is None or identity.role not in roles:
        raise refused()
    return identity


def is_staff_of(identity: Identity, balai_code: str) -> bool:
    return identity.role in BALAI_ROLES and identity.unit == balai_code


def manages(identity: Identity, case: CaseRecord) -> bool:
    """The assigned caseworker of the case, or a supervisor of its Balai (detail, and writes)."""
    if not is_staff_of(identity, case.balai_code):
        return False
    return identity.role == SUPERVISOR or identity.staff_id == str(case.caseworker_id)


def _staff_number(identity: Identity) -> int | None:
    text = (identity.staff_id or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


async def actor(conn: AsyncConnection, identity: Identity, balai_code: str) -> CaseworkerRecord:
    """The caller as a caseworker of `balai_code` on the Balai's own roster (the staff id the
    records will carry), or refused: the token's unit and role must agree with the roster."""
    number = _staff_number(identity)
    found = await repository.caseworkers_by_id(conn, [number]) if number is not None else []
    if not found or not is_staff_of(identity, balai_code) or found[0].balai_code != balai_code:
        raise refused()
    if found[0].is_supervisor is not (identity.role == SUPERVISOR):
        raise refused()
    return found[0]


async def case_actor(
    conn: AsyncConnection, identity: Identity, case: CaseRecord
) -> CaseworkerRecord:
    """The caller as the assigned caseworker or a supervisor of the case's Balai, or refused."""
    if not manages(identity, case):
        raise refused()
    return await actor(conn, identity, case.balai_code)
