"""Consent subgraph: guardian consents, agreements and break-glass — validation, write rights (with
row counts: a refusal writes nothing), the policy facts with and without "policy.facts",
revocation visible on the next request, and the officer-facing reads."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from auth.sample_users import SAMPLE_USERS_BY_ID
from subgraphs.common.identity import Identity
from subgraphs.consent import tables as t
from subgraphs.consent.service import SPEC
from tests.subgraphs.sample_identities import FACTS_ONLY, identity_of

pytestmark = pytest.mark.anyio

CHILD = "ANK000000003"
OTHER_CHILD = "ANK000000001"


def officer(user_id: str, purpose: str = "child.protection", *categories: str) -> Identity:
    """A sample user as the gateway's grant presents them (identity.* unless told otherwise)."""
    return identity_of(user_id, purpose, categories or ("identity.basic", "identity.full"))


def facts(identity: Identity) -> Identity:
    """The same officer as the gateway's policy step asks for them: a facts fetch."""
    return dataclasses.replace(identity, categories=FACTS_ONLY)


COORDINATOR = officer("pkh-coord-pekanbaru")
FACILITATOR = officer("pkh-fac-pekanbaru")
PEKSOS = officer("peksos-pekanbaru")
DINSOS = officer("dinsos-pekanbaru")
CASEWORKER = officer("balai-rumbai-unassigned")
ASSIGNED = officer("balai-rumbai-assigned")
SUPERVISOR = officer("balai-rumbai-supervisor")
ALYATAMA = officer("balai-alyatama")
DUKCAPIL = officer("disdukcapil-batam", "identity.resolution")
AUDITOR = officer("auditor", "audit")
SECRETARIAT = officer("secretariat", "data.sharing")


def iso(value: datetime) -> str:
    return value.isoformat()


def now() -> datetime:
    return datetime.now(UTC)


async def rows(client: Any, table: Any) -> int:
    async with client.db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


RECORD = """
mutation($child: ID!, $name: String!, $rel: ConsentGrantorRelationship!, $to: String!,
         $unit: String, $cats: [String!]!, $purposes: [String!]!, $from: DateTime!,
         $until: DateTime, $evidence: String) {
  recordConsent(childId: $child, grantorName: $name, grantorRelationship: $rel,
                recipientAgency: $to, recipientUnit: $unit, categories: $cats,
                purposes: $purposes, validFrom: $from, validUntil: $until,
                evidenceReference: $evidence) {
    id recipientAgency recipientUnit categories purposes validFrom validUntil revokedAt
    evidenceReference collectedBy collectingAgency collectingUnit inForce child { id }
  }
}
"""


def consent_args(**overrides: Any) -> dict[str, Any]:
    start = now() - timedelta(days=1)
    return {
        "child": CHILD,
        "name": "Rosmawati",
        "rel": "MOTHER",
        "to": "pkh",
        "unit": None,
        "cats": ["protection.summary"],
        "purposes": ["child.protection"],
        "from": iso(start),
        "until": iso(start + timedelta(days=365)),
        "evidence": None,
        **overrides,
    }


async def record(client: Any, identity: Identity = PEKSOS, **overrides: Any) -> dict[str, Any]:
    data, changes = await client.acting(identity).written(RECORD, **consent_args(**overrides))
    consent: dict[str, Any] = data["recordConsent"]
    assert changes == [("GuardianConsent", consent["id"], "recorded")]
    return consent


async def input_error(client: Any, identity: Identity, query: str, **variables: Any) -> str:
    body = await client.acting(identity).execute(query, **variables)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "extensions" not in body  # nothing written, nothing reported
    field: str = error["extensions"]["field"]
    return field


async def test_a_dinsos_officer_records_a_consent_to_pkh(make_client: Any) -> None:
    client = await make_client(SPEC)
    consent = await record(client, evidence="  ")
    assert consent["recipientAgency"] == "pkh"
    assert consent["categories"] == ["protection.summary"]
    assert consent["collectedBy"] == "peksos-pekanbaru"
    assert consent["collectingAgency"] == "dinsos"
    assert consent["collectingUnit"] == "DINSOS-14.71"
    assert consent["evidenceReference"] is None  # blank: not required, none kept
    assert consent["inForce"] is True and consent["revokedAt"] is None
    assert consent["child"] == {"id": CHILD}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cats": ["protection.summary", "gossip"]}, "categories"),
        ({"cats": []}, "categories"),
        ({"cats": ["audit.log"]}, "categories"),
        ({"purposes": ["marketing"]}, "purposes"),
        ({"purposes": ["audit"]}, "purposes"),
        ({"to": "inspektorat"}, "recipientAgency"),
        ({"unit": "pkh area 10"}, "recipientUnit"),
        ({"unit": "RUMBAI"}, "recipientUnit"),  # a Balai, not a unit of PKH
        ({"to": "balai", "unit": "PKH-14.71"}, "recipientUnit"),
        ({"child": "ANK 0001"}, "childId"),
        ({"name": "   "}, "grantorName"),
        ({"from": "2026-06-01T00:00:00+00:00", "until": "2026-05-31T00:00:00+00:00"}, "validUntil"),
        ({"from": "2026-06-01T00:00:00+00:00", "until": "2026-06-01T00:00:00+00:00"}, "validUntil"),
        ({"from": "2024-01-01T00:00:00+00:00", "until": "2025-01-01T00:00:00+00:00"}, "validUntil"),
        ({"from": "2026-06-01T00:00:00"}, "validFrom"),
    ],
)
async def test_record_consent_validation_names_the_field(
    make_client: Any, overrides: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    assert await input_error(client, PEKSOS, RECORD, **consent_args(**overrides)) == field
    assert await rows(client, t.guardian_consent) == 0


async def test_the_recipient_recording_a_consent_itself_needs_evidence(make_client: Any) -> None:
    client = await make_client(SPEC)
    assert await input_error(client, COORDINATOR, RECORD, **consent_args()) == "evidenceReference"
    assert await rows(client, t.guardian_consent) == 0
    consent = await record(client, COORDINATOR, evidence="PKH-1471/PSTJ/2026/0007")
    assert consent["evidenceReference"] == "PKH-1471/PSTJ/2026/0007"
    assert consent["collectingAgency"] == "pkh"


@pytest.mark.parametrize("identity", [None, DUKCAPIL, AUDITOR, SECRETARIAT])
async def test_only_pkh_dinsos_and_balai_record_consents(
    make_client: Any, identity: Identity | None
) -> None:
    client = await make_client(SPEC)
    # Even bad input is refused as FORBIDDEN first: a refusal does not help shape a request.
    for args in (consent_args(), consent_args(cats=["gossip"])):
        assert await client.acting(identity).error_codes(RECORD, **args) == ["FORBIDDEN"]
    assert await rows(client, t.guardian_consent) == 0


REVOKE = """
mutation($id: ID!) { revokeConsent(consentId: $id) { id revokedAt revokedBy inForce } }
"""


async def test_only_the_collecting_agency_revokes(make_client: Any) -> None:
    client = await make_client(SPEC)
    consent = await record(client, PEKSOS)
    for identity in (None, COORDINATOR, CASEWORKER, SECRETARIAT, AUDITOR):
        # The recipient (PKH) may not revoke what Dinsos collected; nor may anyone else.
        assert await client.acting(identity).error_codes(REVOKE, id=consent["id"]) == ["FORBIDDEN"]
    # An unknown consent answers exactly like another agency's: null and FORBIDDEN.
    unknown = await client.acting(PEKSOS).execute(REVOKE, id="999")
    other = await client.acting(COORDINATOR).execute(REVOKE, id=consent["id"])
    assert unknown["errors"][0]["message"] == other["errors"][0]["message"]
    assert unknown["data"] == other["data"] == {"revokeConsent": None}
    assert "extensions" not in unknown and "extensions" not in other
    async with client.db.connect() as conn:
        revoked = (await conn.execute(select(t.guardian_consent.c.revoked_at))).scalar_one()
    assert revoked is None
    # Another officer of the collecting agency may.
    data, changes = await client.acting(DINSOS).written(REVOKE, id=consent["id"])
    assert changes == [("GuardianConsent", consent["id"], "revoked")]
    done = data["revokeConsent"]
    assert done["revokedBy"] == "dinsos-pekanbaru" and done["inForce"] is False
    assert await client.acting(PEKSOS).error_codes(REVOKE, id=consent["id"]) == [
        "INVALID_TRANSITION"
    ]


POLICY_CONSENTS = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Child { id policyConsents { consentId recipientAgency recipientUnit categories
                                       purposes validFrom validUntil revokedAt } }
  }
}
"""


def reps(*child_ids: str) -> list[dict[str, str]]:
    return [{"__typename": "Child", "id": c} for c in child_ids]


async def test_policy_consents_need_policy_facts(make_client: Any) -> None:
    client = await make_client(SPEC)
    await record(client)
    for identity in (None, COORDINATOR, officer("pkh-coord-pekanbaru", "x", "identity.full")):
        body = await client.acting(identity).execute(POLICY_CONSENTS, reps=reps(CHILD))
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert body["data"]["_entities"] in ([None], None)


async def test_revocation_applies_from_the_next_request(make_client: Any) -> None:
    client = await make_client(SPEC)
    consent = await record(client)
    asking = client.acting(facts(COORDINATOR))
    (before,) = (await asking.data(POLICY_CONSENTS, reps=reps(CHILD)))["_entities"]
    assert [c["consentId"] for c in before["policyConsents"]] == [consent["id"]]
    assert before["policyConsents"][0]["revokedAt"] is None
    await client.acting(PEKSOS).data(REVOKE, id=consent["id"])
    (after,) = (await asking.data(POLICY_CONSENTS, reps=reps(CHILD)))["_entities"]
    assert after["policyConsents"][0]["revokedAt"] is not None


async def test_policy_consents_are_those_to_the_asking_agency_in_one_query(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    to_pkh = await record(client)
    await record(client, to="balai", unit="RUMBAI")
    on_other = await record(client, child=OTHER_CHILD, unit="PKH-14.71")
    before = client.db.statements_executed
    data = await client.acting(facts(COORDINATOR)).data(
        POLICY_CONSENTS, reps=reps(CHILD, OTHER_CHILD, "ANK000000099")
    )
    assert client.db.statements_executed - before == 1  # one query for every child
    by_child = {e["id"]: e["policyConsents"] for e in data["_entities"]}
    assert [c["consentId"] for c in by_child[CHILD]] == [to_pkh["id"]]
    assert [c["consentId"] for c in by_child[OTHER_CHILD]] == [on_other["id"]]
    assert by_child[OTHER_CHILD][0]["recipientUnit"] == "PKH-14.71"
    assert by_child["ANK000000099"] == []
    balai = await client.acting(facts(CASEWORKER)).data(POLICY_CONSENTS, reps=reps(CHILD))
    assert [c["recipientUnit"] for c in balai["_entities"][0]["policyConsents"]] == ["RUMBAI"]


CONSENTS = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Child { consents { id recipientAgency } } }
}
"""


async def test_officers_see_consents_their_agency_collected_or_receives(make_client: Any) -> None:
    client = await make_client(SPEC)
    to_pkh = await record(client)  # collected by Dinsos
    to_balai = await record(client, to="balai")  # collected by Dinsos

    async def seen(identity: Identity | None) -> Any:
        body = await client.acting(identity).execute(CONSENTS, reps=reps(CHILD))
        entity = body["data"]["_entities"][0]
        return (
            None
            if entity is None or entity["consents"] is None
            else [c["id"] for c in entity["consents"]]
        )

    assert await seen(PEKSOS) == [to_pkh["id"], to_balai["id"]]
    assert await seen(COORDINATOR) == [to_pkh["id"]]
    assert await seen(CASEWORKER) == [to_balai["id"]]
    assert await seen(DUKCAPIL) == []
    assert await seen(None) is None


AGREEMENT = """
mutation($ref: String!, $title: String!, $parties: [String!]!, $cats: [String!]!,
         $purposes: [String!]!, $regions: [String!]!, $from: DateTime!, $until: DateTime) {
  createAgreement(referenceNumber: $ref, title: $title, parties: $parties, categories: $cats,
                  purposes: $purposes, regions: $regions, validFrom: $from, validUntil: $until) {
    id referenceNumber parties categories purposes regions validFrom validUntil createdBy inForce
  }
}
"""


def agreement_args(**overrides: Any) -> dict[str, Any]:
    start = now() - timedelta(days=30)
    return {
        "ref": "PKS/RUMBAI-SWL/2026/01",
        "title": "PKS Balai Rumbai – Dinsos Kota Sawahlunto",
        "parties": ["RUMBAI", "DINSOS-13.73"],
        "cats": ["welfare.registry", "dinsos.complaints"],
        "purposes": ["case.management", "child.protection"],
        "regions": ["1373"],
        "from": iso(start),
        "until": iso(start + timedelta(days=730)),
        **overrides,
    }


async def create_agreement(client: Any, **overrides: Any) -> dict[str, Any]:
    data, changes = await client.acting(SECRETARIAT).written(
        AGREEMENT, **agreement_args(**overrides)
    )
    agreement: dict[str, Any] = data["createAgreement"]
    assert changes == [("DataSharingAgreement", agreement["id"], "created")]
    return agreement


async def test_the_secretariat_records_an_agreement(make_client: Any) -> None:
    client = await make_client(SPEC)
    agreement = await create_agreement(client)
    assert agreement["parties"] == ["DINSOS-13.73", "RUMBAI"]
    assert agreement["regions"] == ["13.73"]
    assert agreement["createdBy"] == "secretariat" and agreement["inForce"] is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"parties": ["RUMBAI"]}, "parties"),
        ({"parties": ["RUMBAI", "RUMBAI"]}, "parties"),
        ({"parties": ["RUMBAI", "inspektorat"]}, "parties"),
        ({"cats": ["protection.everything"]}, "categories"),
        ({"purposes": ["statistics"]}, "purposes"),
        ({"regions": ["99"]}, "regions"),
        ({"regions": []}, "regions"),
        ({"ref": " "}, "referenceNumber"),
        ({"title": ""}, "title"),
        ({"from": "2026-06-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "validUntil"),
    ],
)
async def test_create_agreement_validation_names_the_field(
    make_client: Any, overrides: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    assert await input_error(client, SECRETARIAT, AGREEMENT, **agreement_args(**overrides)) == field
    assert await rows(client, t.data_sharing_agreement) == 0
    assert await rows(client, t.agreement_party) == 0


async def test_a_reference_number_is_used_once(make_client: Any) -> None:
    client = await make_client(SPEC)
    await create_agreement(client)
    assert await input_error(client, SECRETARIAT, AGREEMENT, **agreement_args()) == (
        "referenceNumber"
    )
    assert await rows(client, t.data_sharing_agreement) == 1


END = "mutation($id: ID!) { endAgreement(agreementId: $id) { id validUntil endedBy inForce } }"


@pytest.mark.parametrize("identity", [None, SUPERVISOR, DINSOS, AUDITOR, COORDINATOR])
async def test_only_the_secretariat_writes_agreements(
    make_client: Any, identity: Identity | None
) -> None:
    client = await make_client(SPEC)
    agreement = await create_agreement(client)
    assert await client.acting(identity).error_codes(AGREEMENT, **agreement_args(ref="X/1")) == [
        "FORBIDDEN"
    ]
    assert await client.acting(identity).error_codes(END, id=agreement["id"]) == ["FORBIDDEN"]
    assert await rows(client, t.data_sharing_agreement) == 1
    assert await rows(client, t.agreement_party) == 2
    async with client.db.connect() as conn:
        ended = (await conn.execute(select(t.data_sharing_agreement.c.ended_at))).scalar_one()
    assert ended is None


async def test_ending_an_agreement_ends_its_validity_now(make_client: Any) -> None:
    client = await make_client(SPEC)
    agreement = await create_agreement(client)
    data, changes = await client.acting(SECRETARIAT).written(END, id=agreement["id"])
    assert changes == [("DataSharingAgreement", agreement["id"], "ended")]
    ended = data["endAgreement"]
    assert ended["inForce"] is False and ended["endedBy"] == "secretariat"
    assert datetime.fromisoformat(ended["validUntil"]) <= now()
    assert await client.acting(SECRETARIAT).error_codes(END, id=agreement["id"]) == [
        "INVALID_TRANSITION"
    ]
    assert await client.acting(SECRETARIAT).error_codes(END, id="77") == ["NOT_FOUND"]
    # One that has not begun ends empty.
    later = await create_agreement(
        client, ref="X/2", **{"from": iso(now() + timedelta(days=3)), "until": None}
    )
    empty = (await client.acting(SECRETARIAT).data(END, id=later["id"]))["endAgreement"]
    assert empty["validUntil"] is not None and empty["inForce"] is False


AGREEMENTS = "{ agreements { referenceNumber } }"
POLICY_AGREEMENTS = "{ policyAgreements { agreementId parties regions validFrom validUntil } }"


async def test_agreements_are_read_by_the_secretariat_and_the_parties(make_client: Any) -> None:
    client = await make_client(SPEC)
    await create_agreement(client)
    await create_agreement(
        client, ref="PKS/BALAI/2026/02", parties=["RUMBAI", "ALYATAMA"], regions=["14", "15"]
    )
    await create_agreement(client, ref="MOU/DINSOS/2026/03", parties=["dinsos", "pkh"])

    async def refs(identity: Identity | None, query: str = AGREEMENTS) -> Any:
        body = await client.acting(identity).execute(query)
        if "errors" in body:
            return [e["extensions"]["code"] for e in body["errors"]]
        return sorted(a["referenceNumber"] for a in body["data"]["agreements"])

    assert await refs(SECRETARIAT) == [
        "MOU/DINSOS/2026/03", "PKS/BALAI/2026/02", "PKS/RUMBAI-SWL/2026/01",
    ]  # fmt: skip
    assert await refs(CASEWORKER) == ["PKS/BALAI/2026/02", "PKS/RUMBAI-SWL/2026/01"]
    assert await refs(ALYATAMA) == ["PKS/BALAI/2026/02"]
    assert await refs(PEKSOS) == ["MOU/DINSOS/2026/03"]  # by agency name
    assert await refs(AUDITOR) == []
    assert await refs(None) == ["FORBIDDEN"]
    one = await client.acting(ALYATAMA).data('{ agreement(id: "1") { id } }')
    assert one == {"agreement": None}  # not a party: as if unknown


async def test_policy_agreements_need_policy_facts_and_name_the_party(make_client: Any) -> None:
    client = await make_client(SPEC)
    await create_agreement(client)
    await create_agreement(client, ref="P/2", parties=["RUMBAI", "ALYATAMA"], regions=["14"])
    assert await client.acting(CASEWORKER).error_codes(POLICY_AGREEMENTS) == ["FORBIDDEN"]
    assert await client.acting(None).error_codes(POLICY_AGREEMENTS) == ["FORBIDDEN"]
    data = await client.acting(facts(CASEWORKER)).data(POLICY_AGREEMENTS)
    assert [a["parties"] for a in data["policyAgreements"]] == [
        ["DINSOS-13.73", "RUMBAI"],
        ["ALYATAMA", "RUMBAI"],
    ]
    alyatama = await client.acting(facts(ALYATAMA)).data(POLICY_AGREEMENTS)
    assert [a["regions"] for a in alyatama["policyAgreements"]] == [["14"]]


BREAK_GLASS = """
mutation($child: ID!, $why: String!, $until: DateTime!) {
  requestBreakGlass(childId: $child, justification: $why, expiresAt: $until) {
    id userSubject role unit justification createdAt expiresAt reviewState inForce child { id }
  }
}
"""


def glass_args(**overrides: Any) -> dict[str, Any]:
    return {
        "child": CHILD,
        "why": "Child reported missing from the LKSA tonight; family contacts needed.",
        "until": iso(now() + timedelta(hours=8)),
        **overrides,
    }


async def request_glass(client: Any, identity: Identity, **overrides: Any) -> dict[str, Any]:
    data, changes = await client.acting(identity).written(BREAK_GLASS, **glass_args(**overrides))
    grant: dict[str, Any] = data["requestBreakGlass"]
    assert changes == [("BreakGlassGrant", grant["id"], "requested")]
    return grant


@pytest.mark.parametrize("user", [CASEWORKER, SUPERVISOR, PEKSOS, DINSOS, COORDINATOR])
async def test_break_glass_roles_request_it(make_client: Any, user: Identity) -> None:
    client = await make_client(SPEC)
    grant = await request_glass(client, user)
    assert (grant["userSubject"], grant["role"], grant["unit"]) == (
        user.subject,
        user.role,
        user.unit,
    )
    assert grant["reviewState"] == "PENDING" and grant["inForce"] is True


@pytest.mark.parametrize("identity", [None, FACILITATOR, DUKCAPIL, AUDITOR, SECRETARIAT])
async def test_other_roles_may_not_break_glass(make_client: Any, identity: Identity | None) -> None:
    client = await make_client(SPEC)
    body = await client.acting(identity).execute(BREAK_GLASS, **glass_args())
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert "extensions" not in body  # refused: nothing reported
    assert await rows(client, t.break_glass_grant) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"why": "   "}, "justification"),
        # An expiry is a time from now when the request is made, not when the tests are
        # collected: a slow run (17 minutes once) had brought "24 h 5 min ahead" under 24 h.
        ({"until": timedelta(hours=24, minutes=5)}, "expiresAt"),
        ({"until": -timedelta(minutes=1)}, "expiresAt"),
        ({"child": ""}, "childId"),
    ],
)
async def test_break_glass_validation_names_the_field(
    make_client: Any, overrides: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    values = {k: iso(now() + v) if isinstance(v, timedelta) else v for k, v in overrides.items()}
    assert await input_error(client, CASEWORKER, BREAK_GLASS, **glass_args(**values)) == field
    assert await rows(client, t.break_glass_grant) == 0


REVIEW = """
mutation($id: ID!, $decision: BreakGlassDecision!, $note: String) {
  reviewBreakGlass(grantId: $id, decision: $decision, note: $note) {
    id reviewState reviewedBy reviewNote inForce
  }
}
"""


async def test_a_supervisor_of_the_requesters_balai_reviews(make_client: Any) -> None:
    client = await make_client(SPEC)
    grant = await request_glass(client, CASEWORKER)
    own = await request_glass(client, SUPERVISOR)
    dinsos = await request_glass(client, PEKSOS)
    supervisor_elsewhere = dataclasses.replace(ALYATAMA, role="balai_supervisor", subject="sup-2")
    for identity, grant_id in (
        (None, grant["id"]),
        (CASEWORKER, grant["id"]),  # a caseworker is no reviewer
        (ASSIGNED, grant["id"]),
        (supervisor_elsewhere, grant["id"]),  # another Balai's supervisor
        (SUPERVISOR, own["id"]),  # never one's own
        (SUPERVISOR, dinsos["id"]),  # Dinsos has no supervisor role yet: nobody reviews it
        (SUPERVISOR, "4242"),
    ):
        assert await client.acting(identity).error_codes(
            REVIEW, id=grant_id, decision="APPROVED", note=None
        ) == ["FORBIDDEN"], (identity, grant_id)
    async with client.db.connect() as conn:
        states = set((await conn.execute(select(t.break_glass_grant.c.review_state))).scalars())
    assert states == {"PENDING"}
    done, changes = await client.acting(SUPERVISOR).written(
        REVIEW, id=grant["id"], decision="REJECTED", note="No emergency: use the case conference."
    )
    assert changes == [("BreakGlassGrant", grant["id"], "reviewed: REJECTED")]
    assert done["reviewBreakGlass"]["reviewState"] == "REJECTED"
    assert done["reviewBreakGlass"]["reviewedBy"] == "balai-rumbai-supervisor"
    assert done["reviewBreakGlass"]["inForce"] is False
    assert await client.acting(SUPERVISOR).error_codes(
        REVIEW, id=grant["id"], decision="APPROVED", note=None
    ) == ["INVALID_TRANSITION"]


POLICY_GLASS = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Child { id policyBreakGlass { grantId userSubject createdAt expiresAt } }
  }
}
"""


async def test_policy_break_glass_is_the_asking_users_own_and_not_rejected(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    mine = await request_glass(client, CASEWORKER)
    rejected = await request_glass(client, CASEWORKER, why="Second try.")
    await request_glass(client, ASSIGNED)
    await client.acting(SUPERVISOR).data(REVIEW, id=rejected["id"], decision="REJECTED", note="")
    assert await client.acting(CASEWORKER).error_codes(POLICY_GLASS, reps=reps(CHILD)) == [
        "FORBIDDEN"
    ]
    data = await client.acting(facts(CASEWORKER)).data(POLICY_GLASS, reps=reps(CHILD, OTHER_CHILD))
    by_child = {e["id"]: e["policyBreakGlass"] for e in data["_entities"]}
    assert [g["grantId"] for g in by_child[CHILD]] == [mine["id"]]
    assert by_child[CHILD][0]["userSubject"] == "balai-rumbai-unassigned"
    assert by_child[OTHER_CHILD] == []


GRANTS = "query($state: BreakGlassReviewState) { breakGlassGrants(reviewState: $state) { id } }"


async def test_break_glass_grants_are_read_by_the_requester_and_the_reviewer(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    caseworker = await request_glass(client, CASEWORKER)
    peksos = await request_glass(client, PEKSOS)
    alyatama = await request_glass(client, ALYATAMA)

    async def ids(identity: Identity | None, state: str | None = None) -> Any:
        body = await client.acting(identity).execute(GRANTS, state=state)
        if "errors" in body:
            return [e["extensions"]["code"] for e in body["errors"]]
        return [g["id"] for g in body["data"]["breakGlassGrants"]]

    assert await ids(CASEWORKER) == [caseworker["id"]]
    assert await ids(PEKSOS) == [peksos["id"]]
    assert await ids(SUPERVISOR) == [caseworker["id"]]  # own Balai's staff only
    assert await ids(SUPERVISOR, "APPROVED") == []
    assert await ids(ALYATAMA) == [alyatama["id"]]
    assert await ids(COORDINATOR) == []
    assert await ids(None) == ["FORBIDDEN"]


# --- the seeded cases ---------------------------------------------------------------------------

SEEDED_AT = datetime(2026, 12, 4, 8, 30, 15, tzinfo=UTC)


def seeded_rows(at: datetime | None = SEEDED_AT) -> dict[str, list[tuple[Any, ...]]]:
    from satu_anak.synthetic.world import generate

    chunk = next(generate(6, 42, now=at))
    return {table: rows for table, rows in chunk.rows["consent"].items()}


def test_seeds_are_deterministic_but_for_the_grant_in_force() -> None:
    assert seeded_rows() == seeded_rows()
    later = seeded_rows(SEEDED_AT + timedelta(days=3))
    for table in ("guardian_consent", "data_sharing_agreement", "agreement_party"):
        assert later[table] == seeded_rows()[table]
    assert later["break_glass_grant"][1:] == seeded_rows()["break_glass_grant"][1:]
    assert later["break_glass_grant"][0] != seeded_rows()["break_glass_grant"][0]
    assert seeded_rows(None) == seeded_rows(None)  # without a moment: REFERENCE_DATE


async def load_seeds(client: Any, at: datetime = SEEDED_AT) -> None:
    from sqlalchemy import insert

    from satu_anak.synthetic.world import COLUMNS

    rows = seeded_rows(at)
    async with client.db.transaction() as conn:
        for table in SPEC.metadata.sorted_tables:
            columns = COLUMNS["consent"][table.name]
            records = [dict(zip(columns, row, strict=True)) for row in rows[table.name]]
            await conn.execute(insert(table), records)


async def test_seeded_consents_the_coordinator_relies_on(make_client: Any) -> None:
    client = await make_client(SPEC)
    await load_seeds(client)
    data = await client.acting(facts(COORDINATOR)).data(POLICY_CONSENTS, reps=reps(CHILD))
    consents = {c["consentId"]: c for c in data["_entities"][0]["policyConsents"]}
    assert set(consents) == {"1", "2", "3"}
    for consent in consents.values():
        assert consent["categories"] == ["protection.summary"]
        assert consent["purposes"] == ["child.protection"]
        assert consent["recipientAgency"] == "pkh" and consent["revokedAt"] is None
    assert consents["1"]["recipientUnit"] == "PKH-14.71.07"  # not the coordinator's unit
    assert consents["2"]["validUntil"] < SEEDED_AT.isoformat()  # expired
    assert consents["3"]["recipientUnit"] is None
    assert consents["3"]["validUntil"] > SEEDED_AT.isoformat()
    # The README's revocation: consent 3, collected by PKH, revoked by the coordinator.
    done = await client.acting(COORDINATOR).data(REVOKE, id="3")
    assert done["revokeConsent"]["inForce"] is False
    data = await client.acting(facts(COORDINATOR)).data(POLICY_CONSENTS, reps=reps(CHILD))
    revoked = {c["consentId"]: c["revokedAt"] for c in data["_entities"][0]["policyConsents"]}
    assert revoked["3"] is not None and revoked["1"] is None


async def test_seeded_agreements_and_break_glass(make_client: Any) -> None:
    client = await make_client(SPEC)
    await load_seeds(client)
    rumbai = await client.acting(facts(CASEWORKER)).data(POLICY_AGREEMENTS)
    assert [(a["parties"], a["regions"]) for a in rumbai["policyAgreements"]] == [
        (["ALYATAMA", "RUMBAI"], ["13", "14", "15", "18", "21"]),
        (["ALYATAMA", "RUMBAI"], ["13", "14", "15", "18", "21"]),
        (["DINSOS-13.73", "RUMBAI"], ["13.73"]),
    ]
    in_force = [a["validUntil"] > SEEDED_AT.isoformat() for a in rumbai["policyAgreements"]]
    assert in_force == [True, False, True]
    sawahlunto = officer("dinsos-pekanbaru")
    sawahlunto = dataclasses.replace(sawahlunto, unit="DINSOS-13.73", regions=("13.73",))
    assert (
        len((await client.acting(facts(sawahlunto)).data(POLICY_AGREEMENTS))["policyAgreements"])
        == 1
    )

    data = await client.acting(facts(CASEWORKER)).data(POLICY_GLASS, reps=reps(OTHER_CHILD, CHILD))
    (active,), (expired,) = (e["policyBreakGlass"] for e in data["_entities"])
    assert datetime.fromisoformat(active["createdAt"]) <= SEEDED_AT
    assert datetime.fromisoformat(active["expiresAt"]) > SEEDED_AT + timedelta(hours=22)
    assert datetime.fromisoformat(expired["expiresAt"]) < SEEDED_AT
    # Only the grant holder's: another Rumbai caseworker sees none of them as facts.
    other = await client.acting(facts(ASSIGNED)).data(POLICY_GLASS, reps=reps(OTHER_CHILD))
    assert other["_entities"][0]["policyBreakGlass"] == []
    # The supervisor has the pending one to review.
    pending = await client.acting(SUPERVISOR).data(GRANTS, state="PENDING")
    assert pending["breakGlassGrants"] == [{"id": "1"}]


async def test_the_loader_writes_the_seeds_readably(tmp_path: Any) -> None:
    from satu_anak.synthetic.loader import SUBGRAPHS, seed
    from subgraphs.common.database import Database
    from subgraphs.common.settings import SubgraphSettings
    from subgraphs.consent import repository

    settings = {
        name: SubgraphSettings(name, f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}")
        for name in SUBGRAPHS
    }
    report = await seed(20, 42, settings, ground_truth_dir=tmp_path, now=SEEDED_AT)
    assert report.counts["consent"] == {
        "guardian_consent": 3,
        "data_sharing_agreement": 3,
        "agreement_party": 6,
        "break_glass_grant": 2,
    }
    assert 'revokeConsent(consentId: "3")' in report.summary()
    assert "2026-12-05 07:30 UTC" in report.summary()  # the grant in force: 23 h left
    db = Database(settings["consent"].database_url)
    try:
        async with db.connect() as conn:
            consents = await repository.consents_of_children(conn, [CHILD])
            grants = await repository.grants_of_user(conn, "balai-rumbai-unassigned", [OTHER_CHILD])
    finally:
        await db.dispose()
    assert [c.in_force(SEEDED_AT) for c in consents] == [True, False, True]
    assert grants[0].expires_at == datetime(2026, 12, 5, 7, 30, tzinfo=UTC)
    assert grants[0].in_force(SEEDED_AT)


# --- through the supergraph -----------------------------------------------------------------------


def test_clients_of_the_gateway_cannot_select_the_policy_facts() -> None:
    from pathlib import Path

    from graphql import parse, validate

    from gateway.engine import Gateway
    from gateway.supergraph import parse_supergraph

    sdl = (Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql").read_text()
    supergraph = parse_supergraph(sdl)
    api = supergraph.api_schema
    for facts_type in ("ConsentPolicyFacts", "BreakGlassPolicyFacts", "AgreementPolicyFacts"):
        assert facts_type not in api.type_map
    for query in (
        '{ child(id: "ANK000000003") { policyConsents { consentId } } }',
        '{ child(id: "ANK000000003") { policyBreakGlass { grantId } } }',
        "{ policyAgreements { agreementId } }",
    ):
        assert validate(api, parse(query)), query
    officer_query = '{ child(id: "ANK000000003") { name consents { id inForce } } }'
    assert validate(api, parse(officer_query)) == []
    plan = Gateway(supergraph).plan_text(officer_query)
    assert 'Fetch(service: "consent")' in plan and "policy" not in plan


AMEND = """
mutation($id: ID!, $title: String, $cats: [String!], $purposes: [String!], $regions: [String!],
         $until: DateTime) {
  amendAgreement(agreementId: $id, title: $title, categories: $cats, purposes: $purposes,
                 regions: $regions, validUntil: $until) {
    title categories purposes regions validUntil parties
  }
}
"""


async def test_the_secretariat_amends_an_agreement_in_force(make_client: Any) -> None:
    client = await make_client(SPEC)
    agreement = await create_agreement(client)
    until = now() + timedelta(days=90)
    amended, changes = await client.acting(SECRETARIAT).written(
        AMEND, id=agreement["id"], cats=["welfare.registry"], regions=["13.73", "14.71"],
        until=iso(until),
    )  # fmt: skip
    assert changes == [("DataSharingAgreement", agreement["id"], "amended")]
    assert amended["amendAgreement"]["categories"] == ["welfare.registry"]
    assert amended["amendAgreement"]["regions"] == ["13.73", "14.71"]
    assert amended["amendAgreement"]["parties"] == ["DINSOS-13.73", "RUMBAI"]
    assert datetime.fromisoformat(amended["amendAgreement"]["validUntil"]) == until
    assert amended["amendAgreement"]["title"] == agreement_args()["title"]  # not given: kept


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({}, "agreementId"),
        ({"cats": ["gossip"]}, "categories"),
        ({"purposes": []}, "purposes"),
        ({"regions": ["14.7"]}, "regions"),
        ({"title": " "}, "title"),
        ({"until": "2020-01-01T00:00:00Z"}, "validUntil"),
    ],
)
async def test_amend_agreement_validation_names_the_field(
    make_client: Any, variables: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    agreement = await create_agreement(client)
    assert await input_error(client, SECRETARIAT, AMEND, id=agreement["id"], **variables) == field


async def test_only_the_secretariat_amends_and_only_an_agreement_in_force(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    agreement = await create_agreement(client)
    for identity in (None, SUPERVISOR, PEKSOS):
        assert await client.acting(identity).error_codes(
            AMEND, id=agreement["id"], cats=["protection.detail"]
        ) == ["FORBIDDEN"]
    async with client.db.connect() as conn:
        stored = (await conn.execute(select(t.data_sharing_agreement.c.categories))).scalar_one()
    assert stored == "dinsos.complaints welfare.registry"
    await client.acting(SECRETARIAT).data(END, id=agreement["id"])
    assert await client.acting(SECRETARIAT).error_codes(
        AMEND, id=agreement["id"], title="Renewed"
    ) == ["INVALID_TRANSITION"]
    assert await client.acting(SECRETARIAT).error_codes(AMEND, id="404", title="X") == ["NOT_FOUND"]


# --- the seeded cases through the real policy (auth/policy) --------------------------------------

# What the other agencies answer about the seeded children (the default seed's stories), beside
# the registry's facts: enough for the policy to place them.
OTHER_FACTS: dict[str, dict[str, Any]] = {
    CHILD: {
        "policyRegion": "14.71.07.1006",
        "policyPkh": {
            "activeMember": True,
            "familyKkNumber": "1471070101230001",
            "familyRegionCode": "14.71.07.1006",
            "facilitatorId": "2",
        },
        "policyCases": [
            {"caseId": "1", "balaiCode": "ALYATAMA", "caseworkerId": "7", "open": False,
             "conflictWithLaw": False},
            {"caseId": "2", "balaiCode": "RUMBAI", "caseworkerId": "3", "open": True,
             "conflictWithLaw": False},
        ],
        "policyDinsos": {"responderIds": ["SP147104"], "conflictWithLaw": False},
    },
    OTHER_CHILD: {
        "policyRegion": "14.71.10.1004",
        "policyPkh": {
            "activeMember": True,
            "familyKkNumber": "1471100101190001",
            "familyRegionCode": "14.71.10.1004",
            "facilitatorId": "1",
        },
        "policyCases": [
            {"caseId": "3", "balaiCode": "RUMBAI", "caseworkerId": "3", "open": True,
             "conflictWithLaw": True},
        ],
        "policyDinsos": {"responderIds": [], "conflictWithLaw": False},
    },
}  # fmt: skip

SUBJECT_FACTS = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Child {
      id
      policyConsents { consentId recipientAgency recipientUnit categories purposes validFrom
                       validUntil revokedAt }
      policyBreakGlass { grantId userSubject createdAt expiresAt }
    }
  }
}
"""


async def decide(
    client: Any, user_id: str, purpose: str, child_id: str, categories: set[str]
) -> Any:
    """The real policy's decision about one seeded child, from the registry's real answer."""
    from auth.policy.gateway import load
    from auth.principal import principal_from_claims

    user = SAMPLE_USERS_BY_ID[user_id]
    asker = facts(officer(user_id, purpose))
    entity = (await client.acting(asker).data(SUBJECT_FACTS, reps=reps(child_id)))["_entities"][0]
    agreements = await client.acting(asker).data(POLICY_AGREEMENTS)
    subject = {"__typename": "Child", **entity, **OTHER_FACTS[child_id]}
    (decision,) = load().decide(
        principal_from_claims(user.claims()),
        purpose,
        [subject],
        agreements,
        frozenset(categories),
        SEEDED_AT + timedelta(minutes=5),
    )
    return decision


async def test_the_seeded_consent_lets_the_coordinator_see_the_summary_until_revoked(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    await load_seeds(client)
    before = await decide(
        client, "pkh-coord-pekanbaru", "child.protection", CHILD, {"protection.summary"}
    )
    assert before.visible and "protection.summary" in before.allowed
    await client.acting(COORDINATOR).data(REVOKE, id="3")
    after = await decide(
        client, "pkh-coord-pekanbaru", "child.protection", CHILD, {"protection.summary"}
    )
    assert "protection.summary" not in after.allowed
    assert after.denials["protection.summary"].code == "CONSENT_REQUIRED"


async def test_the_seeded_break_glass_lifts_the_consent_cells_for_its_holder_only(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    await load_seeds(client)
    wanted = {"welfare.registry"}
    holder = await decide(client, "balai-rumbai-unassigned", "case.management", OTHER_CHILD, wanted)
    assert "welfare.registry" in holder.allowed
    other = await decide(client, "balai-rumbai-assigned", "case.management", OTHER_CHILD, wanted)
    assert "welfare.registry" not in other.allowed
