"""Who may read and write which Dinsos records (DOMAIN.md "Writes", "Jurisdiction"): the subgraph's
own check, on the record's own data, behind the gateway's decision — defence in depth."""

from __future__ import annotations

from typing import Final

from subgraphs.common.errors import Forbidden
from subgraphs.common.identity import Identity
from subgraphs.dinsos import domain

DINSOS_OFFICER: Final = "dinsos_officer"
SAKTI_PEKSOS: Final = "sakti_peksos"
DINSOS_ROLES: Final = frozenset({DINSOS_OFFICER, SAKTI_PEKSOS})
PKH_ROLES: Final = frozenset({"pkh_facilitator", "pkh_coordinator"})
BALAI_ROLES: Final = frozenset({"balai_caseworker", "balai_supervisor"})

# The roles that hold dinsos.complaints by mandate (DOMAIN.md's table): a list whose membership
# says "a complaint exists about this child" is theirs only.
COMPLAINT_HOLDERS: Final = DINSOS_ROLES

# What a receiving Balai may decide about a referral to it; completing or revoking is Dinsos's.
BALAI_DECISIONS: Final = frozenset({domain.ReferralStatus.ACCEPTED, domain.ReferralStatus.REJECTED})

_REFUSED = "Not allowed for this officer."


def refused(**extra: str) -> Forbidden:
    return Forbidden(_REFUSED, **extra)


def writer(identity: Identity | None, roles: frozenset[str]) -> Identity:
    """The caller of a write, who must act in one of `roles` (no identity: refused)."""
    if identity is None or identity.role not in roles:
        raise refused()
    return identity


def responder_id(identity: Identity) -> str:
    """The staff id a response records: the signed-in user's, never an argument."""
    staff_id = (identity.staff_id or "").strip()
    if not staff_id or len(staff_id) > 32:
        raise refused()
    return staff_id


def receiving_balai(identity: Identity, referral: domain.Referral) -> bool:
    """The caller works at the Balai the referral goes to."""
    return (
        identity.role in BALAI_ROLES
        and referral.target_kind is domain.ReferralTargetKind.BALAI
        and identity.unit == referral.target_code
    )


def covers_referral(
    identity: Identity, referral: domain.Referral, complaint: domain.Complaint | None
) -> bool:
    """A referral exists for the caller when its complaint lies in the caller's regions, or the
    caller's Balai receives it. A direct referral (no complaint) holds no region here: only the
    receiving Balai finds it by id; others reach it through the child (`Child.referrals`)."""
    if receiving_balai(identity, referral):
        return True
    return complaint is not None and identity.covers(complaint.region_code)
