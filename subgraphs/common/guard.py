"""Checks a resolver makes against the request's grant before it answers (defence in depth: the
gateway decides, and a subgraph still refuses what the grant does not cover)."""

from __future__ import annotations

from typing import Final

from subgraphs.common.context import Info
from subgraphs.common.errors import Forbidden

# The category the gateway signs its policy-facts fetches with; never a data category.
POLICY_FACTS: Final = "policy.facts"


def require_facts_access(info: Info) -> None:
    """Raise FORBIDDEN unless the request's grant carries "policy.facts": the `@inaccessible`
    policy-facts fields answer only the gateway's own facts fetches. A request without an identity
    (only the tests' harness makes one) is refused too: default deny."""
    identity = getattr(info.context, "identity", None)
    if identity is None or POLICY_FACTS not in identity.categories:
        raise Forbidden("Policy facts are answered only to the gateway's policy step.")
