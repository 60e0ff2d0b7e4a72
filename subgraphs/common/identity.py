"""Who is asking: the caller a subgraph request is made for, as the gateway's signed grant says."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from starlette.requests import Request

from subgraphs.common.identifiers import region_prefix_matches


@dataclass(frozen=True)
class Identity:
    """The principal behind a request, in the terms of DOMAIN.md's rules.

    Filled for each request by the service's `identify` hook: in a deployment, from the grant the
    gateway signs for each subgraph request (principal, purpose, jurisdiction, the categories this
    fetch may return). Resolvers read it from `info.context.identity`; a request without one is
    refused before any resolver runs where the service requires grants.
    """

    subject: str  # the signed-in user (the token's subject): the actor of every write
    role: str  # the one role the request acts in, e.g. "balai_caseworker"
    agency: str  # the agency the officer works for: "pkh", "disdukcapil", "dinsos", "balai", ...
    unit: str | None  # the officer's own unit: a Balai code ("RUMBAI"), "DINSOS-14.71", ...
    regions: tuple[
        str, ...
    ]  # jurisdiction as region prefixes: "14" a province, "14.71" a kabupaten
    purpose: str  # the purpose the request declares, e.g. "child.protection"
    name: str = ""  # the user's display name
    staff_id: str | None = None  # the id the agency's own records use for this person
    # The data categories this request may return (the gateway's decision for the fetch's group
    # of children); a categorized field outside them is never returned.
    categories: frozenset[str] = frozenset()
    # Per record: for these categories, only the records (of `record_types`, by their `id`)
    # listed may be returned — the gateway's per-case decisions. Empty: no per-record restriction.
    records: Mapping[str, frozenset[str]] = field(default_factory=dict)
    record_types: frozenset[str] = frozenset()

    def covers(self, region_code: str | None) -> bool:
        """Whether `region_code` lies inside the jurisdiction (a prefix match on whole parts)."""
        if not region_code:
            return False
        return any(region_prefix_matches(region_code, prefix) for prefix in self.regions)


# How a service learns the identity of one HTTP request (None: the request carries none).
Identify = Callable[[Request], Identity | None]
