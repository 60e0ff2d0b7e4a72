"""Field metadata: each field's `@policy` (its data category), read through the policy spec's link."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import print_schema

from gateway.supergraph import FieldMetadata, Supergraph, SupergraphError, parse_supergraph
from subgraphs.common.federation import CATEGORIES

SUPERGRAPH = Path(__file__).parents[3] / "schema" / "supergraph.graphql"

# A small supergraph whose policy directive is imported as `@access`; `{link}`, `{policy}` and
# `{extra}` let a test link it another way.
TEMPLATE = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  {link}
{{
  query: Query
}}

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @{policy}(policies: [[{prefix}__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
{extra}

input join__ContextArgument {{ name: String! type: String! context: String! selection: join__FieldValue! }}
scalar join__FieldSet
scalar join__FieldValue
scalar link__Import
scalar {prefix}__Policy
enum link__Purpose {{ SECURITY EXECUTION }}

enum join__Graph {{
  RECORDS @join__graph(name: "records", url: "http://127.0.0.1:9001/graphql")
}}

type Query @join__type(graph: RECORDS) {{
  child(id: ID!): Child
  record(id: ID!): Record
}}

interface Record @join__type(graph: RECORDS) @{policy}(policies: [["records"]]) {{
  id: ID!
  note: String @{policy}(policies: [["notes"]])
}}

type Child implements Record @join__type(graph: RECORDS, key: "id") @{policy}(policies: [["children"]]) {{
  id: ID!
  note: String @{policy}(policies: [["notes"]])
  nik: String @{policy}(policies: [["identity.full"]])
  summary: String @{policy}(policies: [["protection.summary", "consent.given"], ["protection.detail"]])
  name: String
  secret: Secret
}}

scalar Secret @join__type(graph: RECORDS) @{policy}(policies: [["secrets"]])
"""

IMPORTED = (
    '@link(url: "https://specs.apollo.dev/policy/v0.1", import: [{name: "@policy", as: "@access"}], for: SECURITY)',
    "access",
    "policy",
)
RENAMED = ('@link(url: "https://specs.apollo.dev/policy/v0.1", as: "authz")', "authz", "authz")


def supergraph(link: str, policy: str, prefix: str, extra: str = "") -> Supergraph:
    return parse_supergraph(TEMPLATE.format(link=link, policy=policy, prefix=prefix, extra=extra))


@pytest.fixture(scope="module")
def ours() -> Supergraph:
    return parse_supergraph(SUPERGRAPH.read_text())


def test_a_field_carries_its_category(ours: Supergraph) -> None:
    nik = ours.field_metadata("Child", "nik")
    assert nik == FieldMetadata("Child", "nik", (("identity.full",),))
    assert nik.category == "identity.full"
    assert nik.categories == frozenset({"identity.full"})
    assert ours.field_metadata("Child", "name").category == "identity.basic"
    assert ours.field_metadata("Child", "pkh").category == "pkh.membership"
    assert ours.field_metadata("Child", "welfare").category == "welfare.registry"
    assert ours.field_metadata("AtensiCase", "assessments").category == "protection.detail"
    assert ours.field_metadata("RegistryPerson", "nik").category == "identity.full"


def test_a_field_without_policy_has_no_category(ours: Supergraph) -> None:
    child_id = ours.field_metadata("Child", "id")
    assert child_id == FieldMetadata("Child", "id", ())
    assert child_id.category is None and child_id.categories == frozenset()
    assert ours.field_metadata("Nothing", "here").policies == ()


def test_every_policy_in_our_supergraph_is_one_known_category(ours: Supergraph) -> None:
    applications = [
        line for line in SUPERGRAPH.read_text().splitlines() if '@policy(policies: [["' in line
    ]
    assert len(ours.policies) == len(applications) > 100
    for (type_name, field_name), policies in ours.policies.items():
        category = ours.field_metadata(type_name, field_name).category
        assert category in CATEGORIES, (type_name, field_name, policies)
    assert ours.type_policies == {}


@pytest.mark.parametrize("linked", [IMPORTED, RENAMED], ids=["imported-as", "link-as"])
def test_policy_is_found_under_the_name_its_link_gives(linked: tuple[str, str, str]) -> None:
    read = supergraph(*linked)
    assert read.field_metadata("Child", "nik").category == "identity.full"
    summary = read.field_metadata("Child", "summary")
    assert summary.policies == (("protection.summary", "consent.given"), ("protection.detail",))
    assert summary.category is None  # two alternatives: no single category
    assert summary.categories == {"protection.summary", "consent.given", "protection.detail"}
    assert read.field_metadata("Child", "name").policies == ()
    assert read.policies[("Record", "note")] == (("notes",),)  # interface fields too
    assert read.type_policies == {
        "Record": (("records",),),
        "Child": (("children",),),
        "Secret": (("secrets",),),
    }
    assert read.field_metadata("Child", "secret").policies == ()  # a type's own stays apart
    assert f"@{linked[1]}" not in print_schema(read.api_schema)  # machinery, not the client's


def test_a_directive_named_policy_that_the_link_does_not_name_is_not_read() -> None:
    link, _, prefix = RENAMED  # the spec's directive is @authz here
    read = supergraph(link, "policy", prefix)
    assert read.policies == {} and read.type_policies == {}


def test_without_the_policy_link_nothing_is_read() -> None:
    read = supergraph("", "policy", "policy")
    assert read.policies == {} and read.type_policies == {}


def test_a_malformed_policy_is_a_clear_error() -> None:
    link, policy, prefix = IMPORTED
    sdl = TEMPLATE.format(link=link, policy=policy, prefix=prefix, extra="").replace(
        '@access(policies: [["notes"]])', "@access(policies: [[1]])", 1
    )
    with pytest.raises(SupergraphError, match=r"@access on Record\.note"):
        parse_supergraph(sdl)
