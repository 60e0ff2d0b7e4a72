"""An answer that shows a configured type (`[audit] shown_identifiers`) shows its identifier: an
operation selecting a registry person's fields without its NIK is refused before it runs
(IDENTIFIER_REQUIRED), so the access log can name every person an answer showed. The rule over
direct selections, aliases, fragments, lists, abstract types and @skip/@include; and the gateway
refusing with the code (and only when the audit stage is configured with identifiers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from auth.grant import generate_key_pair
from gateway.audit.config import AuditConfig
from gateway.audit.required import IDENTIFIER_REQUIRED, identifier_rule
from gateway.config import GatewayConfig
from gateway.engine import Gateway, RequestError
from gateway.supergraph.reader import parse_supergraph
from tests.gateway.audit_schema import AUDIT_TEST_SCHEMA

ROOT = Path(__file__).resolve().parents[2]

SCHEMA = AUDIT_TEST_SCHEMA
RULE = identifier_rule(frozenset({"Person.nik"}))


def refusals(document: str, rule: Any = RULE) -> list[str]:
    """The refusals' messages (each carrying IDENTIFIER_REQUIRED); [] when the rule allows it."""
    errors = validate(SCHEMA, parse(document), [rule])
    assert all((e.extensions or {}).get("code") == IDENTIFIER_REQUIRED for e in errors)
    return [e.message for e in errors]


@pytest.mark.parametrize(
    "document",
    [
        '{ person(nik: "1") { nik name } }',
        '{ person(nik: "1") { id: nik n: name } }',  # aliases
        '{ person(nik: "1") { nik } }',
        '{ person(nik: "1") { __typename } }',  # the type alone shows nobody
        "{ people { name mother { nik name } nik } }",
        "{ families { kk members { nik name } } }",  # nested lists
        "{ families { kk } pets { name } code }",  # Family and Pet are not configured
        "query { people { ...P } } fragment P on Person { nik name }",
        "query { people { name ...N } } fragment N on Person { nik }",
        "query { people { name ... on Person { nik } } }",
        "query { people { ... { name } ... { ... { nik } } } }",
        "query { people { ...T nik } } fragment T on Thing { name }",
        # Abstract types: the identifier in a fragment on the configured type covers the fields
        # selected on the interface.
        "{ things { name ... on Person { nik } } }",
        "{ search { ... on Family { kk } } things { ... on Pet { name } } }",
        "{ search { __typename ... on Person { nik name } } }",
        # Conditions: an unconditional identifier covers everything; a conditional one the
        # fields under at least its conditions.
        "query($a: Boolean!) { people { nik name @include(if: $a) } }",
        "query($a: Boolean!) { people { name @include(if: $a) nik @include(if: $a) } }",
        "query($a: Boolean!) { people { ... @skip(if: $a) { nik name } } }",
        "query($a: Boolean!) { people { nik @skip(if: $a) ... @skip(if: $a) { name } } }",
        "query($a: Boolean!, $b: Boolean!) { people { nik @include(if: $a)"
        " ... @include(if: $b) { name @include(if: $a) } } }",
        "{ people { nik @skip(if: false) name } }",  # always included
        'query($a: Boolean!) { person(nik: "1") @include(if: $a) { nik name } }',
    ],
)
def test_allowed(document: str) -> None:
    assert refusals(document) == []


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ('{ person(nik: "1") { name } }', "name"),
        ('{ person(nik: "1") { n: name } }', "name"),  # an alias
        ('{ person(nik: "1") { nik: name } }', "name"),  # a key called nik is not the field
        ("{ people { nik mother { name } } }", "name"),  # each object on its own
        ("{ families { members { name otherNiks } } }", "name"),  # nested lists
        ("query { people { ...P } } fragment P on Person { name }", "name"),
        ("query { people { ... on Person { name } } }", "name"),
        ("query { people { ...T } } fragment T on Thing { name }", "name"),
        # Abstract types: a field selected on the interface is the configured type's field.
        ("{ things { name } }", "name"),
        ("{ things { name ... on Pet { nik } } }", "name"),  # Pet's nik is not Person's
        ("{ search { ... on Person { name } } }", "name"),
        (
            "query { search { ...R } } fragment R on Result { ... on Person { mother { nik } } }",
            "mother",
        ),
        # Conditions: an identifier that may be left out while the field is not.
        ("query($a: Boolean!) { people { nik @include(if: $a) name } }", "name"),
        ("query($a: Boolean!) { people { nik @include(if: $a) name @skip(if: $a) } }", "name"),
        ("query($a: Boolean!) { people { ... @include(if: $a) { nik } name } }", "name"),
        (
            "query($a: Boolean!) { people { ...N @include(if: $a) name } }"
            " fragment N on Person { nik }",
            "name",
        ),
        ("{ people { nik @skip(if: true) name } }", "name"),
        # Merged by the executor, but each selection is judged alone (conservative).
        ("{ people { name } people { nik } }", "name"),
    ],
)
def test_refused(document: str, field: str) -> None:
    (message,) = refusals(document)
    assert message.startswith(f"Person.{field} is selected without Person.nik")


def test_a_type_not_configured_is_not_checked() -> None:
    pet = identifier_rule(frozenset({"Pet.nik"}))
    assert refusals('{ person(nik: "1") { name } }', pet) == []
    (message,) = refusals("{ pets { name } }", pet)
    assert message.startswith("Pet.name is selected without Pet.nik")
    # Each configured type its own identifier; both in one document.
    both = identifier_rule(frozenset({"Person.nik", "Family.kk"}))
    assert len(refusals("{ families { members { name } } }", both)) == 2


def test_fragments_that_double_at_every_level_are_walked_once() -> None:
    fragments = " ".join(
        f"fragment F{i} on Person {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 40)
    )
    document = f"query {{ people {{ ...F39 }} }} fragment F0 on Person {{ name }} {fragments}"
    (message,) = refusals(document)  # 2**39 names if expanded: answered at once
    assert message.startswith("Person.name is selected without Person.nik")


# --- the gateway, over the real supergraph ------------------------------------------------------


def gateway(tmp_path: Path, **audit: Any) -> Gateway:
    private, public = tmp_path / "grant.pem", tmp_path / "grant.pub.pem"
    if not private.exists():
        generate_key_pair(private, public)
    raw: dict[str, Any] = {
        "url": "http://127.0.0.1:1/audit/append",
        "shown_identifiers": ["RegistryPerson.nik", "IdentityDecision.nik"],
        **audit,
    }
    supergraph = parse_supergraph((ROOT / "schema/supergraph.graphql").read_text())
    config = GatewayConfig(audit=AuditConfig.from_mapping(raw), grant_key=str(private))
    return Gateway(supergraph, config)


WITHOUT = """query($r: IdentityRecordInput!) { matchIdentity(record: $r) {
  candidates { score person { name birthDate motherName } } } }"""
WITH = """query($r: IdentityRecordInput!) { matchIdentity(record: $r) {
  candidates { score person { name birthDate motherName id: nik } } } }"""


def test_the_gateway_refuses_before_planning_with_the_code_and_where(tmp_path: Path) -> None:
    served = gateway(tmp_path)
    with pytest.raises(RequestError) as refused:
        served.prepare(WITHOUT, None)
    assert refused.value.code == IDENTIFIER_REQUIRED
    (error,) = refused.value.errors
    assert error["extensions"] == {"code": IDENTIFIER_REQUIRED}
    assert error["message"].startswith("RegistryPerson.name is selected without RegistryPerson.nik")
    assert error["locations"] == [{"line": 2, "column": 31}]  # the field `name`
    assert served.prepare(WITH, None).plan is not None
    # Decisions too: a mutation's answer is an answer.
    with pytest.raises(RequestError, match=r"IdentityDecision\.id is selected without"):
        served.prepare(
            'mutation { undoIdentityDecision(decisionId: "1", reason: "r") { id active } }', None
        )
    served.prepare(
        'mutation { undoIdentityDecision(decisionId: "1", reason: "r") { id nik active } }', None
    )


def test_without_identifiers_or_without_audit_nothing_is_refused(tmp_path: Path) -> None:
    assert gateway(tmp_path, shown_identifiers=[]).prepare(WITHOUT, None).plan is not None
    supergraph = parse_supergraph((ROOT / "schema/supergraph.graphql").read_text())
    assert Gateway(supergraph).prepare(WITHOUT, None).plan is not None
