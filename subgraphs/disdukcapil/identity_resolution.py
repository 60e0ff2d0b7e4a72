"""Identity decisions as the officer takes them: link, "not this person", new registration, and a
supervisor's undo — each in the caller's one transaction, with the matcher's score and
explanation recorded beside who decided and why (docs/identity-resolution.md)."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from resolution import store
from resolution.explain import Candidate, Candidates
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


async def scored(conn: AsyncConnection, child_id: str, nik: str) -> tuple[Candidate | None, str]:
    """The person's candidate for the child as the officer saw it: from the child's ranked
    candidates when the person is among them, else scored on its own (`store.score_pair`) — and
    the model version that scored it."""
    found = await work_queue.candidates_for(conn, child_id, work_queue.SUGGESTION_TOP)
    if found is not None:
        for candidate in found.candidates:
            if candidate.person.nik == nik:
                return candidate, found.model_version
    record = await store.child_record(conn, child_id)
    if record is None:
        return None, store.MODEL_VERSION
    return await store.score_pair(conn, record, nik), store.MODEL_VERSION


def _scored_decision(
    child_id: str,
    kind: DecisionKind,
    nik: str,
    reason: str,
    decider: Decider,
    candidate: Candidate | None,
    model_version: str,
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
) -> int:
    """Link the child to the person and record the LINK decision (the caller checked that both
    are free). Scored before the link changes the child. Raises NikAlreadyLinked."""
    if await decisions.active_decision(conn, child.id, DecisionKind.NOT_THIS_PERSON, person.nik):
        raise Conflict(
            "this person was marked not this child; a supervisor must undo that first", field="nik"
        )
    candidate, version = await scored(conn, child.id, person.nik)
    changes = await repository.link_nik(conn, child, person, "DISDUKCAPIL")
    new = _scored_decision(
        child.id, DecisionKind.LINK, person.nik, reason, decider, candidate, version
    )
    decision_id = await decisions.record_decision(
        conn, replace(new, undo_data=json.dumps(changes.to_json()))
    )
    await work_queue.forget(conn, child.id)
    return decision_id


async def reject(
    conn: AsyncConnection, child: ChildRecord, nik: str, reason: str, decider: Decider
) -> int:
    """Mark the person "not this person" for the child: never proposed for it again."""
    if not await repository.persons_by_nik(conn, [nik]):
        raise BadUserInput("no registry person has this NIK", field="nik")
    if child.nik == nik:
        raise Conflict(
            "the child is linked to this person; a supervisor must undo the link first",
            field="nik",
        )
    if await decisions.active_decision(conn, child.id, DecisionKind.NOT_THIS_PERSON, nik):
        raise Conflict("this person is already marked not this child", field="nik")
    candidate, version = await scored(conn, child.id, nik)
    new = _scored_decision(
        child.id, DecisionKind.NOT_THIS_PERSON, nik, reason, decider, candidate, version
    )
    decision_id = await decisions.record_decision(conn, new)
    await work_queue.forget(conn, child.id)
    return decision_id


async def start_registration(
    conn: AsyncConnection, child: ChildRecord, reason: str, decider: Decider
) -> int:
    """Decide the child is not in the registry: a new registration (birth certificate, NIK)."""
    if child.nik is not None:
        raise Conflict("this child already has a NIK", field="childId")
    if await decisions.active_decision(conn, child.id, DecisionKind.NEW_REGISTRATION):
        raise Conflict("a registration was already started for this child", field="childId")
    found = await work_queue.candidates_for(conn, child.id, work_queue.SUGGESTION_TOP)
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
