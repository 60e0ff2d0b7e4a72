"""Disdukcapil's identity-resolution API: the work queue, a child's (or a typed-in record's)
registry candidates with their explanations, and the officer's decisions (docs/identity-resolution.md).

Every root field here carries identity.reports: its answers are derived from what other agencies
recorded about the child, so the gateway serves them only to Disdukcapil for identity.resolution,
and the subgraph checks the same (`access.require_identity_resolution`)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Self

import strawberry

from auth.principal import region_within
from resolution import store
from resolution.explain import Band, Candidate, Candidates, Warning_
from resolution.records import ChildRecord as MatchRecord
from subgraphs.common import validation
from subgraphs.common.context import Info, many_each
from subgraphs.common.enums import GraphQLEnum, graphql_enums
from subgraphs.common.errors import BadUserInput
from subgraphs.common.federation import assumed, categorized, cost, paged
from subgraphs.common.pagination import PageInfo
from subgraphs.disdukcapil import access, decisions, domain, identity_resolution, repository
from subgraphs.disdukcapil import work_queue as queue
from subgraphs.disdukcapil.schema import Child, RegistryPerson

if TYPE_CHECKING:  # what resolvers return and receive are the domain's own members
    from resolution.explain import Band as IdentityBand
    from resolution.explain import Warning_ as IdentityWarning
    from subgraphs.disdukcapil.domain import DecisionKind, DecisionStatus, MissingDocument
    from subgraphs.disdukcapil.work_queue import QueueOrder
else:
    enums = graphql_enums(
        GraphQLEnum(Band, "IdentityBand", "AUTO_SUGGEST: ≥ 99 % precise; REVIEW; UNLIKELY."),
        GraphQLEnum(Warning_, "IdentityWarning", "A pattern of the classic false links."),
        GraphQLEnum(domain.DecisionKind, "IdentityDecisionKind"),
        GraphQLEnum(domain.DecisionStatus, "IdentityDecisionStatus"),
        GraphQLEnum(domain.MissingDocument, "MissingDocument"),
        GraphQLEnum(queue.QueueOrder, "IdentityWorkQueueOrder"),
    )
    IdentityBand = enums.Band
    IdentityWarning = enums.Warning_
    DecisionKind = enums.DecisionKind
    DecisionStatus = enums.DecisionStatus
    MissingDocument = enums.MissingDocument
    QueueOrder = enums.QueueOrder

MAX_TOP = 20
# The work queue's page is read again after dropping stale suggestions at most this often (each
# time: a person on the page was linked meanwhile); past it the stale nodes are answered pending.
_STALE_RETRIES = 2
# A typed-in record is reached through no child and recorded under none, and any record may be
# typed: one request lists what finding the child needs — the top 5 by default (where the true
# person is ~97 % of the time, bench/identity/RESULTS.md), at most 10 — not a page of the region.
MATCH_DEFAULT_TOP = 5
MATCH_MAX_TOP = 10
_MAX_NAME = 120
_MAX_OTHER_NAMES = 20
_MAX_ADDRESS = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_decisions_of = many_each(decisions.decisions_of, lambda d: d.child_id)


# --- types ------------------------------------------------------------------------------------


@strawberry.type(
    description="One attribute's comparison: what matched how, and the weight it added (+) or took away (−)."
)
class IdentityEvidence:
    attribute: str
    level: str
    weight: float = strawberry.field(description="log2 Bayes factor; 0 when missing.")
    description: str
    record_value: str | None
    registry_value: str | None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Self:
        return cls(
            attribute=item["attribute"],
            level=item["level"],
            weight=item["weight"],
            description=item["description"],
            record_value=item.get("recordValue"),
            registry_value=item.get("registryValue"),
        )


@strawberry.type(description="A registry person who may be the child.")
class IdentityCandidate:
    person: RegistryPerson | None
    score: float = strawberry.field(
        description="Calibrated probability that this person is the child."
    )
    band: IdentityBand
    match_weight: float = strawberry.field(description="Sum of the evidence weights (log2 odds).")
    explanation: list[IdentityEvidence]
    warnings: list[IdentityWarning]


@strawberry.type(
    description="The registry candidates for one child or typed-in record, best first."
)
class IdentityCandidates:
    child_id: strawberry.ID | None = strawberry.field(description="Null for a typed-in record.")
    candidates: list[IdentityCandidate]
    no_match_probability: float = strawberry.field(
        description="Probability that the child is none of them (not in the registry)."
    )
    model_version: str


@strawberry.type(
    description="What an officer decided about a child's registry candidates, who, when and why; and its undoing."
)
class IdentityDecision:
    id: strawberry.ID
    child_id: strawberry.ID
    kind: DecisionKind
    nik: str | None
    score: float | None = strawberry.field(
        description="The matcher's score for the person when decided."
    )
    band: IdentityBand | None
    explanation: list[IdentityEvidence] = strawberry.field(
        description="The evidence the officer saw for the person (empty for a new registration)."
    )
    no_match_probability: float | None = strawberry.field(
        description="For a new registration: the matcher's probability, then, that the child is none of its candidates."
    )
    model_version: str | None
    reason: str
    decided_by: str = strawberry.field(description="The deciding officer's user (token subject).")
    decided_by_name: str
    decided_by_role: str
    decided_at: datetime
    undone_at: datetime | None
    undone_by: str | None
    undone_by_name: str | None
    undo_reason: str | None
    active: bool = strawberry.field(description="False once undone.")

    @classmethod
    def from_record(cls, d: domain.IdentityDecisionRecord) -> Self:
        kept = json.loads(d.explanation) if d.explanation else {}
        return cls(
            id=strawberry.ID(str(d.id)),
            child_id=strawberry.ID(d.child_id),
            kind=d.kind,
            nik=d.nik,
            score=d.score,
            band=Band(d.band) if d.band else None,
            explanation=[IdentityEvidence.from_json(e) for e in kept.get("evidence", ())],
            no_match_probability=kept.get("noMatchProbability"),
            model_version=d.model_version,
            reason=d.reason,
            decided_by=d.decided_by,
            decided_by_name=d.decided_by_name,
            decided_by_role=d.decided_by_role,
            decided_at=d.decided_at,
            undone_at=d.undone_at,
            undone_by=d.undone_by,
            undone_by_name=d.undone_by_name,
            undo_reason=d.undo_reason,
            active=d.active,
        )


@strawberry.type(description="A child in the identity work queue.")
class IdentityWorkItem:
    child_id: strawberry.ID
    child: Child | None
    missing: list[MissingDocument]
    candidate_count: int | None = strawberry.field(
        description="Candidates outside the UNLIKELY band among the top 5; null while pending."
    )
    best_score: float | None
    best_band: IdentityBand | None
    suggestions_pending: bool = strawberry.field(
        description="No fresh suggestions yet: computed a few per request (pendingCount)."
    )

    @strawberry.field(description="The child's decisions still in force, summed up.")
    async def status(self, info: Info) -> DecisionStatus:
        found = await info.context.loader("identity_decisions", _decisions_of).load(
            str(self.child_id)
        )
        return domain.decision_status(found)

    @classmethod
    def from_item(cls, item: queue.QueueItem) -> Self:
        c = item.child
        missing = [m for m, lacks in ((domain.MissingDocument.NIK, c.nik is None),
                   (domain.MissingDocument.BIRTH_CERTIFICATE, c.birth_certificate_number is None)) if lacks]  # fmt: skip
        return cls(
            child_id=strawberry.ID(c.id),
            child=Child.from_record(c),
            missing=missing,
            candidate_count=item.candidate_count,
            best_score=item.best_score,
            best_band=Band(item.best_band) if item.best_band else None,
            suggestions_pending=item.computed_at is None,
        )


@strawberry.type
class IdentityWorkQueue:
    nodes: list[IdentityWorkItem]
    page_info: PageInfo
    total_count: int
    pending_count: int = strawberry.field(
        description="Children of the list (all pages) still without fresh suggestions."
    )


@strawberry.input(
    description="A child at the counter, typed in by hand; any field may be blank, the matcher scores with what it has."
)
class IdentityRecordInput:
    name: str | None = None
    nickname: str | None = None
    other_names: list[str] = strawberry.field(default_factory=list)
    sex: str | None = strawberry.field(default=None, description="M / F (or L / P).")
    birth_date: str | None = strawberry.field(
        default=None, description="YYYY-MM-DD, from 1900-01-01 to today."
    )
    birth_date_approximate: bool = strawberry.field(
        default=False,
        description="The birthDate is an approximation ('about March 2015'): a gap from it "
        "weighs as approximations go, not as against a date written as known.",
    )
    birth_year: int | None = None
    age_estimate: float | None = strawberry.field(default=None, description="Years, today.")
    birth_place: str | None = None
    region_code: str | None = strawberry.field(
        default=None, description="PP.KK.CC.DDDD or a prefix (PP.KK)."
    )
    mother_name: str | None = None
    father_name: str | None = None
    address: str | None = strawberry.field(
        default=None,
        description="The family's address as told ('Jl. Sudirman No. 12, RT 003/RW 002'): "
        "compared by its parts (street or dusun, house number, RT, RW) with the registry "
        "family's, within one desa.",
    )


# --- input -------------------------------------------------------------------------------------

_SEXES = {"M": "M", "L": "M", "F": "F", "P": "F"}


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _name(value: str | None, field: str) -> tuple[str, ...]:
    if _blank(value):
        return ()
    assert value is not None
    return (validation.text(value, field, max_length=_MAX_NAME),)


_EARLIEST_BIRTH_YEAR: Final = 1900  # of anyone a record typed in may be


def _birth_date(value: str | None) -> date | None:
    if _blank(value):
        return None
    assert value is not None
    try:
        if not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError(value)
        born = date.fromisoformat(value.strip())
    except ValueError:
        raise BadUserInput("birthDate is not a real date (YYYY-MM-DD)", field="birthDate") from None
    validation.not_in_future(born, "birthDate")
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise BadUserInput("birthDate is not a possible date of birth", field="birthDate")
    return born


def _birth_year(value: int | None, born: date | None) -> int | None:
    if value is None:
        return None
    if not _EARLIEST_BIRTH_YEAR <= value <= date.today().year:
        raise BadUserInput("birthYear is not a possible year of birth", field="birthYear")
    if born is not None and born.year != value:
        raise BadUserInput("birthYear does not agree with birthDate", field="birthYear")
    return value


def _age(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not 0 <= value <= 120:
        raise BadUserInput("ageEstimate must be between 0 and 120 years", field="ageEstimate")
    return value


def _sex(value: str | None) -> str | None:
    if _blank(value):
        return None
    assert value is not None
    sex = _SEXES.get(value.strip().upper())
    if sex is None:
        raise BadUserInput("sex must be M or F (L or P)", field="sex")
    return sex


def match_record(data: IdentityRecordInput) -> MatchRecord:
    """The typed-in record as the matcher's query; BAD_USER_INPUT naming the field that cannot be
    right. Nothing is required."""
    if len(data.other_names) > _MAX_OTHER_NAMES:
        raise BadUserInput(f"at most {_MAX_OTHER_NAMES} otherNames", field="otherNames")
    names = (
        *_name(data.name, "name"),
        *_name(data.nickname, "nickname"),
        *(n for other in data.other_names for n in _name(other, "otherNames")),
    )
    born = _birth_date(data.birth_date)
    if data.birth_date_approximate and born is None:
        raise BadUserInput("birthDateApproximate needs a birthDate", field="birthDateApproximate")
    region = None if _blank(data.region_code) else validation.region_code(data.region_code or "")
    return MatchRecord(
        names=names,
        sex=_sex(data.sex),
        birth_date=born,
        birth_date_exact=not data.birth_date_approximate,
        birth_year=_birth_year(data.birth_year, born),
        age_estimate=_age(data.age_estimate),
        as_of=date.today(),
        birth_places=_name(data.birth_place, "birthPlace"),
        region_codes=(region,) if region else (),
        mother_names=_name(data.mother_name, "motherName"),
        father_names=_name(data.father_name, "fatherName"),
        addresses=_address(data.address),
    )


def _address(value: str | None) -> tuple[str, ...]:
    if _blank(value):
        return ()
    assert value is not None
    return (validation.text(value, "address", max_length=_MAX_ADDRESS),)


def _reason(value: str) -> str:
    return validation.text(value, "reason", max_length=access.MAX_REASON_LENGTH)


def _top(value: int, most: int = MAX_TOP) -> int:
    if not 1 <= value <= most:
        raise BadUserInput(f"top must be between 1 and {most}", field="top")
    return value


# identity_decision.id is an INTEGER: PostgreSQL's is 32-bit, and a larger key is an error there.
_MAX_DECISION_ID = 2**31 - 1


def _decision_id(value: strawberry.ID) -> int | None:
    """The decision's key; None for text that names no decision (answered as an unknown one)."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    key = int(text)
    return key if 0 < key <= _MAX_DECISION_ID else None


# --- answers -----------------------------------------------------------------------------------


async def _answer(
    info: Info, found: Candidates, child_id: str | None, *, regional: bool = False
) -> IdentityCandidates:
    """The matcher's answer with each candidate's full registry record (one query) — without
    the registry persons who are index children outside the caller's jurisdiction: such a child
    does not exist for the officer (DOMAIN.md "Jurisdiction"; an ABH child's identity.full goes
    to Disdukcapil only in jurisdiction, "SPPA"), and the candidate's record and explanation are
    that child's identity.full."""
    niks = [c.person.nik for c in found.candidates]
    within = access.jurisdiction(info.context.identity)
    async with info.context.db.connect() as conn:
        hidden = (
            await repository.niks_held_outside(conn, niks, within)
            if within is not None
            else frozenset()
        )
        persons = await repository.persons_by_nik(conn, [n for n in niks if n not in hidden])
    by_nik = {p.nik: p for p in persons}

    def shown(c: Candidate) -> domain.PersonRecord | None:
        """The candidate's record as the officer may see it: in their region, in full; from
        another region (a family that moved), only for a child of theirs and only while the
        matcher says it may be this child (REVIEW, AUTO_SUGGEST) — an UNLIKELY one is another
        family's identity.full, not this child's, and is listed without it."""
        person = by_nik.get(c.person.nik)
        if person is None or within is None or region_within(person.region_code, within):
            return person
        return None if regional or c.band is Band.UNLIKELY else person

    return IdentityCandidates(
        child_id=strawberry.ID(child_id) if child_id else None,
        candidates=[
            _candidate(c, shown(c)) for c in found.candidates if c.person.nik not in hidden
        ],
        no_match_probability=found.no_match_probability,
        model_version=found.model_version,
    )


def _candidate(c: Candidate, person: domain.PersonRecord | None) -> IdentityCandidate:
    """The candidate as answered; without `person` (withheld), the explanation keeps what matched
    how and its weight, not the registry's values (nor the matcher's text, which may quote them)."""
    return IdentityCandidate(
        person=RegistryPerson.from_record(person) if person else None,
        score=c.score,
        band=c.band,
        match_weight=c.match_weight,
        explanation=[
            IdentityEvidence(
                attribute=e.attribute,
                level=e.level,
                weight=e.weight,
                description=e.description if person else e.level,
                record_value=e.record_value,
                registry_value=e.registry_value if person else None,
            )
            for e in c.explanation
        ],
        warnings=list(c.warnings),
    )


async def _child_in_jurisdiction(
    info: Info, conn: Any, child_id: str, *, lock: bool = False
) -> domain.ChildRecord | None:
    """The child, if in the caller's jurisdiction; `lock` (a decision): locked until the
    transaction ends, so two decisions about one child never both pass their checks."""
    found = await repository.children_by_id(
        conn, [child_id], access.jurisdiction(info.context.identity), lock=lock
    )
    return found[0] if found else None


async def _decision_answer(
    conn: Any, decision_id: int, within: tuple[str, ...] | None
) -> IdentityDecision:
    record = await decisions.decision_by_id(conn, decision_id)
    assert record is not None
    (answer,) = await _decisions_as_read(conn, [record], within)
    return answer


async def _decisions_as_read(
    conn: Any, found: Sequence[domain.IdentityDecisionRecord], within: tuple[str, ...] | None
) -> list[IdentityDecision]:
    """The decisions as an officer of jurisdiction `within` may read them. The evidence kept is
    what its decider was shown (`identity_resolution.as_shown`), and a decider may see more
    (a province's officer, a kabupaten's reader) or the person may since have become another
    region's index child: the registry's values of a person outside the reader's region are
    shown only while the matcher rated it REVIEW or AUTO_SUGGEST and no child outside holds it,
    as `identityCandidates` would show them; else each attribute's level and weight."""
    answers = [IdentityDecision.from_record(d) for d in found]
    niks = sorted({d.nik for d in found if d.nik})
    if within is None or not niks:
        return answers
    regions = {p.nik: p.region_code for p in await repository.persons_by_nik(conn, niks)}
    held = await repository.niks_held_outside(conn, niks, within)
    for answer in answers:
        nik = answer.nik
        if nik is None or not answer.explanation:
            continue
        region = regions.get(nik)
        if nik not in held and region is not None and region_within(region, within):
            continue
        if nik not in held and answer.band in (Band.REVIEW, Band.AUTO_SUGGEST):
            continue
        answer.explanation = [
            replace(e, description=e.level, registry_value=None) for e in answer.explanation
        ]
    return answers


# --- queries -----------------------------------------------------------------------------------


@strawberry.type
class IdentityQuery:
    @categorized(
        "identity.reports",
        description="Children in the caller's jurisdiction known to Balai, Dinsos, LKSA or PKH without a NIK or a birth certificate, with their registry candidates' count and best score. Disdukcapil, purpose identity.resolution.",
        directives=[paged(), cost(10)],
    )
    async def identity_work_queue(
        self,
        info: Info,
        region_code: Annotated[
            str | None,
            strawberry.argument(
                description="A region prefix inside the jurisdiction: 21.71, 21.71.01"
            ),
        ] = None,
        missing: Annotated[
            MissingDocument | None, strawberry.argument(description="Null: either document.")
        ] = None,
        order_by: QueueOrder = queue.QueueOrder.BEST_SCORE_DESC,
        first: int = 20,
        after: str | None = None,
    ) -> IdentityWorkQueue | None:
        identity = info.context.identity
        access.require_identity_resolution(identity)
        validation.page_size(first)
        region = validation.region_code(region_code) if region_code is not None else None
        where = queue.QueueFilter(access.jurisdiction(identity), region, missing)
        await queue.fill(info.context.db, where)
        for _attempt in range(_STALE_RETRIES + 1):
            async with info.context.db.connect() as conn:
                page = await queue.page(conn, where, order_by, first, after)
                total, pending = await queue.count(conn, where)
            if not page.stale:
                break
            # Stale suggestions (a person listed since made another child's) are dropped, and the
            # page read again: the stored score must not place the child in a best-score order,
            # nor be its cursor, nor be left out of pendingCount — it is pending, like any other.
            await queue.drop(info.context.db, page.stale)
        return IdentityWorkQueue(
            nodes=[IdentityWorkItem.from_item(item) for item in page.items],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total_count=total,
            pending_count=pending,
        )

    @categorized(
        "identity.reports",
        description="Registry candidates for an index child, ranked, from every identity attribute any agency reported; persons marked not this person are left out. Null when the child is unknown or outside the caller's jurisdiction.",
        directives=[cost(10)],
    )
    async def identity_candidates(
        self, info: Info, child_id: strawberry.ID, top: int = 5
    ) -> IdentityCandidates | None:
        identity = info.context.identity
        access.require_identity_resolution(identity)
        _top(top)
        within = access.jurisdiction(identity)
        async with info.context.db.connect() as conn:
            if await _child_in_jurisdiction(info, conn, str(child_id)) is None:
                return None
            # Not stored as the queue's suggestions: those are the same for every asker
            # (work_queue.suggestions_for), this answer is the asker's.
            found = await queue.candidates_for(conn, str(child_id), top, within)
        if found is None:
            return None
        return await _answer(info, found, str(child_id))

    @categorized(
        "identity.reports",
        description="Registry candidates for a record typed in by hand (a child at the counter, not yet in the index).",
        directives=[cost(10)],
    )
    async def match_identity(
        self,
        info: Info,
        record: IdentityRecordInput,
        top: Annotated[
            int, strawberry.argument(description=f"At most {MATCH_MAX_TOP}.")
        ] = MATCH_DEFAULT_TOP,
    ) -> IdentityCandidates | None:
        access.require_identity_resolution(info.context.identity)
        _top(top, MATCH_MAX_TOP)
        query = match_record(record)
        within = access.jurisdiction(info.context.identity)

        async def held_outside(conn: Any, niks: Sequence[str]) -> frozenset[str]:
            assert within is not None
            return await repository.niks_held_outside(conn, niks, within)

        async with info.context.db.connect() as conn:
            leave_out = held_outside if within is not None else None
            found = await store.candidates(conn, query, top=top, leave_out=leave_out)
        # Reached through no child: like registryPerson(nik:), a person registered outside the
        # officer's region is not shown (score, band and how each attribute matched are).
        return await _answer(info, found, None, regional=True)

    @categorized(
        "identity.reports",
        description="A child's identity decisions, newest first: who decided what, when and why, and who undid it. Null when the child is unknown or outside the caller's jurisdiction.",
        directives=[assumed(10)],
    )
    async def identity_decisions(
        self, info: Info, child_id: strawberry.ID
    ) -> list[IdentityDecision] | None:
        access.require_identity_resolution(info.context.identity)
        async with info.context.db.connect() as conn:
            if await _child_in_jurisdiction(info, conn, str(child_id)) is None:
                return None
            found = await decisions.decisions_of(conn, [str(child_id)])
            return await _decisions_as_read(conn, found, access.jurisdiction(info.context.identity))


# --- mutations ---------------------------------------------------------------------------------


@strawberry.type
class IdentityMutation:
    @categorized(
        "identity.reports",
        description="Mark a registry person as not this child: never proposed for it again (until a supervisor undoes it). Null when the child is unknown or outside the caller's jurisdiction.",
    )
    async def reject_identity_candidate(
        self, info: Info, child_id: strawberry.ID, nik: str, reason: str
    ) -> IdentityDecision | None:
        identity = info.context.identity
        access.require_identity_resolution(identity)
        decider = access.decider(identity)
        validation.nik(nik)
        why = _reason(reason)
        async with info.context.db.connect() as conn:
            child = await _child_in_jurisdiction(info, conn, str(child_id))
            if child is None:
                return None
            await identity_resolution.check_reject(conn, child, nik)
        searched = await identity_resolution.search(
            info.context.db, child, access.jurisdiction(identity), nik
        )
        async with info.context.db.transaction() as conn:
            child = await _child_in_jurisdiction(info, conn, str(child_id), lock=True)
            if child is None:
                return None
            decision_id = await identity_resolution.reject(conn, child, nik, why, decider, searched)
            answer = await _decision_answer(conn, decision_id, access.jurisdiction(identity))
        _report(info, decision_id, child.id, "NOT_THIS_PERSON")
        return answer

    @categorized(
        "identity.reports",
        description="Decide the child is not in the registry: start a new registration. Null when the child is unknown or outside the caller's jurisdiction.",
    )
    async def start_registration(
        self, info: Info, child_id: strawberry.ID, reason: str
    ) -> IdentityDecision | None:
        identity = info.context.identity
        access.require_identity_resolution(identity)
        decider = access.decider(identity)
        why = _reason(reason)
        async with info.context.db.connect() as conn:
            child = await _child_in_jurisdiction(info, conn, str(child_id))
            if child is None:
                return None
            await identity_resolution.check_registration(conn, child)
        searched = await identity_resolution.search(
            info.context.db, child, access.jurisdiction(identity)
        )
        async with info.context.db.transaction() as conn:
            child = await _child_in_jurisdiction(info, conn, str(child_id), lock=True)
            if child is None:
                return None
            decision_id = await identity_resolution.start_registration(
                conn, child, why, decider, searched
            )
            answer = await _decision_answer(conn, decision_id, access.jurisdiction(identity))
        _report(info, decision_id, child.id, "NEW_REGISTRATION")
        return answer

    @categorized(
        "identity.reports",
        description="Undo an identity decision (a Disdukcapil supervisor): a link is unlinked, a rejected person may be proposed again. Null when the decision is unknown or its child outside the caller's jurisdiction.",
    )
    async def undo_identity_decision(
        self, info: Info, decision_id: strawberry.ID, reason: str
    ) -> IdentityDecision | None:
        identity = info.context.identity
        access.require_identity_resolution(identity)
        decider = access.require_supervisor(identity)
        why = _reason(reason)
        key = _decision_id(decision_id)
        if key is None:
            return None
        async with info.context.db.transaction() as conn:
            decision = await decisions.decision_by_id(conn, key)
            if decision is None:
                return None
            child = await _child_in_jurisdiction(info, conn, decision.child_id, lock=True)
            if child is None:
                return None
            await identity_resolution.undo(conn, decision, child, why, decider)
            answer = await _decision_answer(conn, key, access.jurisdiction(identity))
        info.context.changed("IdentityDecision", key, f"undone: {decision.kind.value}")
        action = (
            "nik unlinked"
            if decision.kind is domain.DecisionKind.LINK
            else "identity decision undone"
        )
        info.context.changed("Child", child.id, action)
        return answer


def _report(info: Info, decision_id: int, child_id: str, kind: str) -> None:
    """What the decision wrote, for the gateway's audit: the decision, and the child it is about."""
    info.context.changed("IdentityDecision", decision_id, kind)
    info.context.changed("Child", child_id, f"identity decision: {kind}")
