"""Identity decisions as the officer takes them: link, "not this person", new registration, and a
supervisor's undo — each in the caller's one transaction, with the matcher's score and
explanation recorded beside who decided and why (docs/identity-resolution.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncConnection

from auth.principal import region_within
from resolution import store
from resolution.explain import Band, Candidate, Candidates
from subgraphs.common.database import Database
from subgraphs.common.errors import BadUserInput, Conflict
from subgraphs.disdukcapil import decisions, repository, work_queue
from subgraphs.disdukcapil.domain import (
    ChildRecord,
    Decider,
    DecisionKind,
    IdentityDecisionRecord,
    NewDecision,
    PersonRecord,
)


def explanation_json(candidate: Candidate) -> str:
    """The evidence the officer was shown, as kept with the decision."""
    return json.dumps(
        {
            "matchWeight": candidate.match_weight,
            "warnings": [w.value for w in candidate.warnings],
            "evidence": [
                {
                    "attribute": e.attribute,
                    "level": e.level,
                    "weight": e.weight,
                    "description": e.description,
                    "recordValue": e.record_value,
                    "registryValue": e.registry_value,
                }
                for e in candidate.explanation
            ],
        }
    )


def _candidates_json(found: Candidates) -> str:
    """What a new registration was decided against: the candidates there were, and the matcher's
    probability that the child is none of them."""
    return json.dumps(
        {
            "noMatchProbability": found.no_match_probability,
            "candidates": [
                {"nik": c.person.nik, "score": c.score, "band": c.band.value}
                for c in found.candidates
            ],
        }
    )


async def scored(
    conn: AsyncConnection,
    child_id: str,
    nik: str,
    within: tuple[str, ...] | None,
    *,
    linking: bool = False,
) -> tuple[Candidate | None, str]:
    """The person's candidate for the child as the officer (of jurisdiction `within`) saw it:
    from the child's ranked candidates when the person is among them, else scored on its own
    (`store.score_pair`) — and the model version that scored it. Kept with the decision and
    answered by it (`identityDecisions`), so it shows no more than `identityCandidates` would
    (`as_shown`): any NIK may be typed into a decision. A rejection (not `linking`) of another
    region's person the candidates did not list is not scored at all: whether that person is
    another region's index child (never scored) or not would show in the answer. A link is
    refused for a NIK another child holds before it gets here."""
    found = await work_queue.candidates_for(conn, child_id, work_queue.SUGGESTION_TOP, within)
    if found is not None:
        for candidate in found.candidates:
            if candidate.person.nik == nik:
                return await as_shown(conn, candidate, within), found.model_version
    record = await store.child_record(conn, child_id)
    if record is None:
        return None, store.MODEL_VERSION
    if within is not None and not linking:
        persons = await repository.persons_by_nik(conn, [nik])
        if not persons or not region_within(persons[0].region_code, within):
            return None, store.MODEL_VERSION
    alone = await store.score_pair(conn, record, nik)
    if alone is None:
        return None, store.MODEL_VERSION
    return await as_shown(conn, alone, within), store.MODEL_VERSION


async def as_shown(
    conn: AsyncConnection, candidate: Candidate, within: tuple[str, ...] | None
) -> Candidate | None:
    """The candidate as `identityCandidates` shows it to an officer of jurisdiction `within`
    (identity_schema._answer): a person of the region in full; another region's index child not
    at all (None: no score, no evidence — outside the region a child does not exist); another
    region's person the matcher rates UNLIKELY without the registry's values (each attribute's
    level and weight only). Else rejecting a guessed NIK for a child of one's own would read any
    registry record of the country, which `registryPerson(nik:)` refuses."""
    if within is None:
        return candidate
    nik = candidate.person.nik
    if await repository.niks_held_outside(conn, [nik], within):
        return None
    persons = await repository.persons_by_nik(conn, [nik])
    if persons and region_within(persons[0].region_code, within):
        return candidate
    if candidate.band is not Band.UNLIKELY:
        return candidate
    withheld = tuple(
        replace(e, description=e.level, registry_value=None) for e in candidate.explanation
    )
    return replace(candidate, explanation=withheld)


@dataclass(frozen=True)
class Searched:
    """What a decision was searched against, before its write transaction: the child as it was
    then, and the person's candidate (a link, a rejection) or the child's candidates (a new
    registration) with the model version."""

    child: ChildRecord
    candidate: Candidate | None = None
    found: Candidates | None = None
    model_version: str | None = None


async def search(
    db: Database,
    child: ChildRecord,
    within: tuple[str, ...] | None,
    nik: str | None = None,
    *,
    linking: bool = False,
) -> Searched:
    """The matcher's search for a decision, on a read connection of its own: a search is ~100 ms
    at national scale, and inside the decision's transaction it would hold SQLite's write lock
    (every other decision, every queue fill waiting) and the child's row lock on PostgreSQL.
    The decision re-checks the child under the lock (`unchanged`)."""
    async with db.connect() as conn:
        if nik is not None:
            candidate, version = await scored(conn, child.id, nik, within, linking=linking)
            return Searched(child, candidate=candidate, model_version=version)
        found = await work_queue.candidates_for(conn, child.id, work_queue.SUGGESTION_TOP, within)
    return Searched(child, found=found, model_version=found.model_version if found else None)


def unchanged(searched: Searched, child: ChildRecord) -> None:
    """The child, read again under the decision's lock, is still the one searched for; else a
    CONFLICT (another decision changed it meanwhile: the officer asks again)."""
    if child != searched.child:
        if child.nik is not None:
            raise Conflict("this child already has a different NIK", field="childId")
        raise Conflict("this child changed while its candidates were scored", field="childId")


def _scored_decision(
    child_id: str,
    kind: DecisionKind,
    nik: str,
    reason: str,
    decider: Decider,
    candidate: Candidate | None,
    model_version: str | None,
) -> NewDecision:
    return NewDecision(
        child_id=child_id,
        kind=kind,
        reason=reason,
        decider=decider,
        nik=nik,
        score=candidate.score if candidate else None,
        band=candidate.band.value if candidate else None,
        explanation=explanation_json(candidate) if candidate else None,
        model_version=model_version,
    )


async def link(
    conn: AsyncConnection,
    child: ChildRecord,
    person: PersonRecord,
    reason: str,
    decider: Decider,
    searched: Searched,
) -> int:
    """Link the child to the person and record the LINK decision with the score `searched`
    before the transaction (the caller checked that both are free, the child locked).
    Raises NikAlreadyLinked."""
    unchanged(searched, child)
    if await decisions.active_decision(conn, child.id, DecisionKind.NOT_THIS_PERSON, person.nik):
        raise Conflict(
            "this person was marked not this child; a supervisor must undo that first", field="nik"
        )
    changes = await repository.link_nik(conn, child, person, "DISDUKCAPIL")
    new = _scored_decision(
        child.id,
        DecisionKind.LINK,
        person.nik,
        reason,
        decider,
        searched.candidate,
        searched.model_version,
    )
    decision_id = await decisions.record_decision(
        conn, replace(new, undo_data=json.dumps(changes.to_json()))
    )
    await work_queue.forget(conn, child.id)
    return decision_id


async def check_reject(conn: AsyncConnection, child: ChildRecord, nik: str) -> None:
    """What refuses a "not this person": before the search, and again under the lock."""
    if not await repository.persons_by_nik(conn, [nik]):
        raise BadUserInput("no registry person has this NIK", field="nik")
    if child.nik == nik:
        raise Conflict(
            "the child is linked to this person; a supervisor must undo the link first",
            field="nik",
        )
    if await decisions.active_decision(conn, child.id, DecisionKind.NOT_THIS_PERSON, nik):
        raise Conflict("this person is already marked not this child", field="nik")


async def reject(
    conn: AsyncConnection,
    child: ChildRecord,
    nik: str,
    reason: str,
    decider: Decider,
    searched: Searched,
) -> int:
    """Mark the person "not this person" for the child (locked): never proposed for it again.
    The score recorded is the one `searched` before the transaction."""
    await check_reject(conn, child, nik)
    unchanged(searched, child)
    new = _scored_decision(
        child.id,
        DecisionKind.NOT_THIS_PERSON,
        nik,
        reason,
        decider,
        searched.candidate,
        searched.model_version,
    )
    decision_id = await decisions.record_decision(conn, new)
    await work_queue.forget(conn, child.id)
    return decision_id


async def check_registration(conn: AsyncConnection, child: ChildRecord) -> None:
    """What refuses a new registration: before the search, and again under the lock."""
    if child.nik is not None:
        raise Conflict("this child already has a NIK", field="childId")
    if await decisions.active_decision(conn, child.id, DecisionKind.NEW_REGISTRATION):
        raise Conflict("a registration was already started for this child", field="childId")


async def start_registration(
    conn: AsyncConnection, child: ChildRecord, reason: str, decider: Decider, searched: Searched
) -> int:
    """Decide the child (locked) is not in the registry: a new registration (birth certificate,
    NIK), kept with the candidates `searched` before the transaction."""
    await check_registration(conn, child)
    unchanged(searched, child)
    found = searched.found
    new = NewDecision(
        child_id=child.id,
        kind=DecisionKind.NEW_REGISTRATION,
        reason=reason,
        decider=decider,
        explanation=_candidates_json(found) if found else None,
        model_version=found.model_version if found else None,
    )
    decision_id = await decisions.record_decision(conn, new)
    await work_queue.forget(conn, child.id)
    return decision_id


async def undo(
    conn: AsyncConnection,
    decision: IdentityDecisionRecord,
    child: ChildRecord,
    reason: str,
    decider: Decider,
) -> None:
    """Undo a decision: a LINK unlinks the NIK (the child as it was before, the registry person
    free again); a "not this person" lets the person be proposed again; a new registration is
    withdrawn. The decision row stays, with who undid it and why."""
    if not decision.active:
        raise Conflict("this decision was already undone", field="decisionId")
    if decision.kind is DecisionKind.LINK:
        if child.nik != decision.nik or decision.undo_data is None:
            raise Conflict("the child no longer holds this decision's NIK", field="decisionId")
        changes = repository.LinkChanges.from_json(json.loads(decision.undo_data))
        await repository.unlink_nik(conn, child.id, changes)
    if not await decisions.mark_undone(conn, decision.id, decider, reason):
        raise Conflict("this decision was already undone", field="decisionId")
    await work_queue.forget(conn, child.id)
