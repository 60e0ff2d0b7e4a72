"""A tiny two-subgraph world for consent-aware planning tests (fixtures/consent/*.graphql), a fake
policy with rules simple enough to read in a test, and fake subgraphs that answer any selection
from Python data (projected with graphql-core's parser, so aliases and fragments work)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from graphql import (
    FieldNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    value_from_ast_untyped,
)

from auth.principal import Principal
from auth.purposes import ROLE_AGENCY, Role
from gateway.consent import ConsentConfig, Denial, RecordDecision, StaticOutcome, SubjectDecision
from gateway.consent.config import WritePath
from gateway.context import RequestContext
from tests.gateway.gateway_support import FakeSubgraphs

CONFIG = ConsentConfig(
    subject="Child",
    policy="tests.gateway.consent_support:FakePolicy",
    facts=("region", "openCases"),
    request_facts=("agreements { party }",),
    records={"Case": "id"},
    links={"Case": "child"},
    lookups={"Query.childByNik.nik": "identity.full"},
    write_subjects=(
        WritePath.parse("Mutation.addNote.childId"),
        WritePath.parse("Mutation.fileNote.input.childId"),
    ),
    read_subjects=(WritePath.parse("Query.notesAbout.childId", "read_subjects"),),
)

ALL = frozenset(
    {
        "identity.basic",
        "identity.full",
        "protection.flag",
        "protection.summary",
        "protection.detail",
    }
)

# Children: A and C in region 14 (A has an open case), B in region 53.
CHILDREN: dict[str, dict[str, Any]] = {
    "A": {
        "__typename": "Child",
        "id": "A",
        "name": "Ani",
        "nik": "1471000000000001",
        "guardian": {"name": "Ibu Ani", "phone": "0811"},
        "region": "14.71",
    },
    "B": {
        "__typename": "Child",
        "id": "B",
        "name": "Budi",
        "nik": "5371000000000002",
        "region": "53.71",
    },
    "C": {
        "__typename": "Child",
        "id": "C",
        "name": "Citra",
        "nik": "1471000000000003",
        "region": "14.08",
    },
}
CARE: dict[str, dict[str, Any]] = {
    "A": {
        "__typename": "Child",
        "id": "A",
        "cases": [
            {
                "__typename": "Case",
                "id": "K1",
                "category": "NEGLECT",
                "notes": ["home visit"],
                "child": {"__typename": "Child", "id": "A"},
            },
            {
                "__typename": "Case",
                "id": "K2",
                "category": "VIOLENCE",
                "notes": ["court date"],
                "child": {"__typename": "Child", "id": "A"},
            },
        ],
        "flag": "open case: call Balai Rumbai",
        "openCases": 1,
    },
    "B": {"__typename": "Child", "id": "B", "cases": [], "flag": None, "openCases": 0},
    "C": {"__typename": "Child", "id": "C", "cases": [], "flag": None, "openCases": 0},
}
# Cases are entities of the care subgraph too: fetched by id once decided about.
# K9 is a case of B, out of the test principals' region.
CASES: dict[str, dict[str, Any]] = {
    **{c["id"]: c for c in CARE["A"]["cases"]},
    "K9": {
        "__typename": "Case",
        "id": "K9",
        "category": "NEGLECT",
        "notes": ["far away"],
        "child": {"__typename": "Child", "id": "B"},
    },
}
NOTES = {
    "N1": {
        "__typename": "Note",
        "id": "N1",
        "text": "seen at school",
        "child": {"__typename": "Child", "id": "B"},
    }
}
OFFICES = [{"__typename": "Office", "code": "RUMBAI", "name": "Balai Rumbai"}]


def principal(role: Role, regions: tuple[str, ...] = ("14",)) -> Principal:
    return Principal(
        subject=f"user-{role.value}",
        name="Test User",
        roles=(role,),
        role=role,
        agency=ROLE_AGENCY[role],
        unit=None,
        regions=regions,
        staff_id=None,
    )


def context(role: Role, purpose: str = "child.protection") -> RequestContext:
    ctx = RequestContext.internal()
    ctx.principal = principal(role)
    ctx.purpose = purpose
    return ctx


class FakePolicy:
    """Dinsos sees everything but protection.detail (never, statically); PKH sees no
    protection.summary of a child with an open case (CONSENT_REQUIRED) and may not use root lists
    of cases; out of the principal's regions a child does not exist."""

    def __init__(self) -> None:
        self.decided: list[list[dict[str, Any]]] = []  # the facts each decide() call saw

    # Facts no rule of this policy reads for a role (none unless a test says so).
    unread: frozenset[str] = frozenset()

    def unread_facts(self, principal: Principal) -> frozenset[str]:
        return self.unread

    def static(self, principal: Principal, purpose: str) -> StaticOutcome:
        if principal.role is Role.AUDITOR:  # sees nothing of any child
            return StaticOutcome({c: Denial(c) for c in ALL}, frozenset(), frozenset())
        denied = {"protection.detail": Denial("protection.detail", "FORBIDDEN")}
        if principal.role is Role.BALAI_CASEWORKER:
            mandate = frozenset({"identity.basic", "protection.summary"})  # own Balai's cases
            return StaticOutcome({}, mandate, frozenset({"closeCase"}))
        mandate = ALL if principal.role is Role.DINSOS_OFFICER else frozenset({"identity.basic"})
        writes = (
            frozenset({"addNote", "fileNote"})
            if principal.role is Role.DINSOS_OFFICER
            else frozenset()
        )
        return StaticOutcome(denied, mandate - {"protection.detail"}, writes)

    def decide(
        self,
        principal: Principal,
        purpose: str,
        subjects: Sequence[dict[str, Any]],
        request_facts: dict[str, Any],
        categories: frozenset[str],
        now: datetime,
    ) -> list[SubjectDecision]:
        self.decided.append([dict(s) for s in subjects])
        decisions = []
        for facts in subjects:
            if "region" not in facts or (
                "openCases" not in facts and "openCases" not in self.unread
            ):
                # Incomplete facts are no basis for anything (as auth.policy decides).
                decisions.append(SubjectDecision(False, frozenset(), {}))
                continue
            region = facts.get("region") or ""
            if not principal.covers(region):
                decisions.append(SubjectDecision(False, frozenset(), {}))
                continue
            allowed = set(categories) - {"protection.detail"}
            denials = {}
            records = {}
            if principal.role is Role.BALAI_CASEWORKER:
                # Case K1 is the caseworker's Balai's (summary; detail needs assignment), K2
                # another Balai's (nothing without consent or an agreement).
                detail = Denial("protection.detail", "ASSIGNMENT_REQUIRED", ("assignment",))
                records = {
                    "K1": RecordDecision(
                        frozenset({"protection.summary"}), {"protection.detail": detail}
                    ),
                    "K2": RecordDecision(
                        frozenset(),
                        {
                            "protection.summary": Denial(
                                "protection.summary", "CONSENT_REQUIRED", ("consent", "agreement")
                            )
                        },
                    ),
                }
            if principal.role is Role.PKH_FACILITATOR and facts.get("openCases"):
                allowed.discard("protection.summary")
                denials["protection.summary"] = Denial(
                    "protection.summary", "CONSENT_REQUIRED", ("consent",)
                )
            decisions.append(SubjectDecision(True, frozenset(allowed), denials, records=records))
        return decisions


# --- fake subgraphs ---------------------------------------------------------------------------


def _project(selection_set: SelectionSetNode, value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_project(selection_set, item, variables) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for node in selection_set.selections:
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            if condition in (None, value.get("__typename"), "Named", "Found"):
                result.update(_project(node.selection_set, value, variables))
        elif isinstance(node, FieldNode):
            key = (node.alias or node.name).value
            field = value.get(node.name.value)
            result[key] = (
                _project(node.selection_set, field, variables) if node.selection_set else field
            )
    return result


def _argument(node: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in node.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def _answer(roots: dict[str, Any], entities: dict[str, dict[str, Any]]):  # type: ignore[no-untyped-def]
    def handler(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        operation = parse(document).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        data: dict[str, Any] = {}
        for node in operation.selection_set.selections:
            assert isinstance(node, FieldNode) and node.selection_set is not None
            key = (node.alias or node.name).value
            if node.name.value == "_entities":
                found = [entities.get(r["id"]) for r in variables["representations"]]
                data[key] = [_project(node.selection_set, f, variables) for f in found]
            else:
                value = roots[node.name.value](lambda n, node=node: _argument(node, n, variables))
                data[key] = _project(node.selection_set, value, variables)
        return {"data": data}

    return handler


def fake_subgraphs() -> FakeSubgraphs:
    return FakeSubgraphs(
        {
            "registry": _answer(
                {
                    "child": lambda arg: CHILDREN.get(arg("id")),
                    "childByNik": lambda arg: next(
                        (c for c in CHILDREN.values() if c["nik"] == arg("nik")), None
                    ),
                    "children": lambda arg: list(CHILDREN.values()),
                    "search": lambda arg: [*CHILDREN.values(), *OFFICES],
                    "office": lambda arg: OFFICES[0],
                },
                CHILDREN,
            ),
            "care": _answer(
                {
                    "note": lambda arg: NOTES.get(arg("id")),
                    "notesAbout": lambda arg: [
                        n for n in NOTES.values() if n["child"]["id"] == arg("childId")
                    ],
                    "addNote": lambda arg: {
                        "__typename": "Note",
                        "id": "N2",
                        "text": arg("text"),
                        "child": {"__typename": "Child", "id": arg("childId")},
                    },
                    "fileNote": lambda arg: {
                        "__typename": "Note",
                        "id": "N3",
                        "text": arg("input")["text"],
                        "child": {"__typename": "Child", "id": arg("input")["childId"]},
                    },
                    "cases": lambda arg: CARE["A"]["cases"],
                    "agreements": lambda arg: [{"party": "dinsos"}],
                    "case": lambda arg: CASES.get(arg("id")),
                },
                {**CARE, **CASES},
            ),
        }
    )
