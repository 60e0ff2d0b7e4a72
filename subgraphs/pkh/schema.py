"""PKH's GraphQL schema: KPM membership, components, conditionality and payments on Child and Family."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader

from subgraphs.common import federation, validation
from subgraphs.common.child import ChildEntity
from subgraphs.common.context import Info, many_each, many_per_key, one_each, one_per_key
from subgraphs.common.database import Database
from subgraphs.common.enums import GraphQLEnum, graphql_enums
from subgraphs.common.errors import BadUserInput, Forbidden, InvalidTransition
from subgraphs.common.federation import SubgraphSchema, assumed, categorized, cost, paged
from subgraphs.common.guard import require_facts_access
from subgraphs.common.objects import from_record
from subgraphs.common.pagination import PageInfo
from subgraphs.pkh import access, domain, repository
from subgraphs.pkh.domain import (
    ComponentRecord,
    FamilyRecord,
    MemberRecord,
    VerificationRecord,
)

# The domain's enums as GraphQL enums (see common/enums.py); annotations say `enums.X`. Prefixed,
# since the supergraph also holds other agencies'.
if TYPE_CHECKING:  # what resolvers return and receive are the domain's own members
    from subgraphs.pkh import domain as enums
else:
    enums = graphql_enums(
        GraphQLEnum(domain.FamilyStatus, "PkhFamilyStatus"),
        GraphQLEnum(domain.Relationship, "PkhRelationship"),
        GraphQLEnum(domain.ComponentKind, "PkhComponentKind"),
        GraphQLEnum(domain.PaymentStatus, "PkhPaymentStatus"),
    )

# Three years of quarterly periods: longer runs are a different question than "who slipped".
MAX_CONSECUTIVE_PERIODS = 12


# --- batch loaders: one SQL query per table per tick, whatever the number of keys -------------


_members_of_families = many_each(repository.members_of_families, lambda m: m.family_id)


def _members_by_child(info: Info) -> DataLoader[str, MemberRecord | None]:
    """A child's member row, fetched with the rest of its KPM so the family's members cost nothing.

    The whole household comes in the same query and primes the members-of-family loader:
    `Child.pkh { family { members } }` then touches the member table once, not twice.
    """
    households = info.context.loader("members_of_families", _members_of_families)

    async def batch(db: Database, child_ids: list[str]) -> list[MemberRecord | None]:
        async with db.connect() as conn:
            members = await repository.households_of_children(conn, child_ids)
        family_ids = sorted({m.family_id for m in members})
        for family_id, group in zip(
            family_ids, many_per_key(family_ids, members, lambda m: m.family_id), strict=True
        ):
            households.prime(family_id, group)
        return one_per_key(
            child_ids, [m for m in members if m.child_id], lambda m: m.child_id or ""
        )

    return info.context.loader("members_by_child", batch)


_families_by_id = one_each(repository.families_by_id, lambda f: f.id)


_families_by_kk = one_each(repository.families_by_kk, lambda f: f.kk_number)


_facilitators = one_each(repository.facilitators, lambda f: f.id)


def _families_of_facilitators(info: Info) -> DataLoader[int, list[FamilyRecord]]:
    """A pendamping's KPM, only those inside the caller's scope (see access.family_scope)."""
    scope = access.family_scope(info.context.identity)

    async def fetch(conn: AsyncConnection, facilitator_ids: list[int]) -> list[FamilyRecord]:
        return await repository.families_of_facilitators(conn, facilitator_ids, scope)

    return info.context.loader(
        "families_of_facilitators", many_each(fetch, lambda f: f.facilitator_id)
    )


# Keyed by family, so a child's components and its household's share one query.
_components_of_families = many_each(repository.components_of_families, lambda pair: pair[0])


_verifications = many_each(repository.verifications, lambda v: v.member_id)


_payments = many_each(repository.payments, lambda p: p.family_id)


async def _components_of(info: Info, family_id: int, member_id: int) -> list[PkhComponent]:
    pairs = await info.context.loader("components_of_families", _components_of_families).load(
        family_id
    )
    return [PkhComponent.from_record(c) for _, c in pairs if c.member_id == member_id]


async def _verifications_of(info: Info, member_id: int) -> list[VerificationRecord]:
    return await info.context.loader("verifications", _verifications).load(member_id)


async def _verifications_of_child(info: Info, child_id: str) -> list[VerificationRecord] | None:
    """A child's verifications through its member row (both loaders batched); None: no member."""
    member = await _members_by_child(info).load(child_id)
    return None if member is None else await _verifications_of(info, member.id)


# --- types ------------------------------------------------------------------------------------


@strawberry.type(description="A pendamping: the PKH facilitator assigned to a set of KPM.")
class Facilitator:
    id: strawberry.ID
    name: str
    phone: str
    region_code: str = strawberry.field(description="Where the pendamping works (kecamatan).")

    @categorized(
        "pkh.membership",
        description="The KPM this pendamping accompanies, by KK number.",
        directives=[assumed(100)],
    )
    async def families(self, info: Info) -> list[PkhFamily] | None:
        access.require_membership_list(info.context.identity)
        families = await _families_of_facilitators(info).load(int(self.id))
        return [PkhFamily.from_record(f) for f in families]


@strawberry.type(description="A component a member qualifies under, and since when.")
class PkhComponent:
    kind: enums.ComponentKind | None = categorized("pkh.membership")
    started_on: date | None = categorized("pkh.membership")
    ended_on: date | None = categorized("pkh.membership")
    active: bool | None = categorized("pkh.membership", description="Held today.")

    @classmethod
    def from_record(cls, c: ComponentRecord) -> Self:
        return from_record(cls, c, active=c.active_on(date.today()))


@strawberry.type(description="A payment stage (tahap) of the year, four a year, per KPM.")
class PkhPayment:
    year: int | None = categorized("pkh.membership")
    stage: int | None = categorized("pkh.membership", description="Tahap 1–4.")
    amount: Decimal | None = categorized("pkh.membership", description="Rupiah.")
    paid_on: date | None = categorized("pkh.membership")
    status: enums.PaymentStatus | None = categorized("pkh.membership")


@strawberry.type(
    description="Conditionality in one verification period (a quarter; it decides the next tahap)."
)
class PkhVerification:
    year: int | None = categorized("pkh.compliance")
    period: int | None = categorized("pkh.compliance", description="1–4.")
    school_attendance_pct: float | None = categorized(
        "pkh.compliance", description="Share of school days attended; SD, SMP and SMA."
    )
    health_visits_met: bool | None = categorized(
        "pkh.compliance", description="Immunization and growth monitoring; early childhood."
    )
    compliant: bool | None = categorized(
        "pkh.compliance",
        description="Every condition of the components held was met: attendance at least 85 % (SD, SMP, SMA), health visits (early childhood).",
    )
    recorded_at: datetime | None = categorized("pkh.compliance")
    recorded_by_id: strawberry.ID | None = categorized(
        "pkh.compliance", description="Staff id of the pendamping or coordinator who recorded it."
    )

    @classmethod
    def from_record(cls, v: VerificationRecord) -> Self:
        pct = v.school_attendance_pct
        return from_record(cls, v, school_attendance_pct=None if pct is None else float(pct))


@strawberry.type(description="A child's conditionality over the periods verified so far.")
class PkhComplianceSummary:
    periods_verified: int | None = categorized("pkh.compliance")
    periods_compliant: int | None = categorized("pkh.compliance")
    latest_compliant: bool | None = categorized(
        "pkh.compliance", description="Whether the most recent verified period was compliant."
    )
    consecutive_non_compliant_periods: int | None = categorized(
        "pkh.compliance",
        description="Most recent verified periods, back to back, that were non-compliant.",
    )

    @classmethod
    def from_record(cls, s: domain.ComplianceSummary) -> Self:
        return from_record(
            cls,
            s,
            latest_compliant=s.latest.compliant if s.latest else None,
            consecutive_non_compliant_periods=s.consecutive_non_compliant,
        )


@strawberry.type(description="A member of a KPM as PKH records them.")
class PkhMember:
    member_id: strawberry.Private[int]
    family_id: strawberry.Private[int]
    child_id: strawberry.Private[str | None]
    name: str | None = categorized("pkh.membership")
    relationship: enums.Relationship | None = categorized("pkh.membership")

    @classmethod
    def from_record(cls, m: MemberRecord) -> Self:
        return from_record(cls, m, member_id=m.id)

    @categorized("pkh.membership", description="The child in the national index; adults have none.")
    def child(self) -> Child | None:
        return Child.of(self.child_id) if self.child_id else None

    @categorized("pkh.membership", directives=[assumed(5)])
    async def components(self, info: Info) -> list[PkhComponent] | None:
        return await _components_of(info, self.family_id, self.member_id)


@strawberry.type(description="A KPM (Keluarga Penerima Manfaat): a PKH beneficiary family.")
class PkhFamily:
    family_id: strawberry.Private[int]
    facilitator_id: strawberry.Private[int]
    kk_number: str | None = categorized("pkh.membership")
    head_name: str | None = categorized("pkh.membership")
    region_code: str | None = categorized("pkh.membership")
    status: enums.FamilyStatus | None = categorized("pkh.membership")
    enrolled_on: date | None = categorized("pkh.membership")

    @classmethod
    def from_record(cls, f: FamilyRecord) -> Self:
        return from_record(cls, f, family_id=f.id)

    @categorized("pkh.membership", description="The pendamping: whom to call about this family.")
    async def facilitator(self, info: Info) -> Facilitator | None:
        record = await info.context.loader("facilitators", _facilitators).load(self.facilitator_id)
        if record is None:  # the foreign key makes this unreachable; say so if it ever is not
            raise LookupError(f"facilitator {self.facilitator_id} of KPM {self.family_id} missing")
        return from_record(Facilitator, record)

    @categorized("pkh.membership", directives=[assumed(10)])
    async def members(self, info: Info) -> list[PkhMember] | None:
        loader = info.context.loader("members_of_families", _members_of_families)
        return [PkhMember.from_record(m) for m in await loader.load(self.family_id)]

    @categorized(
        "pkh.membership",
        description="Payment stages (tahap), oldest first.",
        directives=[assumed(24)],
    )
    async def payments(self, info: Info) -> list[PkhPayment] | None:
        records = await info.context.loader("payments", _payments).load(self.family_id)
        return [from_record(PkhPayment, p) for p in records]


@strawberry.type(description="A child's PKH membership: the KPM, components and conditionality.")
class PkhMembership:
    member_id: strawberry.Private[int]
    family_id: strawberry.Private[int]
    name: str | None = categorized(
        "pkh.membership", description="The name PKH records for the child."
    )

    @categorized("pkh.membership")
    async def family(self, info: Info) -> PkhFamily | None:
        record = await info.context.loader("families_by_id", _families_by_id).load(self.family_id)
        if record is None:  # the foreign key makes this unreachable
            raise LookupError(f"KPM {self.family_id} of member {self.member_id} missing")
        return PkhFamily.from_record(record)

    @categorized(
        "pkh.membership",
        description="Components held, past and present, oldest first.",
        directives=[assumed(5)],
    )
    async def components(self, info: Info) -> list[PkhComponent] | None:
        return await _components_of(info, self.family_id, self.member_id)

    @categorized(
        "pkh.compliance",
        description="Verification periods, most recent first.",
        directives=[assumed(24)],
    )
    async def verifications(self, info: Info) -> list[PkhVerification] | None:
        records = domain.newest_first(await _verifications_of(info, self.member_id))
        return [PkhVerification.from_record(v) for v in records]

    @categorized("pkh.compliance")
    async def latest_verification(self, info: Info) -> PkhVerification | None:
        latest = domain.summarize(await _verifications_of(info, self.member_id)).latest
        return PkhVerification.from_record(latest) if latest else None

    @categorized("pkh.compliance")
    async def compliance(self, info: Info) -> PkhComplianceSummary | None:
        records = await _verifications_of(info, self.member_id)
        return PkhComplianceSummary.from_record(domain.summarize(records))


@strawberry.federation.type(
    inaccessible=True, description="What the policy step needs from PKH about one child."
)
class PkhPolicyFacts:
    active_member: bool = strawberry.field(description="The child's KPM is ACTIVE.")
    family_kk_number: str
    family_region_code: str | None
    facilitator_id: strawberry.ID | None = strawberry.field(
        description="The pendamping's staff id (Facilitator.id)."
    )


@strawberry.federation.type(keys=["id"], description="A child in the national child index.")
class Child(ChildEntity):
    @strawberry.federation.field(
        inaccessible=True, description="Policy facts: the child's KPM; null when in none."
    )
    async def policy_pkh(self, info: Info) -> PkhPolicyFacts | None:
        require_facts_access(info)
        member = await _members_by_child(info).load(str(self.id))
        if member is None:
            return None
        family = await info.context.loader("families_by_id", _families_by_id).load(member.family_id)
        if family is None:  # the foreign key makes this unreachable
            raise LookupError(f"KPM {member.family_id} of member {member.id} missing")
        return PkhPolicyFacts(
            active_member=family.status is domain.FamilyStatus.ACTIVE,
            family_kk_number=family.kk_number,
            family_region_code=family.region_code,
            facilitator_id=strawberry.ID(str(family.facilitator_id)),
        )

    @categorized(
        "pkh.membership", description="The child's PKH membership; null when not a member."
    )
    async def pkh(self, info: Info) -> PkhMembership | None:
        member = await _members_by_child(info).load(str(self.id))
        if member is None:
            return None
        return from_record(PkhMembership, member, member_id=member.id)

    @categorized(
        "pkh.compliance",
        description="The child's conditionality summary without the membership details (family, members, components, payments): the same as `pkh { compliance }`, so that a child whose membership details are withheld can still be checked. Null when not a member.",
    )
    async def pkh_compliance(self, info: Info) -> PkhComplianceSummary | None:
        records = await _verifications_of_child(info, str(self.id))
        if records is None:
            return None
        return PkhComplianceSummary.from_record(domain.summarize(records))

    @categorized(
        "pkh.compliance",
        description="The child's most recent verified period, without the membership details: the same as `pkh { latestVerification }`. Null when not a member or never verified.",
    )
    async def pkh_latest_verification(self, info: Info) -> PkhVerification | None:
        records = await _verifications_of_child(info, str(self.id))
        latest = domain.summarize(records).latest if records else None
        return PkhVerification.from_record(latest) if latest else None


@strawberry.federation.type(keys=["kkNumber"], description="A family card (Kartu Keluarga, KK).")
class Family:
    kk_number: str

    @classmethod
    def resolve_reference(cls, info: Info, kkNumber: str) -> Self:
        # Strawberry passes the representation's keys as they are spelled in GraphQL.
        return cls(kk_number=kkNumber)

    @categorized("pkh.membership", description="The family as a PKH KPM; null when not one.")
    async def pkh(self, info: Info) -> PkhFamily | None:
        record = await info.context.loader("families_by_kk", _families_by_kk).load(self.kk_number)
        return PkhFamily.from_record(record) if record else None


@strawberry.type
class NonCompliantChildConnection:
    nodes: list[Child]
    page_info: PageInfo
    total_count: int


# --- queries ----------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="A pendamping by id; null when unknown.")
    async def facilitator(self, info: Info, id: strawberry.ID) -> Facilitator | None:
        if not str(id).isdigit():
            return None
        record = await info.context.loader("facilitators", _facilitators).load(int(id))
        return from_record(Facilitator, record) if record else None

    @categorized(
        "pkh.compliance",
        description="Children of active KPM in a region whose last N verified periods, back to back, were all non-compliant; PKH roles only, within their families and region.",
        # Computed across every verification period of the region's members.
        directives=[paged(), cost(10)],
    )
    async def non_compliant_children(
        self,
        info: Info,
        region_code: Annotated[
            str, strawberry.argument(description="A region prefix: 14, 14.71, 14.71.02")
        ],
        consecutive_periods: int = 2,
        first: int = 20,
        after: str | None = None,
    ) -> NonCompliantChildConnection | None:
        identity = info.context.identity
        access.require_compliance_list(identity)
        region = validation.region_code(region_code)
        if not 1 <= consecutive_periods <= MAX_CONSECUTIVE_PERIODS:
            raise BadUserInput(
                f"consecutivePeriods must be between 1 and {MAX_CONSECUTIVE_PERIODS}",
                field="consecutivePeriods",
            )
        validation.page_size(first)
        search = repository.NonCompliantSearch(
            region, consecutive_periods, access.family_scope(identity)
        )
        async with info.context.db.connect() as conn:
            page = await repository.non_compliant_children(conn, search, first, after)
            total = await repository.count_non_compliant_children(conn, search)
        nodes = [Child.of(child_id) for child_id in page.child_ids]
        return NonCompliantChildConnection(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=page.child_ids[-1] if nodes else None
            ),
            total_count=total,
        )


# --- mutations --------------------------------------------------------------------------------


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Record (or correct) a child's conditionality for one period, as the signed-in pendamping of the child's KPM or a coordinator of its region; FORBIDDEN for any other child (unknown, not a member, not the caller's)."
    )
    async def record_verification(
        self,
        info: Info,
        child_id: strawberry.ID,
        year: int,
        period: Annotated[int, strawberry.argument(description="1–4.")],
        school_attendance_pct: Annotated[
            float | None, strawberry.argument(description="0–100; for SD, SMP and SMA.")
        ] = None,
        health_visits_met: Annotated[
            bool | None, strawberry.argument(description="For early childhood.")
        ] = None,
    ) -> PkhVerification | None:
        recorder = access.require_recorder(info.context.identity)
        try:
            domain.check_period(year, period, date.today())
            pct = (
                None
                if school_attendance_pct is None
                else domain.school_attendance(school_attendance_pct)
            )
        except domain.VerificationRejected as error:
            raise BadUserInput(str(error), field=error.field) from None
        async with info.context.db.transaction() as conn:
            members = await repository.members_by_child(conn, [str(child_id)])
            family = None
            if members:
                (family,) = await repository.families_by_id(conn, [members[0].family_id])
            # One answer for every child the caller may not record for: it reveals nothing.
            if family is None or not access.may_record_for(recorder, family):
                raise Forbidden(access.RECORD_REFUSED, field="childId")
            member = members[0]
            components = await repository.components(conn, [member.id])
            try:
                assessment = domain.assess(family, components, year, period, pct, health_visits_met)
            except domain.VerificationRejected as error:
                raise BadUserInput(str(error), field=error.field) from None
            except domain.FamilyNotActive as error:
                raise InvalidTransition(str(error), field="childId") from None
            await repository.upsert_verification(
                conn, member.id, year, period, assessment, str(recorder.staff_id)
            )
            recorded = await repository.verifications(conn, [member.id])
        # A verification has no id of its own: the child's, the year and the period name it.
        info.context.changed("PkhVerification", f"{member.child_id}/{year}/{period}", "recorded")
        (verification,) = (v for v in recorded if (v.year, v.period) == (year, period))
        return PkhVerification.from_record(verification)


def build_schema() -> SubgraphSchema:
    return federation.build_schema(Query, Mutation, types=[Child, Family])
