"""The grant the gateway signs for each subgraph request (auth/grant.py): made from the request
context's principal and purpose and the categories of the fetch. Imported only when a grant key is
configured: a gateway without one signs nothing and loads no JOSE code."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from auth.grant import GRANT_HEADER, Grantee, GrantSigner, record_claims
from gateway.context import RequestContext

__all__ = ["GRANT_HEADER", "GrantMaker"]


class GrantMaker:
    def __init__(self, signer: GrantSigner, record_types: Iterable[str] = ()) -> None:
        self.signer = signer
        self.record_types = tuple(sorted(set(record_types)))

    @classmethod
    def from_file(cls, path: str | Path, record_types: Iterable[str] = ()) -> GrantMaker:
        return cls(GrantSigner.from_file(path), record_types)

    def grantee(
        self,
        context: RequestContext,
        categories: frozenset[str],
        records: Mapping[str, frozenset[str]] | None = None,
    ) -> Grantee | None:
        """Who the grant is for; None when the request has no principal or purpose
        (authentication is off or did not run): then nothing is sent. `records`: the per-record
        restriction, signed in its canonical form (the in-flight sharing key is the grantee:
        only fetches with the same restriction share an answer)."""
        principal = context.principal
        if principal is None or not context.purpose:
            return None
        restricted, record_types = record_claims(records or {}, self.record_types)
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
            records=restricted,
            record_types=record_types,
        )

    def signing(self, audience: str, grantee: Grantee | None) -> Callable[[bytes], str]:
        """Signs the grant for a body, when the request is sent (a shared request signs once)."""
        signer = self.signer
        return lambda body: signer.sign(audience, grantee, body)
