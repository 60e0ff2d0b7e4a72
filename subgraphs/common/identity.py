"""Who is asking: the caller a subgraph request is made for, as the consent stage will hand it over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """The principal behind a request, in the terms of DOMAIN.md's rules.

    The consent stage fills it from the grant the gateway signs for each subgraph request; until
    then every request's context carries none, and nothing reads it.
    """

    subject: str  # the signed-in user (the token's subject): the actor of every write
    role: str  # the one role the request acts in, e.g. "balai_caseworker"
    agency: str  # the agency the officer works for, e.g. "BALAI"
    unit: str | None  # the officer's own unit where the role has one: a Balai code, an LKSA id
    regions: tuple[
        str, ...
    ]  # jurisdiction as region prefixes: "14" a province, "14.71" a kabupaten
    purpose: str  # the purpose the request declares, e.g. "child.protection"
