"""A deterministic synthetic population — children, families and what each agency knows — in chunks."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Table

from satu_anak.synthetic.common import ChunkDraft, GroundTruth, Rows, WorldState
from satu_anak.synthetic.consents import consent_rows
from satu_anak.synthetic.households import Households
from satu_anak.synthetic.protection import ProtectionServices
from satu_anak.synthetic.stories import STORIES, plant_stories
from subgraphs.balai import tables as balai_t
from subgraphs.consent import tables as consent_t
from subgraphs.dinsos import tables as dinsos_t
from subgraphs.disdukcapil import tables as dukcapil_t
from subgraphs.pkh import tables as pkh_t

__all__ = ["COLUMNS", "TABLES", "Chunk", "generate"]

# Tables per subgraph in foreign-key order; rows are tuples in the order of COLUMNS.
TABLES: Final[dict[str, tuple[Table, ...]]] = {
    "disdukcapil": (
        dukcapil_t.family,
        dukcapil_t.person,
        dukcapil_t.child,
        dukcapil_t.child_name,
        dukcapil_t.child_attribute_report,
    ),
    "dinsos": (
        dinsos_t.lksa,
        dinsos_t.registry_member,
        dinsos_t.assistance,
        dinsos_t.complaint,
        dinsos_t.case_response,
        dinsos_t.referral,
        dinsos_t.placement,
    ),
    "pkh": (
        pkh_t.facilitator,
        pkh_t.beneficiary_family,
        pkh_t.member,
        pkh_t.component,
        pkh_t.verification,
        pkh_t.payment,
    ),
    "balai": (
        balai_t.balai,
        balai_t.caseworker,
        balai_t.atensi_case,
        balai_t.stage_event,
        balai_t.residential_stay,
        balai_t.assessment,
        balai_t.intervention_plan,
    ),
    "consent": (
        consent_t.guardian_consent,
        consent_t.data_sharing_agreement,
        consent_t.agreement_party,
        consent_t.break_glass_grant,
    ),
}

# Columns the generator leaves to their default: what a later lifecycle step writes (NULL till
# then), or the database itself (person.held: the triggers on child set it as children load).
_NOT_GENERATED: Final[dict[str, frozenset[str]]] = {
    "complaint": frozenset({"closed_at"}),
    "referral": frozenset({"revoked_at", "closing_note"}),
    "person": frozenset({"held"}),
}

# The tables' own columns, in their order, less those: a column added to a table makes its rows
# one value short until the generator writes it or it is listed above (the loader and the tests
# refuse rows of the wrong length), so nothing shifts silently.
COLUMNS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    subgraph: {
        table.name: tuple(
            c.name for c in table.columns if c.name not in _NOT_GENERATED.get(table.name, ())
        )
        for table in tables
    }
    for subgraph, tables in TABLES.items()
}


@dataclass
class Chunk:
    """One slice of the world: the rows of every table for children first_child..+children-1."""

    index: int
    first_child: int
    children: int
    rows: Rows
    ground_truth: list[GroundTruth]

    def row_count(self) -> int:
        return sum(len(rows) for tables in self.rows.values() for rows in tables.values())


def generate(
    children: int, seed: int, chunk_size: int = 20_000, now: datetime | None = None
) -> Iterator[Chunk]:
    """The world of ``children`` children, chunk by chunk; chunk 0 holds reference data and stories.

    Same (children, seed, chunk_size, now) gives identical rows. Integer ids run on across chunks,
    so chunks must be taken in order; only one chunk's rows are held at a time. ``now`` (the
    moment of seeding) places only the break-glass grant that must be in force (consents.py);
    without it, that grant is placed at REFERENCE_DATE like everything else.
    """
    if children < len(STORIES):
        raise ValueError(f"children must be at least {len(STORIES)} (the planted stories)")
    if chunk_size < len(STORIES):
        raise ValueError(f"chunk_size must be at least {len(STORIES)}")
    state, services = WorldState(), ProtectionServices(children, seed)
    for index in range(math.ceil(children / chunk_size)):
        first = index * chunk_size + 1
        count = min(chunk_size, children - first + 1)
        yield _chunk(state, services, seed, index, first, count, now)


def _chunk(
    state: WorldState,
    services: ProtectionServices,
    seed: int,
    index: int,
    first: int,
    count: int,
    now: datetime | None,
) -> Chunk:
    """Chunk ``index``: in chunk 0 the reference rows, the stories and the consent registry's
    seeded cases, then random households."""
    rows: Rows = {sg: {t.name: [] for t in tables} for sg, tables in TABLES.items()}
    draft = ChunkDraft(state, random.Random(f"satu-anak:{seed}:{index}"), rows)
    households = Households(draft, services)
    if index == 0:
        households.protection.reference()
        seeded = Households(draft.branch(random.Random(f"satu-anak:{seed}:seeded-cases")), services)
        plant_stories(households, seeded)
        draft.rows["consent"] = consent_rows(COLUMNS["consent"], now)
    number = first + (len(STORIES) if index == 0 else 0)
    end = first + count
    while number < end:
        number += households.random_household(number, end - number)
    return Chunk(index, first, count, draft.rows, draft.ground_truth)
