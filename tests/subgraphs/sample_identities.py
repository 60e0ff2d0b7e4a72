"""Identities of the development issuer's sample users (auth/sample_users.py), as a subgraph sees
them in a grant: for tests that act as a given officer."""

from __future__ import annotations

from collections.abc import Iterable

from auth.purposes import ROLE_AGENCY
from auth.sample_users import SAMPLE_USERS_BY_ID
from subgraphs.common.guard import POLICY_FACTS
from subgraphs.common.identity import Identity

# The gateway's policy-facts fetches: a grant whose categories are only this one.
FACTS_ONLY = frozenset({POLICY_FACTS})


def identity_of(
    user_id: str,
    purpose: str,
    categories: Iterable[str],
    *,
    regions: tuple[str, ...] | None = None,
) -> Identity:
    """Sample user `user_id` asking for `purpose`, with a grant covering `categories`; `regions`
    moves the user where a test's own seed puts the records (the user's own by default)."""
    user = SAMPLE_USERS_BY_ID[user_id]
    return Identity(
        subject=user.id,
        role=user.role.value,
        agency=ROLE_AGENCY[user.role].value,
        unit=user.unit,
        regions=user.regions if regions is None else regions,
        purpose=purpose,
        name=user.name,
        staff_id=user.staff_id,
        categories=frozenset(categories),
    )
