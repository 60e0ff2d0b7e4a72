"""Dinsos's GraphQL schema: social registry, complaints and Sakti Peksos responses, referrals, LKSA placements."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

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
from subgraphs.dinsos import access, domain, repository

# The domain's enums as GraphQL enums (see common/enums.py); annotations say `enums.X`,
# and `AmpkCategory` for the enum Dinsos and Balai share.
if TYPE_CHECKING:  # what resolvers return and receive are the domain's own members
    from subgraphs.common.ampk import AmpkCategory
    from subgraphs.dinsos import domain as enums
else:
    enums = graphql_enums(
        AMPK_CATEGORY,
        GraphQLEnum(domain.RegistryStatus, "SocialRegistryStatus"),
        GraphQLEnum(domain.AssistanceProgramme, "AssistanceProgramme"),
        GraphQLEnum(domain.ComplaintChannel, "ComplaintChannel"),
        GraphQLEnum(domain.ComplaintStatus, "ComplaintStatus"),
        GraphQLEnum(domain.ResponseAction, "ResponseAction"),
        GraphQLEnum(domain.ReferralTargetKind, "ReferralTargetKind"),
        GraphQLEnum(domain.ReferralStatus, "ReferralStatus"),
        GraphQLEnum(domain.PlacementEndReason, "PlacementEndReason"),
        GraphQLEnum(domain.ContactKind, "DinsosContactKind"),
    )
    AmpkCategory = enums.AmpkCategory

# PostgreSQL's integer: a larger id cannot exist, and must not reach the driver.
_MAX_ID = 2_147_483_647


# --- batch loaders: one SQL query per table per tick, whatever the number of keys -------------


_memberships = one_each(repository.registry_memberships, lambda m: m.child_id)


_assistance = many_each(repository.assistance, lambda a: a.child_id)


_complaints_of_child = many_each(repository.complaints_of_children, lambda c: c.child_id)


_complaints = one_each(repository.complaints_by_id, lambda c: c.id)


_responses = many_each(repository.responses, lambda r: r.complaint_id)


_referrals_of_child = many_each(repository.referrals_of_children, lambda r: r.child_id)


_referrals = one_each(repository.referrals_by_id, lambda r: r.id)


_placements_of_child = many_each(repository.placements_of_children, lambda p: p.child_id)


_placements = one_each(repository.placements_by_id, lambda p: p.id)


_lksas = one_each(repository.lksas_by_id, lambda lksa: lksa.id)


_offices = one_each(repository.offices, lambda o: o.kabupaten_code)


def _complaints_of(info: Info, child_id: str) -> Awaitable[list[domain.Complaint]]:
    return info.context.loader("complaints_of_child", _complaints_of_child).load(child_id)


def _referrals_of(info: Info, child_id: str) -> Awaitable[list[domain.Referral]]:
    return info.context.loader("referrals_of_child", _referrals_of_child).load(child_id)


# --- input checks -----------------------------------------------------------------------------


def _record_id(value: strawberry.ID) -> int | None:
    """A record id, or None when it cannot name any record (then the answer is null)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= _MAX_ID:
        return None
    return int(text)


def _child_id(value: strawberry.ID, field: str = "childId") -> str:
    # The index (disdukcapil) owns Child.id; here only its shape can be checked.
    text = str(value).strip()
    if not (text.isascii() and text.isalnum() and 1 <= len(text) <= 16):
        raise BadUserInput("childId must be a national child index ID", field=field)
    return text


def _timestamp(value: datetime | None, field: str) -> datetime:
    """When something happened: now by default; with a zone, since WIB, WITA and WIT differ."""
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None:
        raise BadUserInput(f"{field} needs a UTC offset, e.g. +07:00 for WIB", field=field)
    validation.not_in_future(value, field)
    return value


def _optional_text(value: str | None, field: str, max_length: int = 2000) -> str | None:
    if value is None or not value.strip():
        return None
    return validation.text(value, field, max_length)


def _kabupaten_or_finer(value: str, field: str = "regionCode") -> str:
    code = validation.region_code(value, field)
    if "." not in code:
        raise BadUserInput(f"{field} must name at least a kabupaten/kota, e.g. 14.71", field=field)
    return code


@contextlib.contextmanager
def _domain_rules() -> Iterator[None]:
    """Domain rule violations, as the typed GraphQL errors a client can act on."""
    try:
        yield
    except domain.TransitionNotAllowed as error:
        raise InvalidTransition(error.message, field=error.field) from None
    except domain.StateConflict as error:
        raise Conflict(error.message, field=error.field) from None
    except domain.RuleViolation as error:
        raise BadUserInput(error.message, field=error.field) from None


# --- reference data: LKSA, and Balai as the Balai subgraph keys it ----------------------------


@strawberry.federation.type(
    keys=["id"],
    description="An LKSA (Lembaga Kesejahteraan Sosial Anak): a child-care institution.",
)
class Lksa:
    id: strawberry.ID
    name: str
    region_code: str = strawberry.field(description="Kemendagri code of its address.")
    capacity: int
    phone: str | None
    occupancy: int = strawberry.field(description="Children living there now (open placements).")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        number = _record_id(id)
        record = await info.context.loader("lksas", _lksas).load(number) if number else None
        return from_record(cls, record) if record else None


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("code"), resolvable=False)],
    description="A Balai Rehabilitasi Sosial Anak; its name and phone come from the Balai subgraph.",
)
class Balai:
    code: str


# --- the social registry ----------------------------------------------------------------------


@strawberry.type(description="Social assistance the child's household received, per programme.")
class Assistance:
    programme: enums.AssistanceProgramme | None = categorized("welfare.registry")
    period_start: date | None = categorized("welfare.registry")
    period_end: date | None = categorized("welfare.registry", description="Null while ongoing.")
    amount: Decimal | None = categorized("welfare.registry", description="Rupiah, when known.")


@strawberry.type(
    description="The child's household in the social registry (DTKS, now DTSEN), with its welfare decile."
)
class SocialRegistryMembership:
    child_id: strawberry.Private[str]
    status: enums.RegistryStatus | None = categorized("welfare.registry")
    decile: int | None = categorized("welfare.registry", description="1 = the poorest tenth.")
    kk_number: str | None = categorized("identity.full", description="The household's KK.")
    registered_on: date | None = categorized("welfare.registry")
    updated_on: date | None = categorized("welfare.registry", description="Last verification.")

    @categorized(
        "welfare.registry",
        description="Newest period first; activeOn filters.",
        directives=[assumed(10)],
    )
    async def assistance(
        self, info: Info, active_on: date | None = None
    ) -> list[Assistance] | None:
        found = await info.context.loader("assistance", _assistance).load(self.child_id)
        return [
            from_record(Assistance, a) for a in found if active_on is None or a.active_on(active_on)
        ]


# --- complaints, responses, referrals, placements ---------------------------------------------


@strawberry.type(description="What a Sakti Peksos (social worker) did about a complaint.")
class CaseResponse:
    id: strawberry.ID
    social_worker_id: strawberry.ID | None = categorized(
        "dinsos.complaints", description="The staff id of who responded, e.g. SP147104."
    )
    responded_at: datetime | None = categorized("dinsos.complaints")
    action: enums.ResponseAction | None = categorized("dinsos.complaints")
    notes: str | None = categorized("dinsos.complaints")


@strawberry.type(
    description="A complaint (pengaduan) about a child, from the PKSAI unit, PSM/TKSK volunteers or TePSA."
)
class Complaint:
    id: strawberry.ID
    child_id: strawberry.Private[str]
    child: Child | None = categorized("dinsos.complaints")
    channel: enums.ComplaintChannel | None = categorized("dinsos.complaints")
    received_at: datetime | None = categorized("dinsos.complaints")
    region_code: str | None = categorized("dinsos.complaints", description="Where the child is.")
    problem_category: AmpkCategory | None = categorized("dinsos.complaints")
    summary: str | None = categorized("dinsos.complaints")
    status: enums.ComplaintStatus | None = categorized("dinsos.complaints")
    closed_at: datetime | None = categorized("dinsos.complaints")

    @classmethod
    def from_record(cls, c: domain.Complaint) -> Self:
        return from_record(cls, c, child=Child.of(c.child_id))

    @categorized(
        "dinsos.complaints",
        description="Sakti Peksos responses, oldest first.",
        directives=[assumed(10)],
    )
    async def responses(self, info: Info) -> list[CaseResponse] | None:
        found = await info.context.loader("responses", _responses).load(int(self.id))
        return [
            from_record(CaseResponse, r, social_worker_id=strawberry.ID(r.social_worker_id))
            for r in found
        ]

    @categorized(
        "dinsos.complaints",
        description="Referrals made from this complaint.",
        directives=[assumed(5)],
    )
    async def referrals(self, info: Info) -> list[Referral] | None:
        # Through the child's referrals: the same batch as Child.referrals, no second query.
        found = await _referrals_of(info, self.child_id)
        return [Referral.from_record(r) for r in found if r.complaint_id == int(self.id)]


@strawberry.type(description="A referral of a child to a Balai or an LKSA, and where it stands.")
class Referral:
    id: strawberry.ID
    child_id: strawberry.Private[str]
    child: Child | None = categorized("dinsos.complaints")
    complaint_id: strawberry.Private[int | None]
    target_kind: enums.ReferralTargetKind | None = categorized("dinsos.complaints")
    target_code: str | None = categorized(
        "dinsos.complaints", description="The Balai code (e.g. RUMBAI) or the LKSA id."
    )
    balai: Balai | None = categorized("dinsos.complaints", description="When referred to a Balai.")
    lksa: Lksa | None = categorized("dinsos.complaints", description="When referred to an LKSA.")
    reason: str | None = categorized("dinsos.complaints")
    status: enums.ReferralStatus | None = categorized("dinsos.complaints")
    requested_at: datetime | None = categorized("dinsos.complaints")
    decided_at: datetime | None = categorized(
        "dinsos.complaints", description="When it was accepted or rejected."
    )
    completed_at: datetime | None = categorized("dinsos.complaints")
    revoked_at: datetime | None = categorized("dinsos.complaints")
    decision_note: str | None = categorized("dinsos.complaints")
    closing_note: str | None = categorized(
        "dinsos.complaints", description="Written when it was completed or revoked."
    )

    @classmethod
    def from_record(cls, r: domain.Referral) -> Self:
        is_balai = r.target_kind is domain.ReferralTargetKind.BALAI
        return from_record(
            cls,
            r,
            child=Child.of(r.child_id),
            balai=Balai(code=r.target_code) if is_balai else None,
            lksa=from_record(Lksa, r.lksa) if r.lksa else None,
        )

    @categorized("dinsos.complaints", description="The complaint it came from; null if direct.")
    async def complaint(self, info: Info) -> Complaint | None:
        if self.complaint_id is None:
            return None
        found = await _complaints_of(info, self.child_id)
        return next((Complaint.from_record(c) for c in found if c.id == self.complaint_id), None)


@strawberry.type(description="A child's stay in an LKSA.")
class Placement:
    id: strawberry.ID
    child_id: strawberry.Private[str]
    child: Child | None = categorized("dinsos.placements")
    lksa: Lksa | None = categorized("dinsos.placements")
    referral_id: strawberry.Private[int | None]
    started_on: date | None = categorized("dinsos.placements")
    ended_on: date | None = categorized(
        "dinsos.placements", description="Null while the child lives there."
    )
    end_reason: enums.PlacementEndReason | None = categorized("dinsos.placements")

    @classmethod
    def from_record(cls, p: domain.Placement) -> Self:
        return from_record(cls, p, child=Child.of(p.child_id), lksa=from_record(Lksa, p.lksa))

    @categorized("dinsos.complaints", description="The referral that led to it, if any.")
    async def referral(self, info: Info) -> Referral | None:
        if self.referral_id is None:
            return None
        found = await _referrals_of(info, self.child_id)
        return next((Referral.from_record(r) for r in found if r.id == self.referral_id), None)


async def _referral_visible(info: Info, referral: domain.Referral) -> bool:
    identity = info.context.identity
    if identity is None:
        return True
    complaint = None
    if referral.complaint_id is not None:
        complaint = await info.context.loader("complaints", _complaints).load(referral.complaint_id)
    return access.covers_referral(identity, referral, complaint)


# --- the protection flag: whom to call, nothing more ------------------------------------------


@strawberry.type(description="Whom to contact: a Dinas Sosial office, an LKSA or a Balai.")
class DinsosContact:
    kind: enums.ContactKind | None = categorized("protection.flag")
    name: str | None = categorized("protection.flag", description="For a Balai, its code.")
    phone: str | None = categorized("protection.flag")
    region_code: str | None = categorized("protection.flag")
    balai: Balai | None = categorized(
        "protection.flag",
        description="For a Balai: its name and phone come from the Balai subgraph.",
    )


@strawberry.type(
    description="That Dinsos is handling a matter about the child and whom to call — never its category, status or dates."
)
class DinsosProtectionFlag:
    message: str | None = categorized("protection.flag")
    contacts: list[DinsosContact] | None = categorized("protection.flag", directives=[assumed(10)])


def _flag(
    needed: domain.ContactsNeeded, offices: list[domain.DinsosOffice | None]
) -> DinsosProtectionFlag:
    contacts = [
        DinsosContact(
            kind=domain.ContactKind.DINSOS_OFFICE,
            name=office.name,
            phone=office.phone,
            region_code=office.kabupaten_code,
            balai=None,
        )
        for office in (
            domain.office_or_default(code, found)
            for code, found in zip(needed.office_kabupaten_codes, offices, strict=True)
        )
    ]
    contacts += [
        DinsosContact(
            kind=domain.ContactKind.LKSA,
            name=lksa.name,
            phone=lksa.phone,
            region_code=lksa.region_code,
            balai=None,
        )
        for lksa in needed.lksas
    ]
    contacts += [
        DinsosContact(
            kind=domain.ContactKind.BALAI,
            name=code,
            phone=None,
            region_code=None,
            balai=Balai(code=code),
        )
        for code in needed.balai_codes
    ]
    whom = " or ".join(f"{c.name} ({c.phone})" if c.phone else f"{c.name}" for c in contacts)
    return DinsosProtectionFlag(
        message=f"Dinsos is handling a matter about this child: contact {whom}.",
        contacts=contacts,
    )


# --- the child, as Dinsos knows it ------------------------------------------------------------


@strawberry.federation.type(
    inaccessible=True, description="What the gateway's policy step needs from Dinsos."
)
class DinsosPolicyFacts:
    responder_ids: list[strawberry.ID] = strawberry.field(
        description="Staff ids of who responded to a complaint about the child."
    )
    conflict_with_law: bool = strawberry.field(
        description="A complaint or referral of the child is about conflict with the law (ABH)."
    )


@strawberry.federation.type(keys=["id"], description="A child, by national child index ID.")
class Child(ChildEntity):
    @strawberry.federation.field(
        inaccessible=True, description="Policy facts (the gateway's policy step only)."
    )
    async def policy_dinsos(self, info: Info) -> DinsosPolicyFacts:
        require_facts_access(info)
        complaints = await _complaints_of(info, str(self.id))
        responses = await info.context.loader("responses", _responses).load_many(
            [c.id for c in complaints]
        )
        # A referral carries no category of its own: it is ABH through the complaint it came from.
        return DinsosPolicyFacts(
            responder_ids=[
                strawberry.ID(staff_id)
                for staff_id in sorted({r.social_worker_id for rs in responses for r in rs})
            ],
            conflict_with_law=any(
                c.problem_category == ampk.AmpkCategory.CONFLICT_WITH_LAW for c in complaints
            ),
        )

    @categorized(
        "welfare.registry", description="DTKS/DTSEN membership; null when not in the registry."
    )
    async def welfare(self, info: Info) -> SocialRegistryMembership | None:
        found = await info.context.loader("memberships", _memberships).load(str(self.id))
        return from_record(SocialRegistryMembership, found) if found else None

    @categorized(
        "dinsos.complaints",
        description="Complaints about the child, newest first.",
        directives=[assumed(10)],
    )
    async def complaints(self, info: Info) -> list[Complaint] | None:
        return [Complaint.from_record(c) for c in await _complaints_of(info, str(self.id))]

    @categorized(
        "dinsos.complaints",
        description="Referrals of the child, newest first.",
        directives=[assumed(10)],
    )
    async def referrals(self, info: Info) -> list[Referral] | None:
        return [Referral.from_record(r) for r in await _referrals_of(info, str(self.id))]

    @categorized(
        "dinsos.placements",
        description="LKSA placements, newest first.",
        directives=[assumed(5)],
    )
    async def placements(self, info: Info) -> list[Placement] | None:
        found = await info.context.loader("placements_of_child", _placements_of_child).load(
            str(self.id)
        )
        return [Placement.from_record(p) for p in found]

    @categorized(
        "protection.flag",
        description="Null unless Dinsos has an open complaint or an active referral of the child.",
    )
    async def dinsos_protection_flag(self, info: Info) -> DinsosProtectionFlag | None:
        complaints = await _complaints_of(info, str(self.id))
        referrals = await _referrals_of(info, str(self.id))
        needed = domain.contacts_needed(complaints, referrals)
        if not needed.any:
            return None
        offices = await info.context.loader("offices", _offices).load_many(
            list(needed.office_kabupaten_codes)
        )
        return _flag(needed, offices)


@strawberry.type
class ComplaintConnection:
    nodes: list[Complaint]
    page_info: PageInfo
    total_count: int


# --- queries ----------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="A complaint by id; null when unknown.")
    async def complaint(self, info: Info, id: strawberry.ID) -> Complaint | None:
        number = _record_id(id)
        record = (
            await info.context.loader("complaints", _complaints).load(number) if number else None
        )
        identity = info.context.identity
        if record is None or (identity is not None and not identity.covers(record.region_code)):
            return None  # outside the caller's regions a complaint does not exist
        return Complaint.from_record(record)

    @strawberry.field(
        description="The Dinsos officer's work queue: complaints in a region, oldest first.",
        directives=[paged()],
    )
    async def complaints(
        self,
        info: Info,
        region_code: Annotated[
            str, strawberry.argument(description="A region prefix: 14, 14.71, 14.71.02")
        ],
        status: enums.ComplaintStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ComplaintConnection | None:
        # Being on the list says "a complaint about this child": only dinsos.complaints holders.
        identity = info.context.identity
        if identity is not None and identity.role not in access.COMPLAINT_HOLDERS:
            raise access.refused()
        within = identity.regions if identity is not None else None
        validation.page_size(first)
        region = validation.region_code(region_code)
        after_id = None
        if after is not None:
            after_id = _record_id(strawberry.ID(after))
            if after_id is None:
                raise BadUserInput("after is not a cursor this query returned", field="after")
        async with info.context.db.connect() as conn:
            page = await repository.complaint_queue(conn, region, status, first, after_id, within)
            total = await repository.count_complaints(conn, region, status, within)
        nodes = [Complaint.from_record(c) for c in page.complaints]
        return ComplaintConnection(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=str(nodes[-1].id) if nodes else None
            ),
            total_count=total,
        )

    @strawberry.field(description="A referral by id; null when unknown.")
    async def referral(self, info: Info, id: strawberry.ID) -> Referral | None:
        number = _record_id(id)
        record = await info.context.loader("referrals", _referrals).load(number) if number else None
        if record is None or not await _referral_visible(info, record):
            return None
        return Referral.from_record(record)

    @strawberry.field(description="A placement by id; null when unknown.")
    async def placement(self, info: Info, id: strawberry.ID) -> Placement | None:
        number = _record_id(id)
        loader = info.context.loader("placements", _placements)
        record = await loader.load(number) if number else None
        identity = info.context.identity
        # Where the child lives: the LKSA's region.
        if record is None or (
            identity is not None and not identity.covers(record.lksa.region_code)
        ):
            return None
        return Placement.from_record(record)

    @strawberry.field(description="An LKSA by id; null when unknown.")
    async def lksa(self, info: Info, id: strawberry.ID) -> Lksa | None:
        number = _record_id(id)
        record = await info.context.loader("lksas", _lksas).load(number) if number else None
        return from_record(Lksa, record) if record else None

    @strawberry.field(
        description="The LKSA in a region, by region code and name.", directives=[assumed(100)]
    )
    async def lksa_list(
        self,
        info: Info,
        region_code: Annotated[
            str, strawberry.argument(description="A region prefix: 14, 14.71, 14.71.02")
        ],
    ) -> list[Lksa]:
        region = validation.region_code(region_code)
        async with info.context.db.connect() as conn:
            found = await repository.lksas_in_region(conn, region)
        return [from_record(Lksa, lksa) for lksa in found]


# --- mutations --------------------------------------------------------------------------------


@strawberry.input(description="A complaint about a child, as the officer took it.")
class FileComplaintInput:
    child_id: strawberry.ID
    channel: enums.ComplaintChannel
    received_at: datetime = strawberry.field(description="With its UTC offset; not in the future.")
    region_code: str = strawberry.field(description="Where the child is: at least a kabupaten.")
    problem_category: AmpkCategory
    summary: str


@strawberry.input(
    description="What a Sakti Peksos did about a complaint; the responder is the signed-in user."
)
class RecordResponseInput:
    complaint_id: strawberry.ID
    responded_at: datetime = strawberry.field(
        description="With its UTC offset; not in the future nor before the complaint."
    )
    action: enums.ResponseAction
    notes: str | None = None


@strawberry.input(description="A referral, from a complaint (complaintId) or direct (childId).")
class ReferChildInput:
    target_kind: enums.ReferralTargetKind
    target_code: str = strawberry.field(description="The Balai code or the LKSA id.")
    reason: str
    complaint_id: strawberry.ID | None = None
    child_id: strawberry.ID | None = None
    requested_at: datetime | None = strawberry.field(default=None, description="Default: now.")


@strawberry.input(
    description="A referral's next step: ACCEPTED or REJECTED, then COMPLETED; REVOKED while active."
)
class UpdateReferralInput:
    referral_id: strawberry.ID
    status: enums.ReferralStatus
    note: str | None = strawberry.field(
        default=None, description="Required when REJECTED or REVOKED."
    )
    at: datetime | None = strawberry.field(default=None, description="Default: now.")


@strawberry.input(description="A child moving into an LKSA.")
class StartPlacementInput:
    child_id: strawberry.ID
    lksa_id: strawberry.ID
    started_on: date
    referral_id: strawberry.ID | None = strawberry.field(
        default=None, description="An accepted referral of this child to this LKSA."
    )


@strawberry.input(description="A child leaving an LKSA.")
class EndPlacementInput:
    placement_id: strawberry.ID
    ended_on: date
    reason: enums.PlacementEndReason


def _new_complaint(data: FileComplaintInput) -> domain.NewComplaint:
    return domain.NewComplaint(
        child_id=_child_id(data.child_id),
        channel=data.channel,
        received_at=_timestamp(data.received_at, "receivedAt"),
        region_code=_kabupaten_or_finer(data.region_code),
        problem_category=data.problem_category,
        summary=validation.text(data.summary, "summary"),
    )


def _referral_target(kind: domain.ReferralTargetKind, code: str) -> str:
    code = code.strip()
    if kind is domain.ReferralTargetKind.BALAI:
        with _domain_rules():
            return domain.check_balai_code(code)
    lksa_id = _record_id(strawberry.ID(code))
    if lksa_id is None:
        raise BadUserInput("no LKSA has this id", field="targetCode")
    return str(lksa_id)


async def _may_update_referral(conn: Any, identity: Identity, referral: domain.Referral) -> bool:
    """Whether the referral exists for this writer: the receiving Balai's staff, or a Dinsos
    officer whose regions hold its complaint. A direct referral holds no region here: Dinsos roles
    may move it on (the gateway checks the child's region before the write, as for referChild)."""
    if identity.role in access.BALAI_ROLES:
        return access.receiving_balai(identity, referral)
    if referral.complaint_id is None:
        return True
    found = await repository.complaints_by_id(conn, [referral.complaint_id])
    return bool(found) and identity.covers(found[0].region_code)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record a complaint about a child; it starts RECEIVED.")
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> Complaint:
        identity = access.writer(info.context.identity, access.DINSOS_ROLES | access.PKH_ROLES)
        new = _new_complaint(input)
        if not identity.covers(new.region_code):
            raise access.refused()  # a complaint is taken where the officer works
        async with info.context.db.transaction() as conn:
            complaint_id = await repository.insert_complaint(conn, new)
            (record,) = await repository.complaints_by_id(conn, [complaint_id])
        info.context.changed("Complaint", complaint_id, "filed")
        return Complaint.from_record(record)

    @strawberry.mutation(
        description="Record a Sakti Peksos response; a RECEIVED complaint moves to IN_RESPONSE. Null when the complaint is unknown."
    )
    async def record_response(self, info: Info, input: RecordResponseInput) -> Complaint | None:
        identity = access.writer(info.context.identity, access.DINSOS_ROLES)
        social_worker = access.responder_id(identity)
        responded_at = _timestamp(input.responded_at, "respondedAt")
        notes = _optional_text(input.notes, "notes", max_length=4000)
        complaint_id = _record_id(input.complaint_id)
        if complaint_id is None:
            return None
        with _domain_rules():
            async with info.context.db.transaction() as conn:
                found = await repository.complaints_by_id(conn, [complaint_id])
                if not found or not identity.covers(found[0].region_code):
                    return None
                complaint = found[0]
                status = domain.status_after_response(complaint.status)
                domain.check_not_before(
                    responded_at, complaint.received_at, "respondedAt", "the complaint's receivedAt"
                )
                response_id = await repository.insert_response(
                    conn,
                    domain.NewResponse(
                        complaint_id, social_worker, responded_at, input.action, notes
                    ),
                )
                if status is not complaint.status:
                    await repository.set_complaint_status(conn, complaint_id, status)
                (record,) = await repository.complaints_by_id(conn, [complaint_id])
        info.context.changed("CaseResponse", response_id, "recorded")
        if status is not complaint.status:
            info.context.changed("Complaint", complaint_id, f"status: {status.name}")
        return Complaint.from_record(record)

    @strawberry.mutation(description="Close a complaint; null when it is unknown.")
    async def close_complaint(
        self, info: Info, complaint_id: strawberry.ID, closed_at: datetime | None = None
    ) -> Complaint | None:
        # Not in DOMAIN.md's list: the nearest right, recordResponse's (Dinsos roles, in region).
        identity = access.writer(info.context.identity, access.DINSOS_ROLES)
        at = _timestamp(closed_at, "closedAt")
        number = _record_id(complaint_id)
        if number is None:
            return None
        with _domain_rules():
            async with info.context.db.transaction() as conn:
                found = await repository.complaints_by_id(conn, [number])
                if not found or not identity.covers(found[0].region_code):
                    return None
                domain.check_closable(found[0], at)
                await repository.set_complaint_status(
                    conn, number, domain.ComplaintStatus.CLOSED, closed_at=at
                )
                (record,) = await repository.complaints_by_id(conn, [number])
        info.context.changed("Complaint", number, "closed")
        return Complaint.from_record(record)

    @strawberry.mutation(
        description="Refer a child to a Balai or an LKSA, from a complaint or direct; it starts REQUESTED. Null when the complaint is unknown."
    )
    async def refer_child(self, info: Info, input: ReferChildInput) -> Referral | None:
        identity = access.writer(info.context.identity, access.DINSOS_ROLES)
        target_code = _referral_target(input.target_kind, input.target_code)
        reason = validation.text(input.reason, "reason")
        requested_at = _timestamp(input.requested_at, "requestedAt")
        child_id = _child_id(input.child_id) if input.child_id is not None else None
        if input.complaint_id is None and child_id is None:
            raise BadUserInput("a referral needs a complaintId or a childId", field="childId")
        complaint_id = _record_id(input.complaint_id) if input.complaint_id is not None else None
        if input.complaint_id is not None and complaint_id is None:
            return None
        with _domain_rules():
            async with info.context.db.transaction() as conn:
                complaint = None
                if complaint_id is not None:
                    found = await repository.complaints_by_id(conn, [complaint_id])
                    if not found or not identity.covers(found[0].region_code):
                        return None
                    complaint = found[0]
                    if child_id is not None and child_id != complaint.child_id:
                        raise domain.RuleViolation(
                            "the complaint is about another child", "childId"
                        )
                    child_id = complaint.child_id
                    domain.status_after_referral(complaint.status)
                    domain.check_not_before(
                        requested_at,
                        complaint.received_at,
                        "requestedAt",
                        "the complaint's receivedAt",
                    )
                assert child_id is not None  # one of the two was given, checked above
                if input.target_kind is domain.ReferralTargetKind.LKSA and not (
                    await repository.lksas_by_id(conn, [int(target_code)])
                ):
                    raise domain.RuleViolation("no LKSA has this id", "targetCode")
                new = domain.NewReferral(
                    child_id, complaint_id, input.target_kind, target_code, reason, requested_at
                )
                existing = await repository.referrals_of_children(conn, [child_id])
                domain.check_duplicate_referral(new, existing)
                referral_id = await repository.insert_referral(conn, new)
                referred: int | None = None
                if (
                    complaint is not None
                    and complaint.status is not domain.ComplaintStatus.REFERRED
                ):
                    referred = complaint.id
                    await repository.set_complaint_status(
                        conn, complaint.id, domain.ComplaintStatus.REFERRED
                    )
                (record,) = await repository.referrals_by_id(conn, [referral_id])
        info.context.changed("Referral", referral_id, "made")
        if referred is not None:
            info.context.changed("Complaint", referred, "status: REFERRED")
        return Referral.from_record(record)

    @strawberry.mutation(
        description="Move a referral along its lifecycle, recording when and why; null when it is unknown."
    )
    async def update_referral(self, info: Info, input: UpdateReferralInput) -> Referral | None:
        identity = access.writer(info.context.identity, access.DINSOS_ROLES | access.BALAI_ROLES)
        at = _timestamp(input.at, "at")
        note = _optional_text(input.note, "note")
        referral_id = _record_id(input.referral_id)
        if referral_id is None:
            return None
        with _domain_rules():
            async with info.context.db.transaction() as conn:
                found = await repository.referrals_by_id(conn, [referral_id])
                if not found or not await _may_update_referral(conn, identity, found[0]):
                    return None
                if identity.role in access.BALAI_ROLES and input.status not in (
                    access.BALAI_DECISIONS
                ):
                    raise access.refused()  # the receiving Balai accepts or rejects, no more
                decision = domain.decide_referral(found[0], input.status, at, note)
                await repository.apply_referral_decision(conn, referral_id, decision)
                (record,) = await repository.referrals_by_id(conn, [referral_id])
        info.context.changed("Referral", referral_id, f"updated: {input.status.name}")
        return Referral.from_record(record)

    @strawberry.mutation(
        description="Place a child in an LKSA with room; a child lives in one LKSA at a time."
    )
    async def start_placement(self, info: Info, input: StartPlacementInput) -> Placement:
        identity = access.writer(info.context.identity, frozenset({access.DINSOS_OFFICER}))
        child_id = _child_id(input.child_id)
        validation.not_in_future(input.started_on, "startedOn")
        lksa_id = _record_id(input.lksa_id)
        if lksa_id is None:
            raise BadUserInput("no LKSA has this id", field="lksaId")
        referral_id = None
        if input.referral_id is not None:
            referral_id = _record_id(input.referral_id)
            if referral_id is None:
                raise BadUserInput("no referral has this id", field="referralId")
        new = domain.NewPlacement(child_id, lksa_id, referral_id, input.started_on)
        with _domain_rules():
            async with info.context.db.transaction() as conn:
                lksa = await repository.lock_lksa(conn, lksa_id)
                if lksa is None:
                    raise domain.RuleViolation("no LKSA has this id", "lksaId")
                if not identity.covers(lksa.region_code):
                    raise access.refused()  # placements into the LKSA of the officer's region
                if referral_id is not None:
                    referrals = await repository.referrals_by_id(conn, [referral_id])
                    if not referrals:
                        raise domain.RuleViolation("no referral has this id", "referralId")
                    domain.check_placement_referral(referrals[0], new)
                current = await repository.open_placement_of_child(conn, child_id)
                domain.check_can_place(lksa, current)
                try:
                    placement_id = await repository.insert_placement(conn, new)
                except repository.ChildAlreadyPlaced:
                    raise domain.StateConflict(
                        "the child is already placed in an LKSA", "childId"
                    ) from None
                (record,) = await repository.placements_by_id(conn, [placement_id])
        info.context.changed("Placement", placement_id, "started")
        return Placement.from_record(record)

    @strawberry.mutation(description="End a placement; null when it is unknown.")
    async def end_placement(self, info: Info, input: EndPlacementInput) -> Placement | None:
        identity = access.writer(info.context.identity, frozenset({access.DINSOS_OFFICER}))
        validation.not_in_future(input.ended_on, "endedOn")
        placement_id = _record_id(input.placement_id)
        if placement_id is None:
            return None
        with _domain_rules():
            async with info.context.db.transaction() as conn:
                found = await repository.placements_by_id(conn, [placement_id])
                if not found or not identity.covers(found[0].lksa.region_code):
                    return None
                domain.check_placement_end(found[0], input.ended_on)
                await repository.end_placement(conn, placement_id, input.ended_on, input.reason)
                (record,) = await repository.placements_by_id(conn, [placement_id])
        info.context.changed("Placement", placement_id, "ended")
        return Placement.from_record(record)


def build_schema() -> SubgraphSchema:
    return federation.build_schema(Query, Mutation, types=[Child, Lksa, Balai])
