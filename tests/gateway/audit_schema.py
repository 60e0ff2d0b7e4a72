"""A small schema for the audit stage's unit tests (tests/gateway/test_audit_shown.py and
test_audit_required.py): a person type with an identifier, reached directly, in lists, nested
lists, through an interface and a union, and a second type implementing the interface."""

from __future__ import annotations

from graphql import build_schema

AUDIT_TEST_SCHEMA = build_schema(
    """
    type Query {
      person(nik: String!): Person
      people: [Person!]!
      families: [[Family]]
      search: [Result!]!
      things: [Thing!]!
      pets: [Pet!]!
      code: String
    }
    type Person implements Thing { nik: String name: String mother: Person otherNiks: [String] }
    type Family { kk: String members: [Person!] }
    type Pet implements Thing { nik: String name: String }
    interface Thing { name: String }
    union Result = Person | Family
    """
)
