"""Disdukcapil's GraphQL schema: the national child index, registry persons and families (KK)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal, Self, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader

from subgraphs.common import federation, validation
from subgraphs.common.context import Batch, Info, many_each, one_each
from subgraphs.common.enums import AGENCY, GraphQLEnum, graphql_enums
from subgraphs.common.errors import BadUserInput, Conflict
from subgraphs.common.federation import SubgraphSchema, assumed, categorized, cost, paged
from subgraphs.common.guard import require_facts_access
from subgraphs.common.identity import Identity
from subgraphs.common.objects import from_record
from subgraphs.common.pagination import PageInfo
from subgraphs.disdukcapil import access, domain, identity_resolution, repository
from subgraphs.disdukcapil.domain import PersonRecord

# The domain's enums as GraphQL enums (see common/enums.py); annotations say `enums.Sex`,
# and `Agency` for the enum every subgraph shares.
if TYPE_CHECKING:  # what resolvers return and receive are the domain's own members
    from subgraphs.common.agency import Agency
    from subgraphs.disdukcapil import domain as enums
else:
    enums = graphql_enums(
        GraphQLEnum(domain.Sex, "Sex", description="As recorded in the civil registry."),
        GraphQLEnum(domain.KiaStatus, "KiaStatus"),
        GraphQLEnum(domain.DocumentStatus, "DocumentStatus"),
        AGENCY,
    )
    Agency = enums.Agency


# --- batch loaders: one SQL query per table per tick, whatever the number of keys -------------


_children_by_id = one_each(repository.children_by_id, lambda c: c.id)


_children_by_nik = one_each(repository.children_by_nik, lambda c: c.nik or "")


_other_names = many_each(repository.other_names, lambda n: n.child_id)


_attribute_reports = many_each(repository.attribute_reports, lambda r: r.child_id)


_families = one_each(repository.families, lambda f: f.kk_number)


_family_members = many_each(repository.family_members, lambda p: p.kk_number)


R = TypeVar("R")

# A repository lookup that can be filtered to a jurisdiction (None: unfiltered).
Lookup = Callable[[AsyncConnection, Sequence[str], Sequence[str] | None], Awaitable[list[R]]]


def _root_loader(
    info: Info,
    name: str,
    lookup: Lookup[R],
    key: Callable[[R], str],
    within: Sequence[str] | Literal["caller"] | None = "caller",
) -> DataLoader[str, R | None]:
    """A root lookup's loader: filtered in SQL to the caller's jurisdiction (or `within`), where
    out of jurisdiction answers exactly as unknown (null). Without an identity, the shared loader."""
    if within == "caller":
        within = access.jurisdiction(info.context.identity)

    async def fetch(conn: AsyncConnection, keys: list[str]) -> list[R]:
        return await lookup(conn, keys, within)

    scoped = name if within is None else f"{name}:within"
    batch: Batch[str, R | None] = one_each(fetch, key)
    return info.context.loader(scoped, batch)


# --- types ------------------------------------------------------------------------------------


@strawberry.type(description="An attribute of a child as one agency reported it.")
class AttributeReport:
    agency: Agency
    attribute: str
    value: str
    reported_at: datetime


@strawberry.type(description="A person in the population registry (SIAK), with a NIK.")
class RegistryPerson:
    nik: str | None = categorized("identity.full")
    name: str | None = categorized("identity.full")
    sex: enums.Sex | None = categorized("identity.full")
    birth_date: date | None = categorized("identity.full")
    birth_place: str | None = categorized("identity.full")
    mother_name: str | None = categorized("identity.full")
    father_name: str | None = categorized("identity.full")
    relationship: str | None = categorized(
        "identity.full", description="Relationship within the KK."
    )
    region_code: str | None = categorized("identity.full")
    kk_number: str | None = categorized("identity.full")
    has_birth_certificate: bool | None = categorized("identity.full")

    @classmethod
    def from_record(cls, p: PersonRecord) -> Self:
        return from_record(
            cls,
            p,
            name=p.full_name,
            has_birth_certificate=p.birth_certificate_number is not None,
        )


@strawberry.federation.type(keys=["kkNumber"], description="A family card (Kartu Keluarga, KK).")
class Family:
    kk_number: str
    head_name: str | None = categorized("identity.full", default=None)
    region_code: str | None = categorized("identity.full", default=None)
    address: str | None = categorized("identity.full", default=None)
    issued_on: date | None = categorized("identity.full", default=None)

    @classmethod
    async def resolve_reference(cls, info: Info, kkNumber: str) -> Self | None:
        # Strawberry passes the representation's keys as they are spelled in GraphQL.
        record = await info.context.loader("families", _families).load(kkNumber)
        return from_record(cls, record) if record else None

    @categorized(
        "identity.full", description="Registry persons on this KK.", directives=[assumed(10)]
    )
    async def members(self, info: Info) -> list[RegistryPerson] | None:
        people = await info.context.loader("family_members", _family_members).load(self.kk_number)
        return [RegistryPerson.from_record(p) for p in people]


@strawberry.federation.type(
    keys=["id", "nik"],
    description="A child in the national child index: every child known to any agency, documented or not.",
)
class Child:
    id: strawberry.ID
    nik: str | None = categorized("identity.full", description="Absent for undocumented children.")
    name: str | None = categorized("identity.basic", description="The name the index records.")
    sex: enums.Sex | None = categorized("identity.basic")
    birth_year: int | None = categorized("identity.basic")
    kabupaten_code: str | None = categorized(
        "identity.basic", description="Kabupaten/kota, e.g. 14.71."
    )
    birth_date: date | None = categorized("identity.full")
    birth_date_approximate: bool | None = categorized("identity.full")
    birth_place: str | None = categorized("identity.full")
    mother_name: str | None = categorized("identity.full")
    father_name: str | None = categorized("identity.full")
    region_code: str | None = categorized(
        "identity.full", description="Full Kemendagri code, to desa."
    )
    address: str | None = categorized("identity.full")
    kk_number: str | None = categorized("identity.full")
    birth_certificate_number: str | None = categorized(
        "identity.full", description="Akta kelahiran number."
    )
    kia_status: enums.KiaStatus | None = categorized("identity.full")
    document_status: enums.DocumentStatus | None = categorized("identity.full")
    registered_by: Agency | None = categorized("identity.full")
    registered_at: datetime | None = categorized("identity.full")

    @classmethod
    def from_record(cls, c: domain.ChildRecord) -> Self:
        return from_record(cls, c, name=c.full_name)

    @classmethod
    async def resolve_reference(
        cls, info: Info, id: strawberry.ID | None = None, nik: str | None = None
    ) -> Self | None:
        if id is not None:
            record = await info.context.loader("children_by_id", _children_by_id).load(str(id))
        elif nik is not None:
            record = await info.context.loader("children_by_nik", _children_by_nik).load(nik)
        else:
            raise BadUserInput("a Child representation needs id or nik", field="representations")
        return cls.from_record(record) if record else None

    @categorized("identity.reports", description="Other names agencies recorded for this child.")
    async def other_names(self, info: Info) -> list[str] | None:
        access.require_identity_reports(info.context.identity)
        names = await info.context.loader("other_names", _other_names).load(str(self.id))
        return [n.name for n in names]

    @categorized(
        "identity.reports",
        description="Who reported which attribute, for identity work.",
        directives=[assumed(10)],
    )
    async def attribute_reports(self, info: Info) -> list[AttributeReport] | None:
        access.require_identity_reports(info.context.identity)
        reports = await info.context.loader("attribute_reports", _attribute_reports).load(
            str(self.id)
        )
        return [from_record(AttributeReport, r) for r in reports]

    @categorized("identity.full", description="The family card the child is on.")
    async def family(self, info: Info) -> Family | None:
        if not self.kk_number:
            return None
        record = await info.context.loader("families", _families).load(self.kk_number)
        return from_record(Family, record) if record else None

    @strawberry.federation.field(
        inaccessible=True,
        description="Policy fact: the child index's region, the child's home region (jurisdiction).",
    )
    def policy_region(self, info: Info) -> str | None:
        require_facts_access(info)
        return self.region_code


@strawberry.type
class ChildConnection:
    nodes: list[Child]
    page_info: PageInfo
    total_count: int


# --- queries ----------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(
        description="A child by national child index ID; null when unknown or outside the caller's jurisdiction."
    )
    async def child(self, info: Info, id: strawberry.ID) -> Child | None:
        identity = info.context.identity
        loader = _root_loader(
            info,
            "children_by_id",
            repository.children_by_id,
            lambda c: c.id,
            access.id_lookup_jurisdiction(identity),
        )
        record = await loader.load(str(id))
        return Child.from_record(record) if record else None

    @strawberry.field(
        description="A child by NIK; an invalid NIK is an error, an unknown one null."
    )
    async def child_by_nik(self, info: Info, nik: str) -> Child | None:
        access.require_category(info.context.identity, access.IDENTITY_FULL, "Looking up by NIK")
        validation.nik(nik)
        loader = _root_loader(
            info, "children_by_nik", repository.children_by_nik, lambda c: c.nik or ""
        )
        record = await loader.load(nik)
        return Child.from_record(record) if record else None

    @strawberry.field(
        description="Children by name (any recorded spelling), birth date and region.",
        # A fuzzy name search over every recorded spelling: dearer than a key lookup.
        directives=[paged(), cost(10)],
    )
    async def search_children(
        self,
        info: Info,
        name: str | None = None,
        birth_date_from: date | None = None,
        birth_date_to: date | None = None,
        region_code: Annotated[
            str | None, strawberry.argument(description="A region prefix: 14, 14.71, 14.71.02")
        ] = None,
        document_status: enums.DocumentStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ChildConnection:
        identity = info.context.identity
        validation.page_size(first)
        if region_code is not None:
            region_code = validation.region_code(region_code)
        if birth_date_from and birth_date_to:
            validation.not_before(birth_date_to, birth_date_from, "birthDateTo", "birthDateFrom")
        name = name.strip() if name and name.strip() else None
        _check_search_reads(
            identity, name, birth_date_from or birth_date_to, region_code, document_status
        )
        search = repository.ChildSearch(
            name=name,
            birth_date_from=birth_date_from,
            birth_date_to=birth_date_to,
            region_prefix=region_code,
            document_status=document_status,
            within=access.jurisdiction(identity),
            other_names=identity is None or access.IDENTITY_REPORTS in identity.categories,
        )
        async with info.context.db.connect() as conn:
            page = await repository.search_children(conn, search, first, after)
            total = await repository.count_children(conn, search)
        nodes = [Child.from_record(c) for c in page.children]
        return ChildConnection(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=str(nodes[-1].id) if nodes else None
            ),
            total_count=total,
        )

    @strawberry.field(
        description="A family card by KK number; null when unknown or outside the caller's jurisdiction."
    )
    async def family(self, info: Info, kk_number: str) -> Family | None:
        access.require_adult_records(info.context.identity)
        validation.kk_number(kk_number)
        loader = _root_loader(info, "families", repository.families, lambda f: f.kk_number)
        record = await loader.load(kk_number)
        return from_record(Family, record) if record else None

    @strawberry.field(
        description="A registry person by NIK; null when unknown or outside the caller's jurisdiction."
    )
    async def registry_person(self, info: Info, nik: str) -> RegistryPerson | None:
        access.require_adult_records(info.context.identity)
        validation.nik(nik)
        loader = _root_loader(info, "persons_by_nik", repository.persons_by_nik, lambda p: p.nik)
        record = await loader.load(nik)
        return RegistryPerson.from_record(record) if record else None


def _check_search_reads(
    identity: Identity | None,
    name: str | None,
    by_birth_date: date | None,
    region: str | None,
    document_status: domain.DocumentStatus | None,
) -> None:
    """Each filter reads the category of the attribute it filters by (DOMAIN.md "Lookups and
    filters are reads"); refused before any data is read, so a refusal says nothing of a child."""
    if name is not None:
        access.require_category(identity, access.IDENTITY_BASIC, "Searching by name")
    if by_birth_date is not None:
        access.require_category(identity, access.IDENTITY_FULL, "Filtering by birth date")
    if region is not None and region.count(".") > 1:
        # identity.basic shows the kabupaten; a kecamatan or desa is the address (identity.full).
        access.require_category(identity, access.IDENTITY_FULL, "Filtering below the kabupaten")
    if document_status is not None:
        access.require_category(identity, access.IDENTITY_FULL, "Filtering by document status")


# --- mutations --------------------------------------------------------------------------------


@strawberry.input(
    description="A child an agency reports; every attribute given is recorded as its report."
)
class RegisterChildInput:
    full_name: str
    sex: enums.Sex
    region_code: str
    birth_date: date | None = None
    birth_date_approximate: bool = False
    birth_place: str | None = None
    mother_name: str | None = None
    father_name: str | None = None
    address: str | None = None
    kk_number: str | None = None
    nik: str | None = None
    other_names: list[str] = strawberry.field(default_factory=list)


def _validated(data: RegisterChildInput, reported_by: Agency) -> domain.NewChild:
    full_name = validation.text(data.full_name, "fullName", max_length=120)
    region = validation.region_code(data.region_code)
    if data.birth_date is not None:
        validation.not_in_future(data.birth_date, "birthDate")
    if data.kk_number is not None:
        validation.kk_number(data.kk_number)
    if data.nik is not None:
        parts = validation.nik(data.nik)
        if parts.sex != data.sex.value:
            raise BadUserInput("nik does not agree with sex", field="nik")
        if (
            data.birth_date
            and not data.birth_date_approximate
            and parts.birth_date != data.birth_date
        ):
            raise BadUserInput("nik does not agree with birthDate", field="nik")
    return domain.NewChild(
        reported_by=reported_by.value,
        full_name=full_name,
        sex=data.sex,
        region_code=region,
        birth_date=data.birth_date,
        birth_date_approximate=data.birth_date_approximate,
        birth_place=data.birth_place,
        mother_name=data.mother_name,
        father_name=data.father_name,
        address=data.address,
        kk_number=data.kk_number,
        nik=data.nik,
        # Linking a NIK is Disdukcapil's (DOMAIN.md "Writes"); for anyone else the uniqueness
        # check would also tell whether some child holds this NIK.
        link_nik=reported_by.value == Agency.DISDUKCAPIL.value,
        other_names=tuple(
            validation.text(n, "otherNames", max_length=120) for n in data.other_names
        ),
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Give a reported child a new Child.id; reported by the caller's agency. A NIK links the child when Disdukcapil registers it; from another agency it is recorded as that agency's report."
    )
    async def register_child(self, info: Info, input: RegisterChildInput) -> Child:
        new = _validated(input, access.reporting_agency(info.context.identity))
        async with info.context.db.transaction() as conn:
            person = None
            if new.linked_nik:
                found = await repository.persons_by_nik(conn, [new.linked_nik])
                person = found[0] if found else None
            try:
                child_id = await repository.register_child(conn, new, person)
            except repository.NikAlreadyLinked:
                raise Conflict("this NIK is already linked to a child", field="nik") from None
            (record,) = await repository.children_by_id(conn, [child_id])
        info.context.changed("Child", child_id, "registered")
        return Child.from_record(record)

    @strawberry.mutation(
        description="Link a child to the registry person with this NIK (Disdukcapil), recording the decision: the matcher's score and explanation for that person, who decided and why. Null when the child is unknown or outside the caller's jurisdiction."
    )
    async def link_nik(
        self,
        info: Info,
        child_id: strawberry.ID,
        nik: str,
        reason: Annotated[
            str, strawberry.argument(description="Why this person: kept with the decision.")
        ],
    ) -> Child | None:
        identity = info.context.identity
        access.require_linker(identity)
        validation.nik(nik)
        why = validation.text(reason, "reason", max_length=access.MAX_REASON_LENGTH)
        decider = access.decider(identity)
        within = access.jurisdiction(identity)
        # Checked on a read connection, then scored (the matcher's search) before the write
        # transaction, then checked again with the child locked: the search holds no lock.
        async with info.context.db.connect() as conn:
            child, person = await _linkable(conn, str(child_id), nik, within, lock=False)
        if child is None or person is None:
            return Child.from_record(child) if child else None
        searched = await identity_resolution.search(
            info.context.db, child, within, nik, linking=True
        )
        async with info.context.db.transaction() as conn:
            child, person = await _linkable(conn, str(child_id), nik, within, lock=True)
            if child is None or person is None:
                return Child.from_record(child) if child else None
            try:
                decision_id = await identity_resolution.link(
                    conn, child, person, why, decider, searched
                )
            except repository.NikAlreadyLinked:
                raise _not_linkable() from None
            except repository.ChildAlreadyLinked:
                raise Conflict("this child already has a different NIK", field="childId") from None
            (record,) = await repository.children_by_id(conn, [child.id])
        info.context.changed("Child", child.id, "nik linked")
        info.context.changed("IdentityDecision", decision_id, "LINK")
        return Child.from_record(record)


async def _linkable(
    conn: AsyncConnection, child_id: str, nik: str, within: tuple[str, ...] | None, *, lock: bool
) -> tuple[domain.ChildRecord | None, PersonRecord | None]:
    """linkNik's checks: (None, None) for a child unknown or outside the jurisdiction; (the
    child, None) when it already holds this NIK (answered as it is); (the child, the person) when
    the link may be made. `lock`: the child's row is locked until the transaction ends."""
    children = await repository.children_by_id(conn, [child_id], within, lock=lock)
    if not children:
        return None, None
    child = children[0]
    if child.nik == nik:
        return child, None
    if child.nik is not None:
        raise Conflict("this child already has a different NIK", field="childId")
    persons = await repository.persons_by_nik(conn, [nik])
    if not persons or await repository.nik_holder(conn, nik) is not None:
        raise _not_linkable()
    return child, persons[0]


def _not_linkable() -> BadUserInput:
    """A NIK no registry person has, and one another index child holds, get this one answer:
    whether a NIK is some child's — maybe a child of another region, or an ABH child, who does not
    exist for the officer — is not told (DOMAIN.md: denials never reveal what they hide). A free
    registry person of any region is linked (a family moves): that a NIK exists is not hidden."""
    return BadUserInput(
        "this NIK cannot be linked: no registry person has it, or another child holds it",
        field="nik",
    )


def build_schema() -> SubgraphSchema:
    # The identity-resolution API lives in its own module, which builds on this one's types.
    from subgraphs.disdukcapil.identity_schema import IdentityMutation, IdentityQuery

    @strawberry.type(name="Query")
    class FullQuery(Query, IdentityQuery):
        pass

    @strawberry.type(name="Mutation")
    class FullMutation(Mutation, IdentityMutation):
        pass

    return federation.build_schema(FullQuery, FullMutation, types=[Child, Family])
