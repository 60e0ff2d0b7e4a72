"""The consent registry's GraphQL schema: the policy facts the gateway selects (`@inaccessible`),
officer-facing reads of consents, agreements and break-glass grants, and their mutations.

No answer is cached: each request reads the database, so a revocation, an ended agreement or an
expired grant applies from the very next request. Loaders live for one request only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from auth.purposes import Role
from subgraphs.common import validation
from subgraphs.common.child import ChildEntity
from subgraphs.common.context import Info, many_each
from subgraphs.common.enums import GraphQLEnum, graphql_enums
from subgraphs.common.errors import BadUserInput, Forbidden, InvalidTransition, NotFound
from subgraphs.common.federation import SubgraphSchema, assumed, categorized
from subgraphs.common.federation import build_schema as federation_schema
from subgraphs.common.guard import require_facts_access
from subgraphs.common.identity import Identity
from subgraphs.common.objects import from_record
from subgraphs.consent import domain, repository
from subgraphs.consent.audit.schema import (
    ACCESS_LOG,
    ACCESS_LOG_CHECKPOINT,
    GUARDIAN_ACCESS_VIEW,
    GuardianViewSetting,
)
from subgraphs.consent.audit.schema import (
    set_guardian_access_view as switch_guardian_view,
)
from subgraphs.consent.domain import AgreementRecord, BreakGlassRecord, ConsentRecord

if TYPE_CHECKING:  # what resolvers return and receive are the domain's own members
    from subgraphs.consent import domain as enums
else:
    enums = graphql_enums(
        GraphQLEnum(domain.Relationship, "ConsentGrantorRelationship"),
        GraphQLEnum(domain.ReviewState, "BreakGlassReviewState"),
        GraphQLEnum(domain.Decision, "BreakGlassDecision"),
    )

# One message for every refused write or read: it never says which check failed, nor whether the
# record exists.
_NOT_ALLOWED = "Not allowed for this request."


def _now() -> datetime:
    return datetime.now(UTC)


def _facts_asker(info: Info) -> Identity:
    """The officer a facts fetch is made for; only the gateway's policy step (a grant carrying
    "policy.facts") may ask (common/guard.py)."""
    require_facts_access(info)
    identity = info.context.identity
    assert identity is not None  # require_facts_access refuses a request without one
    return identity


def _actor(info: Info) -> Identity:
    """The signed-in officer; a request without one may neither read nor write the registry."""
    identity = info.context.identity
    if identity is None:
        raise Forbidden(_NOT_ALLOWED)
    return identity


def _rejected(error: domain.Rejected) -> BadUserInput:
    return BadUserInput(str(error), field=error.field)


def _row_id(value: strawberry.ID) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _optional_text(value: str | None, field: str, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return validation.text(value, field, max_length=max_length)


def _aware(value: datetime, field: str) -> datetime:
    """A DateTime argument as an aware UTC instant: one without an offset is refused, not guessed."""
    if value.tzinfo is None:
        raise BadUserInput(
            f"{field} must carry a UTC offset (e.g. 2026-12-04T09:00:00Z)", field=field
        )
    return value.astimezone(UTC)


# --- per-request loaders (one query per table per request; nothing outlives the request) ------


_consents_of_children = many_each(repository.consents_of_children, lambda c: c.child_id)


async def _consents_of(info: Info, child_id: str) -> list[ConsentRecord]:
    return await info.context.loader("consents_of_children", _consents_of_children).load(child_id)


async def _consents_to_agency_of(info: Info, agency: str, child_id: str) -> list[ConsentRecord]:
    batch = many_each(
        lambda conn, keys: repository.consents_to_agency(conn, keys, agency),
        lambda c: c.child_id,
    )
    return await info.context.loader("consents_to_agency", batch).load(child_id)


async def _grants_of_user_for(info: Info, subject: str, child_id: str) -> list[BreakGlassRecord]:
    batch = many_each(
        lambda conn, keys: repository.grants_of_user(conn, subject, keys),
        lambda g: g.child_id,
    )
    return await info.context.loader("grants_of_user", batch).load(child_id)


# --- policy facts: selected by the gateway's policy step only -------------------------------------


@strawberry.federation.type(
    inaccessible=True, description="A guardian consent as the policy step reads it."
)
class ConsentPolicyFacts:
    consent_id: strawberry.ID
    recipient_agency: str
    recipient_unit: str | None
    categories: list[str]
    purposes: list[str]
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_record(cls, c: ConsentRecord) -> Self:
        return from_record(
            cls,
            c,
            consent_id=strawberry.ID(str(c.id)),
            categories=list(c.categories),
            purposes=list(c.purposes),
        )


@strawberry.federation.type(
    inaccessible=True,
    description="A break-glass grant of the asking user, as the policy step reads it (rejected ones left out).",
)
class BreakGlassPolicyFacts:
    grant_id: strawberry.ID
    user_subject: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def from_record(cls, g: BreakGlassRecord) -> Self:
        return from_record(cls, g, grant_id=strawberry.ID(str(g.id)))


@strawberry.federation.type(
    inaccessible=True,
    description="A data-sharing agreement naming the asking user's agency or unit, as the policy step reads it.",
)
class AgreementPolicyFacts:
    agreement_id: strawberry.ID
    parties: list[str]
    categories: list[str]
    purposes: list[str]
    regions: list[str]
    valid_from: datetime
    valid_until: datetime | None

    @classmethod
    def from_record(cls, a: AgreementRecord) -> Self:
        return from_record(
            cls,
            a,
            agreement_id=strawberry.ID(str(a.id)),
            parties=list(a.parties),
            categories=list(a.categories),
            purposes=list(a.purposes),
            regions=list(a.regions),
        )


# --- officer-facing types -----------------------------------------------------------------------


@strawberry.type(
    description="A guardian's consent that an agency (or one of its units) receive some of a child's data categories, for some purposes, for a time."
)
class GuardianConsent:
    id: strawberry.ID
    child_id: strawberry.Private[str]
    grantor_name: str
    grantor_relationship: enums.Relationship
    recipient_agency: str = strawberry.field(description='The agency receiving: "pkh", "dinsos"…')
    recipient_unit: str | None = strawberry.field(
        description="The one unit receiving (e.g. PKH-14.71); null: the whole agency."
    )
    categories: list[str]
    purposes: list[str]
    valid_from: datetime
    valid_until: datetime | None = strawberry.field(description="Null: until revoked.")
    revoked_at: datetime | None
    revoked_by: str | None
    evidence_reference: str | None = strawberry.field(
        description="The signed form or record; required when the recipient agency recorded it."
    )
    collected_by: str
    collecting_agency: str
    collecting_unit: str | None
    created_at: datetime
    in_force: bool = strawberry.field(
        description="Not revoked, and inside its validity now (when the request was answered)."
    )

    @classmethod
    def from_record(cls, c: ConsentRecord, now: datetime) -> Self:
        return from_record(
            cls,
            c,
            categories=list(c.categories),
            purposes=list(c.purposes),
            in_force=c.in_force(now),
        )

    @strawberry.field
    def child(self) -> Child:
        return Child.of(self.child_id)


@strawberry.type(
    description="A data-sharing agreement (MoU / PKS) between agencies or units: categories, purposes, regions, validity."
)
class DataSharingAgreement:
    id: strawberry.ID
    reference_number: str
    title: str
    parties: list[str] = strawberry.field(
        description='Agencies ("dinsos") or units ("RUMBAI", "DINSOS-13.73").'
    )
    categories: list[str]
    purposes: list[str]
    regions: list[str] = strawberry.field(description="Region prefixes the agreement covers.")
    valid_from: datetime
    valid_until: datetime | None
    created_by: str
    created_at: datetime
    ended_by: str | None
    ended_at: datetime | None
    in_force: bool

    @classmethod
    def from_record(cls, a: AgreementRecord, now: datetime) -> Self:
        return from_record(
            cls,
            a,
            parties=list(a.parties),
            categories=list(a.categories),
            purposes=list(a.purposes),
            regions=list(a.regions),
            in_force=a.in_force(now),
        )


@strawberry.type(
    description="Emergency access for one officer to one child: justified, at most 24 hours, reviewed by a supervisor afterwards."
)
class BreakGlassGrant:
    id: strawberry.ID
    child_id: strawberry.Private[str]
    user_subject: str
    role: str
    unit: str | None
    justification: str
    created_at: datetime
    expires_at: datetime
    review_state: enums.ReviewState
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    in_force: bool = strawberry.field(
        description="Not rejected and not expired now. The gateway honours it only for a child in the holder's jurisdiction."
    )

    @classmethod
    def from_record(cls, g: BreakGlassRecord, now: datetime) -> Self:
        return from_record(cls, g, in_force=g.in_force(now))

    @strawberry.field
    def child(self) -> Child:
        return Child.of(self.child_id)


@strawberry.federation.type(keys=["id"], description="A child in the national child index.")
class Child(ChildEntity):
    @categorized(
        "identity.full",
        description="Guardian consents about this child that the officer's agency collected or receives (they name the guardian: identity.full of the family).",
        directives=[assumed(10)],
    )
    async def consents(self, info: Info) -> list[GuardianConsent] | None:
        actor = _actor(info)
        now = _now()
        return [
            GuardianConsent.from_record(c, now)
            for c in await _consents_of(info, str(self.id))
            if domain.may_see_consent(actor, c)
        ]

    @strawberry.federation.field(
        inaccessible=True,
        description="Policy facts: the consents about this child to the asking officer's agency (revoked and expired ones included).",
    )
    async def policy_consents(self, info: Info) -> list[ConsentPolicyFacts]:
        identity = _facts_asker(info)
        records = await _consents_to_agency_of(info, identity.agency, str(self.id))
        return [ConsentPolicyFacts.from_record(c) for c in records]

    @strawberry.federation.field(
        inaccessible=True,
        description="Policy facts: the asking user's own break-glass grants for this child, rejected ones left out.",
    )
    async def policy_break_glass(self, info: Info) -> list[BreakGlassPolicyFacts]:
        identity = _facts_asker(info)
        records = await _grants_of_user_for(info, identity.subject, str(self.id))
        return [
            BreakGlassPolicyFacts.from_record(g)
            for g in records
            if g.review_state is not domain.ReviewState.REJECTED
        ]


def _parties_of(identity: Identity) -> list[str]:
    return [identity.agency] + ([identity.unit] if identity.unit else [])


# --- queries ----------------------------------------------------------------------------------


@strawberry.type
class Query:
    access_log = ACCESS_LOG
    access_log_checkpoint = ACCESS_LOG_CHECKPOINT
    guardian_access_view = GUARDIAN_ACCESS_VIEW

    @strawberry.federation.field(
        inaccessible=True,
        description="Policy facts: the agreements naming the asking officer's agency or unit as a party (ended and expired ones included).",
    )
    async def policy_agreements(self, info: Info) -> list[AgreementPolicyFacts]:
        identity = _facts_asker(info)
        async with info.context.db.connect() as conn:
            records = await repository.agreements_of_parties(conn, _parties_of(identity))
        return [AgreementPolicyFacts.from_record(a) for a in records]

    @strawberry.field(
        description="Data-sharing agreements: all of them for the secretariat, those naming the officer's agency or unit for the parties.",
        directives=[assumed(50)],
    )
    async def agreements(
        self,
        info: Info,
        in_force_only: Annotated[
            bool, strawberry.argument(description="Only those in force now.")
        ] = False,
    ) -> list[DataSharingAgreement]:
        actor = _actor(info)
        async with info.context.db.connect() as conn:
            if domain.is_secretariat(actor):
                records = await repository.all_agreements(conn)
            else:
                records = await repository.agreements_of_parties(conn, _parties_of(actor))
        now = _now()
        return [
            DataSharingAgreement.from_record(a, now)
            for a in records
            if not in_force_only or a.in_force(now)
        ]

    @strawberry.field(description="One agreement; null when unknown or not the officer's to see.")
    async def agreement(self, info: Info, id: strawberry.ID) -> DataSharingAgreement | None:
        actor = _actor(info)
        agreement_id = _row_id(id)
        if agreement_id is None:
            return None
        async with info.context.db.connect() as conn:
            record = await repository.agreement_by_id(conn, agreement_id)
        if record is None or not domain.may_see_agreement(actor, record):
            return None
        return DataSharingAgreement.from_record(record, _now())

    @strawberry.field(
        description="Break-glass grants: the officer's own, and for a Balai supervisor those of the Balai's staff to review.",
        directives=[assumed(50)],
    )
    async def break_glass_grants(
        self, info: Info, review_state: enums.ReviewState | None = None
    ) -> list[BreakGlassGrant]:
        actor = _actor(info)
        reviewable: tuple[str | None, Sequence[str]] | None = None
        if actor.role == Role.BALAI_SUPERVISOR.value:
            reviewable = (actor.unit, sorted(domain.REVIEWABLE_ROLES))
        async with info.context.db.connect() as conn:
            records = await repository.grants_visible_to(
                conn, actor.subject, reviewable, review_state
            )
        now = _now()
        return [
            BreakGlassGrant.from_record(g, now)
            for g in records
            if domain.may_see_break_glass(actor, g)
        ]


# --- mutations --------------------------------------------------------------------------------


# Each mutation answers null with its error when refused or rejected, rather than nulling the
# whole answer (the gateway removes a mutation a role may not run the same way).
@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Record a guardian's consent collected by the officer's agency (Dinsos, PKH or a Balai); the officer is the collector."
    )
    async def record_consent(
        self,
        info: Info,
        child_id: strawberry.ID,
        grantor_name: str,
        grantor_relationship: enums.Relationship,
        recipient_agency: Annotated[
            str, strawberry.argument(description='"pkh", "disdukcapil", "dinsos" or "balai".')
        ],
        categories: list[str],
        purposes: list[str],
        valid_from: datetime,
        valid_until: datetime | None = None,
        recipient_unit: str | None = None,
        evidence_reference: Annotated[
            str | None,
            strawberry.argument(description="Required when the recipient agency records it."),
        ] = None,
    ) -> GuardianConsent | None:
        actor = _actor(info)
        if not domain.may_collect_consent(actor):
            raise Forbidden(_NOT_ALLOWED)
        try:
            child = domain.child_id(str(child_id))
            recipient = domain.recipient_agency(recipient_agency)
            unit = None if recipient_unit is None else domain.unit_of(recipient, recipient_unit)
            chosen_categories = domain.categories(categories)
            chosen_purposes = domain.purposes(purposes)
            start = _aware(valid_from, "validFrom")
            end = None if valid_until is None else _aware(valid_until, "validUntil")
            domain.validity(start, end)
            evidence = domain.evidence(evidence_reference, actor.agency, recipient)
        except domain.Rejected as error:
            raise _rejected(error) from None
        if evidence is not None:
            evidence = validation.text(evidence, "evidenceReference", max_length=120)
        grantor = validation.text(grantor_name, "grantorName", max_length=120)
        now = _now()
        if end is not None and end <= now:
            raise BadUserInput("validUntil is already past", field="validUntil")
        async with info.context.db.transaction() as conn:
            consent_id = await repository.insert_consent(
                conn,
                child_id=child,
                grantor_name=grantor,
                grantor_relationship=grantor_relationship,
                recipient_agency=recipient,
                recipient_unit=unit,
                categories=chosen_categories,
                purposes=chosen_purposes,
                valid_from=start,
                valid_until=end,
                evidence_reference=evidence,
                collected_by=actor.subject,
                collecting_agency=actor.agency,
                collecting_unit=actor.unit,
                created_at=now,
            )
            record = await repository.consent_by_id(conn, consent_id)
        info.context.changed("GuardianConsent", consent_id, "recorded")
        return GuardianConsent.from_record(record, now)

    @strawberry.mutation(
        description="Revoke a consent, from now; only the agency that collected it may."
    )
    async def revoke_consent(self, info: Info, consent_id: strawberry.ID) -> GuardianConsent | None:
        actor = _actor(info)
        if not domain.may_collect_consent(actor):
            raise Forbidden(_NOT_ALLOWED)
        row_id = _row_id(consent_id)
        now = _now()
        async with info.context.db.transaction() as conn:
            consent = None if row_id is None else await repository.consent_for_update(conn, row_id)
            # Another agency's consent answers as an unknown one: a refusal reveals nothing.
            if consent is None or not domain.may_revoke(actor, consent):
                raise Forbidden(_NOT_ALLOWED)
            if consent.revoked_at is not None:
                raise InvalidTransition("the consent is already revoked", field="consentId")
            await repository.revoke_consent(conn, consent.id, actor.subject, now)
            record = await repository.consent_by_id(conn, consent.id)
        info.context.changed("GuardianConsent", consent.id, "revoked")
        return GuardianConsent.from_record(record, now)

    @strawberry.mutation(description="Record a data-sharing agreement; the secretariat only.")
    async def create_agreement(
        self,
        info: Info,
        reference_number: str,
        title: str,
        parties: list[str],
        categories: list[str],
        purposes: list[str],
        regions: Annotated[
            list[str], strawberry.argument(description="Region prefixes: 13.73, 14.")
        ],
        valid_from: datetime,
        valid_until: datetime | None = None,
    ) -> DataSharingAgreement | None:
        actor = _actor(info)
        if not domain.is_secretariat(actor):
            raise Forbidden(_NOT_ALLOWED)
        reference = validation.text(reference_number, "referenceNumber", max_length=80)
        name = validation.text(title, "title", max_length=200)
        try:
            named = domain.parties(parties)
            chosen_categories = domain.categories(categories)
            chosen_purposes = domain.purposes(purposes)
            start = _aware(valid_from, "validFrom")
            end = None if valid_until is None else _aware(valid_until, "validUntil")
            domain.validity(start, end)
        except domain.Rejected as error:
            raise _rejected(error) from None
        if not regions:
            raise BadUserInput("regions must name at least one region prefix", field="regions")
        prefixes = sorted({validation.region_code(r, "regions") for r in regions})
        now = _now()
        async with info.context.db.transaction() as conn:
            if await repository.agreement_reference_taken(conn, reference):
                raise BadUserInput(
                    "an agreement with this reference number exists", field="referenceNumber"
                )
            agreement_id = await repository.insert_agreement(
                conn,
                named,
                reference_number=reference,
                title=name,
                categories=chosen_categories,
                purposes=chosen_purposes,
                regions=prefixes,
                valid_from=start,
                valid_until=end,
                created_by=actor.subject,
                created_at=now,
            )
            record = await repository.agreement_by_id(conn, agreement_id)
        assert record is not None  # written in this transaction
        info.context.changed("DataSharingAgreement", agreement_id, "created")
        return DataSharingAgreement.from_record(record, now)

    @strawberry.mutation(
        description="Amend an agreement in force (an addendum): each argument given replaces that part; the secretariat only. Parties and the start stay: a new party is a new agreement."
    )
    async def amend_agreement(
        self,
        info: Info,
        agreement_id: strawberry.ID,
        title: str | None = None,
        categories: list[str] | None = None,
        purposes: list[str] | None = None,
        regions: list[str] | None = None,
        valid_until: Annotated[
            datetime | None,
            strawberry.argument(description="A new end, in the future; endAgreement ends it now."),
        ] = None,
    ) -> DataSharingAgreement | None:
        actor = _actor(info)
        if not domain.is_secretariat(actor):
            raise Forbidden(_NOT_ALLOWED)
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = validation.text(title, "title", max_length=200)
        try:
            if categories is not None:
                changes["categories"] = domain.categories(categories)
            if purposes is not None:
                changes["purposes"] = domain.purposes(purposes)
            end = None if valid_until is None else _aware(valid_until, "validUntil")
        except domain.Rejected as error:
            raise _rejected(error) from None
        if regions is not None:
            if not regions:
                raise BadUserInput("regions must name at least one region prefix", field="regions")
            changes["regions"] = sorted({validation.region_code(r, "regions") for r in regions})
        now = _now()
        if end is not None:
            if end <= now:
                raise BadUserInput(
                    "validUntil must be in the future (endAgreement ends it now)",
                    field="validUntil",
                )
            changes["valid_until"] = end
        if not changes:
            raise BadUserInput("nothing to amend", field="agreementId")
        row_id = _row_id(agreement_id)
        async with info.context.db.transaction() as conn:
            record = (
                None
                if row_id is None
                else await repository.agreement_by_id(conn, row_id, for_update=True)
            )
            if record is None:
                raise NotFound("no agreement has this id", field="agreementId")
            if record.ended_at is not None or (
                record.valid_until is not None and record.valid_until <= now
            ):
                raise InvalidTransition(
                    "the agreement has ended: record a new one", field="agreementId"
                )
            if end is not None:
                try:
                    domain.validity(record.valid_from, end)
                except domain.Rejected as error:
                    raise _rejected(error) from None
            await repository.amend_agreement(conn, record.id, **changes)
            amended = await repository.agreement_by_id(conn, record.id)
        assert amended is not None
        info.context.changed("DataSharingAgreement", record.id, "amended")
        return DataSharingAgreement.from_record(amended, now)

    @strawberry.mutation(
        description="End an agreement now (its validity ends at this instant); the secretariat only."
    )
    async def end_agreement(
        self, info: Info, agreement_id: strawberry.ID
    ) -> DataSharingAgreement | None:
        actor = _actor(info)
        if not domain.is_secretariat(actor):
            raise Forbidden(_NOT_ALLOWED)
        row_id = _row_id(agreement_id)
        now = _now()
        async with info.context.db.transaction() as conn:
            record = (
                None
                if row_id is None
                else await repository.agreement_by_id(conn, row_id, for_update=True)
            )
            if record is None:
                raise NotFound("no agreement has this id", field="agreementId")
            if record.ended_at is not None or (
                record.valid_until is not None and record.valid_until <= now
            ):
                raise InvalidTransition("the agreement has already ended", field="agreementId")
            # One not yet begun ends empty: validUntil = validFrom covers no instant.
            await repository.end_agreement(
                conn, record.id, actor.subject, now, max(now, record.valid_from)
            )
            ended = await repository.agreement_by_id(conn, record.id)
        assert ended is not None
        info.context.changed("DataSharingAgreement", record.id, "ended")
        return DataSharingAgreement.from_record(ended, now)

    @strawberry.mutation(
        description="Ask for emergency access to one child (Dinsos officer, Sakti Peksos, Balai caseworker or supervisor, PKH coordinator): justified, at most 24 hours, flagged for review. The gateway honours it only for a child in the officer's jurisdiction."
    )
    async def request_break_glass(
        self,
        info: Info,
        child_id: strawberry.ID,
        justification: str,
        expires_at: Annotated[
            datetime, strawberry.argument(description="At most 24 hours from now.")
        ],
    ) -> BreakGlassGrant | None:
        actor = _actor(info)
        if not domain.may_request_break_glass(actor):
            raise Forbidden(_NOT_ALLOWED)
        now = _now()
        try:
            child = domain.child_id(str(child_id))
            until = _aware(expires_at, "expiresAt")
            domain.break_glass_expiry(now, until)
        except domain.Rejected as error:
            raise _rejected(error) from None
        reason = validation.text(justification, "justification", max_length=2000)
        async with info.context.db.transaction() as conn:
            grant_id = await repository.insert_grant(
                conn,
                user_subject=actor.subject,
                role=actor.role,
                unit=actor.unit,
                child_id=child,
                justification=reason,
                created_at=now,
                expires_at=until,
            )
            record = await repository.grant_by_id(conn, grant_id)
        assert record is not None
        info.context.changed("BreakGlassGrant", grant_id, "requested")
        return BreakGlassGrant.from_record(record, now)

    @strawberry.mutation(
        description="Review a pending break-glass grant: a Balai supervisor, for grants of the Balai's own staff (never their own)."
    )
    async def review_break_glass(
        self,
        info: Info,
        grant_id: strawberry.ID,
        decision: enums.Decision,
        note: str | None = None,
    ) -> BreakGlassGrant | None:
        actor = _actor(info)
        if actor.role != Role.BALAI_SUPERVISOR.value:
            raise Forbidden(_NOT_ALLOWED)
        review_note = _optional_text(note, "note", 2000)
        row_id = _row_id(grant_id)
        now = _now()
        async with info.context.db.transaction() as conn:
            grant = (
                None
                if row_id is None
                else await repository.grant_by_id(conn, row_id, for_update=True)
            )
            if grant is None or not domain.may_review(actor, grant):
                raise Forbidden(_NOT_ALLOWED)
            if grant.review_state is not domain.ReviewState.PENDING:
                raise InvalidTransition("the grant has already been reviewed", field="grantId")
            state = domain.ReviewState(decision.value)
            await repository.review_grant(conn, grant.id, state, actor.subject, now, review_note)
            record = await repository.grant_by_id(conn, grant.id)
        assert record is not None
        info.context.changed("BreakGlassGrant", grant.id, f"reviewed: {decision.name}")
        return BreakGlassGrant.from_record(record, now)

    @strawberry.mutation(
        description="Switch a child's guardian view of the access log on or off, with the reason (off where the guardian is suspected of the abuse): a Dinsos officer, a Sakti Peksos or a Balai supervisor."
    )
    async def set_guardian_access_view(
        self, info: Info, child_id: strawberry.ID, enabled: bool, reason: str
    ) -> GuardianViewSetting | None:
        return await switch_guardian_view(info, child_id, enabled, reason)


def build_schema() -> SubgraphSchema:
    return federation_schema(Query, Mutation, types=[Child])
