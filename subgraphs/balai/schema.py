"""Balai's GraphQL schema: Balai units, caseworkers (peksos) and ATENSI cases of AMPK children."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry

from subgraphs.balai import access, domain, repository
from subgraphs.balai.domain import (
    BalaiRecord,
    CaseRecord,
    CaseRuleViolation,
)
from subgraphs.common import ampk, federation, validation
from subgraphs.common.child import ChildEntity
from subgraphs.common.context import Info, many_each, one_each
from subgraphs.common.enums import AMPK_CATEGORY, GraphQLEnum, graphql_enums
from subgraphs.common.errors import BadUserInput, Conflict, InvalidTransition
from subgraphs.common.federation import SubgraphSchema, assumed, categorized, paged
from subgraphs.common.guard import require_facts_access
from subgraphs.common.identity import Identity
from subgraphs.common.objects import from_record
from subgraphs.common.pagination import PageInfo

# The domain's enums as GraphQL enums (see common/enums.py); annotations say `enums.X`,
# and `AmpkCategory` for the enum Dinsos and Balai share.
if TYPE_CHECKING:  # what resolvers return and receive are the domain's own members
    from subgraphs.balai import domain as enums
    from subgraphs.common.ampk import AmpkCategory
else:
    enums = graphql_enums(
        AMPK_CATEGORY,
        GraphQLEnum(domain.CaseStage, "CaseStage", description="ATENSI case-management stages."),
        GraphQLEnum(domain.CaseStatus, "CaseStatus"),
        GraphQLEnum(domain.RiskLevel, "RiskLevel"),
        GraphQLEnum(domain.InterventionSetting, "InterventionSetting"),
        GraphQLEnum(domain.ClosureReason, "CaseClosureReason"),
    )
    AmpkCategory = enums.AmpkCategory

# Integer primary keys in PostgreSQL are int4; anything larger cannot name a row.
_MAX_ROW_ID = 2**31 - 1
_CHILD_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


def _row_id(value: str) -> int | None:
    """An ID argument as a row id, or None when it cannot name one (and so is unknown)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= _MAX_ROW_ID else None


def _transition_error(error: CaseRuleViolation) -> InvalidTransition:
    return InvalidTransition(str(error), field=error.field)


# --- batch loaders: one SQL query per table per tick, whatever the number of keys -------------


_balais = one_each(repository.balais_by_code, lambda b: b.code)


_caseworkers = one_each(repository.caseworkers_by_id, lambda w: w.id)


_caseworkers_of_balai = many_each(repository.caseworkers_by_balai, lambda w: w.balai_code)


_cases = one_each(repository.cases_by_id, lambda c: c.id)


_cases_by_number = one_each(repository.cases_by_number, lambda c: c.case_number)


_cases_of_child = many_each(repository.cases_by_child, lambda c: c.child_id)


_stage_events = many_each(repository.stage_events, lambda e: e.case_id)


_stays = many_each(repository.residential_stays, lambda s: s.case_id)


_assessments = many_each(repository.assessments, lambda a: a.case_id)


_plans = many_each(repository.intervention_plans, lambda p: p.case_id)


async def _visible(info: Info, case: CaseRecord) -> bool:
    """Whether a case found by a root lookup or as an entity exists for the caller (no
    identity: as before).

    Balai staff: their Balai's cases, and the cases elsewhere of a child with a case at their
    Balai (the Balai's jurisdiction; a child's home province is not held here, so that half of
    it is the gateway's). Other roles: this subgraph holds no region for a case's child, so it
    cannot tell jurisdiction: no root lookups (they reach cases through the child they were
    allowed, `Child.cases`).
    """
    identity = info.context.identity
    if identity is None:
        return True
    if identity.role not in access.BALAI_ROLES:
        return False
    if case.balai_code == identity.unit:
        return True
    cases = await info.context.loader("cases_of_child", _cases_of_child).load(case.child_id)
    return any(c.balai_code == identity.unit for c in cases)


_CASE_CATEGORIES = frozenset({"protection.summary", "protection.detail"})


async def _case_by_id(info: Info, id: strawberry.ID) -> CaseRecord | None:
    """The case with this id if the caller may see it (`_visible`); None when it is unknown, the
    id cannot name one, or it is not visible — all three answer alike. `atensiCase(id:)` and the
    AtensiCase entity both find cases here, through the request's loader (one query a tick)."""
    case_id = _row_id(id)
    if case_id is None:
        return None
    record = await info.context.loader("cases", _cases).load(case_id)
    if record is None or not await _visible(info, record):
        return None
    return record


def _check_detail(info: Info, case: AtensiCase) -> None:
    """protection.detail of a case: for Balai staff, only the assigned caseworker and the
    supervisors of the case's Balai, never another Balai (other roles: the grant's categories)."""
    identity = info.context.identity
    if identity is None or identity.role not in access.BALAI_ROLES:
        return
    if identity.unit == case.balai_code and (
        identity.role == access.SUPERVISOR or identity.staff_id == str(case.caseworker_id)
    ):
        return
    raise access.refused(category="protection.detail")


async def _load_balai(info: Info, code: str) -> BalaiRecord:
    record = await info.context.loader("balais", _balais).load(code)
    if record is None:  # the foreign key makes this impossible; fail loudly if it ever is not
        raise LookupError(f"Balai {code!r} is missing")
    return record


# --- reference data: Balai units and their caseworkers ----------------------------------------


@strawberry.federation.type(
    keys=["code"],
    description='A Balai Rehabilitasi Sosial Anak (Kemensos), e.g. Balai Anak "Rumbai" Pekanbaru.',
)
class Balai:
    code: str
    name: str
    city: str
    region_code: str = strawberry.field(description="Kemendagri code of the Balai's seat.")
    provinces_served: list[str] = strawberry.field(description="Province codes, e.g. 14, 13.")
    phone: str

    @classmethod
    def from_record(cls, b: BalaiRecord) -> Self:
        return from_record(cls, b, provinces_served=list(b.provinces_served))

    @classmethod
    async def resolve_reference(cls, info: Info, code: str) -> Self | None:
        record = await info.context.loader("balais", _balais).load(code)
        return cls.from_record(record) if record else None

    @strawberry.field(
        description="The Balai's peksos, supervisors included, by name.",
        directives=[assumed(50)],
    )
    async def caseworkers(self, info: Info) -> list[Caseworker]:
        workers = await info.context.loader("caseworkers_of_balai", _caseworkers_of_balai).load(
            self.code
        )
        return [from_record(Caseworker, w) for w in workers]


@strawberry.type(description="A peksos (pekerja sosial) of a Balai who manages ATENSI cases.")
class Caseworker:
    id: strawberry.ID
    name: str
    phone: str | None
    is_supervisor: bool = strawberry.field(
        description="Supervisors oversee, and may read, every case of their Balai."
    )
    balai_code: strawberry.Private[str]

    @strawberry.field
    async def balai(self, info: Info) -> Balai:
        return Balai.from_record(await _load_balai(info, self.balai_code))


# --- a case and what hangs off it -------------------------------------------------------------


@strawberry.type(description="A stage the case entered, when, and who moved it there.")
class CaseStageEvent:
    stage: enums.CaseStage | None = categorized("protection.summary")
    entered_at: datetime | None = categorized("protection.summary")
    by_id: strawberry.ID | None = categorized(
        "protection.summary", description="The caseworker (staff id) who moved the case."
    )

    @classmethod
    def from_record(cls, e: domain.StageEvent) -> Self:
        return from_record(cls, e, by_id=strawberry.ID(str(e.by_id)))


@strawberry.type(
    description="A period the child lived at the Balai (residence-based intervention)."
)
class ResidentialStay:
    id: strawberry.ID
    started_on: date | None = categorized("protection.summary")
    ended_on: date | None = categorized(
        "protection.summary", description="Null while in residence."
    )


@strawberry.type(
    description="A caseworker's assessment of the child and family: risk and findings."
)
class CaseAssessment:
    id: strawberry.ID
    assessed_on: date | None = categorized("protection.detail")
    assessor_id: strawberry.ID | None = categorized(
        "protection.detail", description="The caseworker (staff id) who assessed."
    )
    risk_level: enums.RiskLevel | None = categorized("protection.detail")
    summary: str | None = categorized("protection.detail")
    notes: str | None = categorized("protection.detail")


@strawberry.type(
    description="What the case will do for the child, and where: family, community or residence."
)
class InterventionPlan:
    id: strawberry.ID
    created_on: date | None = categorized("protection.detail")
    setting: enums.InterventionSetting | None = categorized("protection.detail")
    goals: str | None = categorized("protection.detail")
    notes: str | None = categorized("protection.detail")


@strawberry.federation.type(
    keys=["id"],
    description="An ATENSI (Asistensi Rehabilitasi Sosial) case of one child at one Balai.",
)
class AtensiCase:
    id: strawberry.ID
    case_number: str | None = categorized(
        "protection.summary", description="e.g. RUMBAI/2026/000123."
    )
    child: Child | None = categorized("protection.summary")
    ampk_category: AmpkCategory | None = categorized("protection.summary")
    stage: enums.CaseStage | None = categorized("protection.summary")
    status: enums.CaseStatus | None = categorized("protection.summary")
    opened_on: date | None = categorized("protection.summary")
    closed_on: date | None = categorized("protection.summary")
    closure_reason: enums.ClosureReason | None = categorized("protection.summary")
    referral_source: str | None = categorized(
        "protection.summary",
        description="Who referred the child: a Dinsos referral, police, court…",
    )
    allowed_next_stages: list[enums.CaseStage] | None = categorized(
        "protection.summary", description="Where advanceCase may take the case now."
    )
    row_id: strawberry.Private[int]
    balai_code: strawberry.Private[str]
    caseworker_id: strawberry.Private[int]

    @classmethod
    def from_record(cls, c: CaseRecord) -> Self:
        return from_record(
            cls,
            c,
            child=Child.of(c.child_id),
            allowed_next_stages=(
                domain.allowed_next_stages(c.stage) if c.status is domain.CaseStatus.OPEN else []
            ),
            row_id=c.id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        """A case by id, as `atensiCase(id:)` finds it: batched through the request's loader, and
        null when unknown, malformed or not visible to the caller (`_visible`). Its fields are
        guarded as everywhere (categories, the grant's per-record restriction, detail). A grant
        for neither a case's summary nor its detail finds no case: every field of one but its id
        is one of those, and an id alone would only say which cases exist."""
        identity = info.context.identity
        if identity is not None and not identity.categories & _CASE_CATEGORIES:
            return None
        record = await _case_by_id(info, id)
        return cls.from_record(record) if record else None

    @categorized("protection.summary")
    async def balai(self, info: Info) -> Balai | None:
        return Balai.from_record(await _load_balai(info, self.balai_code))

    @categorized("protection.summary", description="The peksos managing the case.")
    async def caseworker(self, info: Info) -> Caseworker | None:
        record = await info.context.loader("caseworkers", _caseworkers).load(self.caseworker_id)
        if record is None:  # the foreign key makes this impossible
            raise LookupError(f"caseworker {self.caseworker_id} is missing")
        return from_record(Caseworker, record)

    @categorized(
        "protection.summary",
        description="Every stage the case entered, oldest first.",
        directives=[assumed(10)],
    )
    async def stage_history(self, info: Info) -> list[CaseStageEvent] | None:
        events = await info.context.loader("stage_events", _stage_events).load(self.row_id)
        return [CaseStageEvent.from_record(e) for e in events]

    @categorized(
        "protection.summary",
        description="Stays in the Balai's residence, oldest first.",
        directives=[assumed(5)],
    )
    async def residential_stays(self, info: Info) -> list[ResidentialStay] | None:
        stays = await info.context.loader("stays", _stays).load(self.row_id)
        return [from_record(ResidentialStay, s) for s in stays]

    @categorized(
        "protection.detail", description="Assessments, oldest first.", directives=[assumed(10)]
    )
    async def assessments(self, info: Info) -> list[CaseAssessment] | None:
        _check_detail(info, self)
        found = await info.context.loader("assessments", _assessments).load(self.row_id)
        return [_assessment(a) for a in found]

    @categorized(
        "protection.detail",
        description="Intervention plans, oldest first.",
        directives=[assumed(10)],
    )
    async def intervention_plans(self, info: Info) -> list[InterventionPlan] | None:
        _check_detail(info, self)
        plans = await info.context.loader("plans", _plans).load(self.row_id)
        return [from_record(InterventionPlan, p) for p in plans]


def _assessment(a: domain.Assessment) -> CaseAssessment:
    return from_record(CaseAssessment, a, assessor_id=strawberry.ID(str(a.assessor_id)))


# --- the child, as Balai knows it -------------------------------------------------------------


@strawberry.type(description="Whom to contact about an open protection case: the Balai only.")
class ProtectionContact:
    balai_name: str | None = categorized("protection.flag")
    phone: str | None = categorized("protection.flag")


@strawberry.type(
    description="That an open protection case exists and whom to call — never its category, stage or caseworker."
)
class ProtectionFlag:
    message: str | None = categorized("protection.flag")
    contacts: list[ProtectionContact] | None = categorized(
        "protection.flag", directives=[assumed(10)]
    )


def _flag(balais: list[BalaiRecord]) -> ProtectionFlag:
    # Sorted by name and deduplicated, so not even the order hints at which case is older.
    unique = sorted({b.code: b for b in balais}.values(), key=lambda b: (b.name, b.code))
    contacts = [ProtectionContact(balai_name=b.name, phone=b.phone) for b in unique]
    whom = " or ".join(f"{c.balai_name} ({c.phone})" for c in contacts)
    return ProtectionFlag(
        message=f"An open protection case exists: contact {whom}.", contacts=contacts
    )


@strawberry.federation.type(
    inaccessible=True, description="One case of the child, as the gateway's policy step needs it."
)
class CasePolicyFacts:
    case_id: strawberry.ID
    balai_code: str
    caseworker_id: strawberry.ID | None
    open: bool
    conflict_with_law: bool

    @classmethod
    def of(cls, c: CaseRecord) -> Self:
        return cls(
            case_id=strawberry.ID(str(c.id)),
            balai_code=c.balai_code,
            caseworker_id=strawberry.ID(str(c.caseworker_id)),
            open=c.status is domain.CaseStatus.OPEN,
            conflict_with_law=c.ampk_category == ampk.AmpkCategory.CONFLICT_WITH_LAW,
        )


@strawberry.federation.type(keys=["id"], description="A child, by national child index ID.")
class Child(ChildEntity):
    @strawberry.federation.field(
        inaccessible=True,
        description="Policy facts: all the child's cases, open or closed (the gateway's only).",
    )
    async def policy_cases(self, info: Info) -> list[CasePolicyFacts]:
        require_facts_access(info)
        found = await info.context.loader("cases_of_child", _cases_of_child).load(str(self.id))
        return [CasePolicyFacts.of(c) for c in found]

    @categorized(
        "protection.summary",
        description="The child's ATENSI cases, newest first.",
        directives=[assumed(5)],
    )
    async def cases(self, info: Info, open_only: bool = False) -> list[AtensiCase] | None:
        found = await info.context.loader("cases_of_child", _cases_of_child).load(str(self.id))
        return [
            AtensiCase.from_record(c)
            for c in found
            if not open_only or c.status is domain.CaseStatus.OPEN
        ]

    @categorized(
        "protection.flag", description="Null unless the child has an open case at some Balai."
    )
    async def protection_flag(self, info: Info) -> ProtectionFlag | None:
        found = await info.context.loader("cases_of_child", _cases_of_child).load(str(self.id))
        open_at = [c.balai_code for c in found if c.status is domain.CaseStatus.OPEN]
        if not open_at:
            return None
        balais = await info.context.loader("balais", _balais).load_many(open_at)
        return _flag([b for b in balais if b is not None])


@strawberry.type
class AtensiCaseConnection:
    nodes: list[AtensiCase]
    page_info: PageInfo
    total_count: int


# --- queries ----------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="A Balai by code, e.g. RUMBAI; null when unknown.")
    async def balai(self, info: Info, code: str) -> Balai | None:
        record = await info.context.loader("balais", _balais).load(code)
        return Balai.from_record(record) if record else None

    @strawberry.field(description="Every Balai, by name.", directives=[assumed(50)])
    async def balai_list(self, info: Info) -> list[Balai]:
        async with info.context.db.connect() as conn:
            return [Balai.from_record(b) for b in await repository.all_balais(conn)]

    @categorized("protection.summary", description="A case by id; null when unknown.")
    async def atensi_case(self, info: Info, id: strawberry.ID) -> AtensiCase | None:
        record = await _case_by_id(info, id)
        return AtensiCase.from_record(record) if record else None

    @categorized(
        "protection.summary",
        description="A case by number; a malformed number is an error, an unknown one null.",
    )
    async def case_by_number(self, info: Info, case_number: str) -> AtensiCase | None:
        number = case_number.strip().upper()
        if not domain.is_case_number(number):
            raise BadUserInput(
                "case number must look like BALAI/YYYY/NNNNNN, e.g. RUMBAI/2026/000123",
                field="caseNumber",
            )
        record = await info.context.loader("cases_by_number", _cases_by_number).load(number)
        if record is None or not await _visible(info, record):
            return None
        return AtensiCase.from_record(record)

    @categorized(
        "protection.summary",
        description="A Balai's cases, for a caseworker's list: open ones by default, oldest first.",
        directives=[paged()],
    )
    async def cases(
        self,
        info: Info,
        balai_code: str,
        stage: enums.CaseStage | None = None,
        open_only: bool = True,
        caseworker_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this peksos's cases.")
        ] = None,
        first: int = 20,
        after: str | None = None,
    ) -> AtensiCaseConnection | None:
        # Being on the list says "a protection case at this Balai": only its own staff see it.
        identity = info.context.identity
        if identity is not None and not access.is_staff_of(identity, balai_code):
            raise access.refused()
        validation.page_size(first)
        after_id = None
        if after is not None:
            after_id = _row_id(after)
            if after_id is None:
                raise BadUserInput("after is not a cursor this list gave", field="after")
        worker_id = None
        if caseworker_id is not None:
            worker_id = _row_id(caseworker_id)
            if worker_id is None:  # no such caseworker, so no cases
                return AtensiCaseConnection(
                    nodes=[],
                    page_info=PageInfo(has_next_page=False, end_cursor=None),
                    total_count=0,
                )
        search = repository.CaseSearch(
            balai_code=balai_code, stage=stage, open_only=open_only, caseworker_id=worker_id
        )
        async with info.context.db.connect() as conn:
            page = await repository.search_cases(conn, search, first, after_id)
            total = await repository.count_cases(conn, search)
        nodes = [AtensiCase.from_record(c) for c in page.cases]
        return AtensiCaseConnection(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=str(nodes[-1].id) if nodes else None
            ),
            total_count=total,
        )


# --- mutations --------------------------------------------------------------------------------


def _optional_text(value: str | None, field: str, max_length: int) -> str | None:
    return None if value is None else validation.text(value, field, max_length=max_length)


async def _own_case(conn: Any, identity: Identity, case_id: int) -> CaseRecord | None:
    """The case, locked, when it is one of the caller's own Balai. Another Balai's case is
    refused when it lies in the caller's jurisdiction (its child has a case at the caller's Balai,
    so root lookups show it), and otherwise answers as an unknown one: null."""
    case = await repository.case_for_update(conn, case_id)
    if case is None:
        return None
    if case.balai_code != identity.unit:
        of_child = await repository.cases_by_child(conn, [case.child_id])
        if any(c.balai_code == identity.unit for c in of_child):
            raise access.refused()
        return None
    return case


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Open an ATENSI case at INTAKE, by a caseworker of that Balai; the assigned caseworker must work there too."
    )
    async def open_case(
        self,
        info: Info,
        child_id: strawberry.ID,
        balai_code: str,
        caseworker_id: strawberry.ID,
        ampk_category: AmpkCategory,
        opened_on: date,
        referral_source: str | None = None,
    ) -> AtensiCase:
        identity = access.writer(info.context.identity, frozenset({access.CASEWORKER}))
        if identity.unit != balai_code:
            raise access.refused()
        child = str(child_id).strip()
        if not _CHILD_ID.fullmatch(child):
            raise BadUserInput("childId is not a national child index ID", field="childId")
        validation.not_in_future(opened_on, "openedOn")
        source = _optional_text(referral_source, "referralSource", 32)
        worker_id = _row_id(caseworker_id)
        async with info.context.db.transaction() as conn:
            balai = await repository.lock_balai(conn, balai_code)
            if balai is None:
                raise BadUserInput("no Balai has this code", field="balaiCode")
            opener = await access.actor(conn, identity, balai.code)
            workers = await repository.caseworkers_by_id(conn, [worker_id]) if worker_id else []
            if not workers:
                raise BadUserInput("no caseworker has this id", field="caseworkerId")
            if workers[0].balai_code != balai.code:
                raise BadUserInput(
                    "the caseworker does not work at this Balai", field="caseworkerId"
                )
            if await repository.open_cases_of_child_at(conn, child, balai.code):
                raise Conflict("the child already has an open case at this Balai", field="childId")
            new = domain.NewCase(
                child_id=child,
                balai_code=balai.code,
                caseworker_id=workers[0].id,
                ampk_category=ampk_category,
                opened_on=opened_on,
                referral_source=source,
            )
            case_id = await repository.open_case(conn, new, by_id=opener.id)
            (record,) = await repository.cases_by_id(conn, [case_id])
        info.context.changed("AtensiCase", case_id, "opened")
        return AtensiCase.from_record(record)

    @strawberry.mutation(
        description="Move a case to its next stage (MONITORING may go back to INTERVENTION); null when unknown."
    )
    async def advance_case(
        self, info: Info, case_id: strawberry.ID, to_stage: enums.CaseStage
    ) -> AtensiCase | None:
        identity = access.writer(info.context.identity)
        row_id = _row_id(case_id)
        if row_id is None:
            return None
        async with info.context.db.transaction() as conn:
            case = await _own_case(conn, identity, row_id)
            if case is None:
                return None
            who = await access.case_actor(conn, identity, case)
            try:
                domain.check_open(case)
                domain.check_transition(case.stage, to_stage)
            except CaseRuleViolation as error:
                raise _transition_error(error) from None
            await repository.set_stage(conn, case.id, to_stage, who.id)
            (record,) = await repository.cases_by_id(conn, [case.id])
        info.context.changed("AtensiCase", case.id, f"advanced: {to_stage.name}")
        return AtensiCase.from_record(record)

    @strawberry.mutation(description="Record an assessment on an open case; null when unknown.")
    async def add_assessment(
        self,
        info: Info,
        case_id: strawberry.ID,
        assessed_on: date,
        risk_level: enums.RiskLevel,
        summary: str,
        notes: str | None = None,
    ) -> CaseAssessment | None:
        identity = access.writer(info.context.identity)
        validation.not_in_future(assessed_on, "assessedOn")
        findings = validation.text(summary, "summary", max_length=4000)
        remarks = _optional_text(notes, "notes", 20000)
        row_id = _row_id(case_id)
        if row_id is None:
            return None
        async with info.context.db.transaction() as conn:
            case = await _own_case(conn, identity, row_id)
            if case is None:
                return None
            who = await access.case_actor(conn, identity, case)
            try:
                domain.check_open(case)
            except CaseRuleViolation as error:
                raise _transition_error(error) from None
            validation.not_before(assessed_on, case.opened_on, "assessedOn", "the case's openedOn")
            new = domain.NewAssessment(case.id, assessed_on, who.id, risk_level, findings, remarks)
            assessment_id = await repository.add_assessment(conn, new)
            record = await repository.assessment_by_id(conn, assessment_id)
        info.context.changed("CaseAssessment", assessment_id, "added")
        return _assessment(record)

    @strawberry.mutation(
        description="Add an intervention plan to an open case from ASSESSMENT on; null when unknown."
    )
    async def add_intervention_plan(
        self,
        info: Info,
        case_id: strawberry.ID,
        created_on: date,
        setting: enums.InterventionSetting,
        goals: str,
        notes: str | None = None,
    ) -> InterventionPlan | None:
        identity = access.writer(info.context.identity)
        validation.not_in_future(created_on, "createdOn")
        aims = validation.text(goals, "goals", max_length=4000)
        remarks = _optional_text(notes, "notes", 20000)
        row_id = _row_id(case_id)
        if row_id is None:
            return None
        async with info.context.db.transaction() as conn:
            case = await _own_case(conn, identity, row_id)
            if case is None:
                return None
            await access.case_actor(conn, identity, case)
            try:
                domain.check_plan_allowed(case)
            except CaseRuleViolation as error:
                raise _transition_error(error) from None
            validation.not_before(created_on, case.opened_on, "createdOn", "the case's openedOn")
            new = domain.NewInterventionPlan(case.id, created_on, setting, aims, remarks)
            plan_id = await repository.add_intervention_plan(conn, new)
            record = await repository.intervention_plan_by_id(conn, plan_id)
        info.context.changed("InterventionPlan", plan_id, "added")
        return from_record(InterventionPlan, record)

    @strawberry.mutation(
        description="Close an open case; a residential stay still open ends on the same day. Null when unknown."
    )
    async def close_case(
        self,
        info: Info,
        case_id: strawberry.ID,
        closed_on: date,
        reason: enums.ClosureReason,
    ) -> AtensiCase | None:
        identity = access.writer(info.context.identity)
        validation.not_in_future(closed_on, "closedOn")
        row_id = _row_id(case_id)
        if row_id is None:
            return None
        async with info.context.db.transaction() as conn:
            case = await _own_case(conn, identity, row_id)
            if case is None:
                return None
            await access.case_actor(conn, identity, case)
            try:
                domain.check_closing(case, reason)
            except CaseRuleViolation as error:
                raise _transition_error(error) from None
            validation.not_before(closed_on, case.opened_on, "closedOn", "the case's openedOn")
            stays = await repository.residential_stays(conn, [case.id])
            open_stays = [stay for stay in stays if stay.ended_on is None]
            for stay in open_stays:
                validation.not_before(
                    closed_on, stay.started_on, "closedOn", "the open residential stay's start"
                )
            await repository.close_case(conn, case.id, closed_on, reason)
            (record,) = await repository.cases_by_id(conn, [case.id])
        info.context.changed("AtensiCase", case.id, "closed")
        for stay in open_stays:  # close_case ended them with the case
            info.context.changed("ResidentialStay", stay.id, "ended")
        return AtensiCase.from_record(record)

    @strawberry.mutation(
        description="The child moves into the Balai's residence for an open case; null when unknown."
    )
    async def start_residential_stay(
        self, info: Info, case_id: strawberry.ID, started_on: date
    ) -> ResidentialStay | None:
        # Not in DOMAIN.md's list: the nearest right, advanceCase's (the case's own people).
        identity = access.writer(info.context.identity)
        validation.not_in_future(started_on, "startedOn")
        row_id = _row_id(case_id)
        if row_id is None:
            return None
        async with info.context.db.transaction() as conn:
            case = await _own_case(conn, identity, row_id)
            if case is None:
                return None
            await access.case_actor(conn, identity, case)
            stays = await repository.residential_stays(conn, [case.id])
            try:
                domain.check_stay_start(case, stays)
            except CaseRuleViolation as error:
                raise _transition_error(error) from None
            validation.not_before(started_on, case.opened_on, "startedOn", "the case's openedOn")
            for earlier in stays:
                if earlier.ended_on is not None:
                    validation.not_before(
                        started_on, earlier.ended_on, "startedOn", "the end of an earlier stay"
                    )
            stay_id = await repository.start_stay(conn, case.id, started_on)
            (record,) = await repository.stays_by_id(conn, [stay_id])
        info.context.changed("ResidentialStay", stay_id, "started")
        return from_record(ResidentialStay, record)

    @strawberry.mutation(description="The child leaves the Balai's residence; null when unknown.")
    async def end_residential_stay(
        self, info: Info, stay_id: strawberry.ID, ended_on: date
    ) -> ResidentialStay | None:
        identity = access.writer(info.context.identity)  # as startResidentialStay
        validation.not_in_future(ended_on, "endedOn")
        row_id = _row_id(stay_id)
        if row_id is None:
            return None
        async with info.context.db.transaction() as conn:
            stay = await repository.stay_for_update(conn, row_id)
            case = await _own_case(conn, identity, stay.case_id) if stay else None
            if stay is None or case is None:
                return None
            await access.case_actor(conn, identity, case)
            try:
                domain.check_stay_end(stay)
            except CaseRuleViolation as error:
                raise _transition_error(error) from None
            validation.not_before(ended_on, stay.started_on, "endedOn", "startedOn")
            await repository.end_stay(conn, stay.id, ended_on)
            (record,) = await repository.stays_by_id(conn, [stay.id])
        info.context.changed("ResidentialStay", stay.id, "ended")
        return from_record(ResidentialStay, record)


def build_schema() -> SubgraphSchema:
    return federation.build_schema(Query, Mutation, types=[Child, Balai])
