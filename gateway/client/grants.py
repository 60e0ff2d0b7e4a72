"""The grant the gateway signs for each subgraph request (auth/grant.py): made from the request
context's principal and purpose and the categories of the fetch. Imported only when a grant key is
configured: a gateway without one signs nothing and loads no JOSE code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auth.grant import GRANT_HEADER, Grantee, GrantSigner
from gateway.context import RequestContext

__all__ = ["GRANT_HEADER", "GrantMaker"]


class GrantMaker:
    def __init__(self, signer: GrantSigner) -> None:
        self.signer = signer

    @classmethod
    def from_file(cls, path: str | Path) -> GrantMaker:
        return cls(GrantSigner.from_file(path))

    def grantee(self, context: RequestContext, categories: frozenset[str]) -> Grantee | None:
        """Who the grant is for; None when the request has no principal or purpose
        (authentication is off or did not run): then nothing is sent."""
        principal = context.principal
        if principal is None or not context.purpose:
            return None
        return Grantee(
            subject=principal.subject,
            role=principal.role.value,
            agency=principal.agency.value,
            unit=principal.unit,
            regions=principal.regions,
            purpose=context.purpose,
            categories=categories,
            name=principal.name,
            staff_id=principal.staff_id,
        )

    def signing(self, audience: str, grantee: Grantee | None) -> Callable[[bytes], str]:
        """Signs the grant for a body, when the request is sent (a shared request signs once)."""
        signer = self.signer
        return lambda body: signer.sign(audience, grantee, body)
