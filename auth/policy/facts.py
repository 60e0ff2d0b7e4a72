"""The facts a decision is over, as the subgraphs' `@inaccessible` policy fields answer them.

Each dataclass mirrors one facts type of the contract; `from_graphql` builds it from the JSON a
subgraph answers (camelCase keys). A fact that is missing or malformed raises `FactsError`: the
caller must then deny the child altogether, since a missing fact (an ABH case, say) could be the
one that forbids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


class FactsError(ValueError):
    """A subgraph's facts answer lacks a field or has one of the wrong type."""


@dataclass(frozen=True, slots=True)
class PkhFacts:
    """The child's PKH family (KPM), from pkh's `Child.policyPkh`."""

    active_member: bool
    family_kk: str
    family_region: str | None
    facilitator_id: str | None

    @classmethod
    def from_graphql(cls, data: Mapping[str, object]) -> PkhFacts:
        return cls(
            active_member=_bool(data, "activeMember"),
            family_kk=_str(data, "familyKkNumber"),
            family_region=_opt_str(data, "familyRegionCode"),
            facilitator_id=_opt_str(data, "facilitatorId"),
        )


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """One ATENSI case of the child at a Balai, open or closed, from balai's `Child.policyCases`."""

    case_id: str
    balai: str
    caseworker_id: str | None
    open: bool
    conflict_with_law: bool

    @classmethod
    def from_graphql(cls, data: Mapping[str, object]) -> CaseFacts:
        return cls(
            case_id=_str(data, "caseId"),
            balai=_str(data, "balaiCode"),
            caseworker_id=_opt_str(data, "caseworkerId"),
            open=_bool(data, "open"),
            conflict_with_law=_bool(data, "conflictWithLaw"),
        )


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    """A guardian consent about the child, from consent's `Child.policyConsents`."""

    consent_id: str
    recipient_agency: str
    recipient_unit: str | None
    categories: frozenset[str]
    purposes: frozenset[str]
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_graphql(cls, data: Mapping[str, object]) -> ConsentFacts:
        return cls(
            consent_id=_str(data, "consentId"),
            recipient_agency=_str(data, "recipientAgency"),
            recipient_unit=_opt_str(data, "recipientUnit"),
            categories=frozenset(_strs(data, "categories")),
            purposes=frozenset(_strs(data, "purposes")),
            valid_from=_time(data, "validFrom"),
            valid_until=_opt_time(data, "validUntil"),
            revoked_at=_opt_time(data, "revokedAt"),
        )


@dataclass(frozen=True, slots=True)
class BreakGlassFacts:
    """One of the asking user's own break-glass grants for the child (consent's
    `Child.policyBreakGlass`)."""

    grant_id: str
    user_subject: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def from_graphql(cls, data: Mapping[str, object]) -> BreakGlassFacts:
        return cls(
            grant_id=_str(data, "grantId"),
            user_subject=_str(data, "userSubject"),
            created_at=_time(data, "createdAt"),
            expires_at=_time(data, "expiresAt"),
        )


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """A data-sharing agreement (MoU / PKS) naming the asking user's agency or unit as a party
    (consent's `Query.policyAgreements`): per request, not per child."""

    agreement_id: str
    parties: frozenset[str]  # agency names ("dinsos") or unit codes ("RUMBAI")
    categories: frozenset[str]
    purposes: frozenset[str]
    regions: tuple[str, ...]  # region-code prefixes
    valid_from: datetime
    valid_until: datetime | None

    @classmethod
    def from_graphql(cls, data: Mapping[str, object]) -> AgreementFacts:
        return cls(
            agreement_id=_str(data, "agreementId"),
            parties=frozenset(_strs(data, "parties")),
            categories=frozenset(_strs(data, "categories")),
            purposes=frozenset(_strs(data, "purposes")),
            regions=tuple(_strs(data, "regions")),
            valid_from=_time(data, "validFrom"),
            valid_until=_opt_time(data, "validUntil"),
        )

    @classmethod
    def list_from_graphql(cls, data: object) -> tuple[AgreementFacts, ...]:
        """The agreements of a `policyAgreements` answer (a list)."""
        return tuple(cls.from_graphql(item) for item in _objects(data, "policyAgreements"))


# Facts fields whose absence can only deny (they feed permits, never a forbid), so that the data
# beside the policies may name agencies that alone read them (data.toml `[facts]`).
OPTIONAL_FACTS = ("policyPkh",)


@dataclass(frozen=True, slots=True)
class ChildFacts:
    """Everything the policy knows about one child, gathered from every agency."""

    child_id: str
    region: str | None  # the child index's region code (Disdukcapil); None: unknown
    pkh: PkhFacts | None  # None: in no KPM
    cases: tuple[CaseFacts, ...]
    dinsos_responders: frozenset[str]
    dinsos_conflict_with_law: bool
    consents: tuple[ConsentFacts, ...]
    break_glass: tuple[BreakGlassFacts, ...]

    @classmethod
    def from_graphql(cls, entity: Mapping[str, object]) -> ChildFacts:
        """The facts of one `Child` as the gateway merges the subgraphs' `_entities` answers:
        `id` plus `policyRegion`, `policyPkh`, `policyCases`, `policyDinsos`, `policyConsents`,
        `policyBreakGlass`. Every key must be present (null only where the contract allows it)."""
        for key in ("policyRegion", "policyPkh"):
            if key not in entity:
                raise FactsError(key)
        pkh = entity["policyPkh"]
        dinsos = entity.get("policyDinsos")
        if not isinstance(dinsos, Mapping):
            raise FactsError("policyDinsos")
        return cls(
            child_id=_str(entity, "id"),
            region=_opt_str(entity, "policyRegion"),
            pkh=None if pkh is None else PkhFacts.from_graphql(_object(pkh, "policyPkh")),
            cases=tuple(
                CaseFacts.from_graphql(c)
                for c in _objects(entity.get("policyCases"), "policyCases")
            ),
            dinsos_responders=frozenset(_strs(dinsos, "responderIds")),
            dinsos_conflict_with_law=_bool(dinsos, "conflictWithLaw"),
            consents=tuple(
                ConsentFacts.from_graphql(c)
                for c in _objects(entity.get("policyConsents"), "policyConsents")
            ),
            break_glass=tuple(
                BreakGlassFacts.from_graphql(g)
                for g in _objects(entity.get("policyBreakGlass"), "policyBreakGlass")
            ),
        )


def _str(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise FactsError(key)
    return value


def _opt_str(data: Mapping[str, object], key: str) -> str | None:
    if key not in data:
        raise FactsError(key)
    value = data[key]
    if value is None:
        return None
    # Ids may come as JSON numbers from some subgraphs' `ID` fields.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise FactsError(key)
    return value


def _bool(data: Mapping[str, object], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise FactsError(key)
    return value


def _strs(data: Mapping[str, object], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list):
        raise FactsError(key)
    for item in value:
        if not isinstance(item, str):
            raise FactsError(key)
    return value


def _object(value: object, key: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise FactsError(key)
    return value


def _objects(value: object, key: str) -> Sequence[Mapping[str, object]]:
    if not isinstance(value, list):
        raise FactsError(key)
    for item in value:
        if not isinstance(item, dict) and not isinstance(item, Mapping):  # JSON: a dict
            raise FactsError(key)
    return value


def _parse_time(value: object, key: str) -> datetime:
    if not isinstance(value, str):
        raise FactsError(key)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FactsError(key) from None
    # A subgraph whose database keeps naive timestamps writes them in UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _time(data: Mapping[str, object], key: str) -> datetime:
    return _parse_time(data.get(key), key)


def _opt_time(data: Mapping[str, object], key: str) -> datetime | None:
    if key not in data:
        raise FactsError(key)
    value = data[key]
    return None if value is None else _parse_time(value, key)
