"""Consent-aware planning: the static pass before planning, a decision wherever a plan reaches
the subject type (facts, then one batched decision, then fetches narrowed per group), and the
denials applied when shaping. Active only when the gateway is configured with a policy
(`[consent]`); without one, no pass runs and plans are exactly as before."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace

from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    OperationType,
    get_named_type,
)

from gateway.consent.config import ConsentConfig, WritePath
from gateway.consent.cut import CutAtSubject
from gateway.consent.decide import FACTS_CATEGORY, ConsentDecider, fetches_something, top_keys
from gateway.consent.facts import facts_fetches, request_facts_fetches
from gateway.consent.guard import ABSENT, ConsentGuard, NotFound
from gateway.consent.policy import (
    ConsentPolicy,
    Denial,
    RecordDecision,
    StaticOutcome,
    SubjectDecision,
)
from gateway.consent.static import StaticDenials, read_by_arguments
from gateway.context import RequestContext
from gateway.planner import PlannerPasses, QueryPlan, SubgraphMap
from gateway.planner.plan import (
    ConditionNode,
    DecisionNode,
    FetchField,
    FetchFragment,
    FetchNode,
    FetchSelection,
    FlattenNode,
    ParallelNode,
    PlanNode,
    RecordLink,
    SequenceNode,
    WriteSubject,
    walk_fields,
)

__all__ = [
    "ABSENT",
    "ConsentConfig",
    "ConsentGuard",
    "ConsentPolicy",
    "ConsentStage",
    "Denial",
    "RecordDecision",
    "StaticOutcome",
    "SubjectDecision",
]

_NOBODY = StaticOutcome({}, frozenset())


@dataclass(frozen=True)
class _ForRequest:
    static: StaticDenials
    passes: PlannerPasses
    guard: ConsentGuard


class ConsentStage:
    """Built once per gateway from the configuration and the policy."""

    def __init__(self, config: ConsentConfig, policy: ConsentPolicy, subgraphs: SubgraphMap):
        if subgraphs.schema.get_type(config.subject) is None:
            from gateway.config import ConfigError

            raise ConfigError(f"[consent]: subject type {config.subject} is not in the supergraph")
        _check_links(config, subgraphs)
        # Mutation field -> the argument paths naming its subjects (`write_subjects`); query
        # field -> the same (`read_subjects`).
        self.writes = _check_subject_arguments(
            config.write_subjects, subgraphs.schema.mutation_type, "write_subjects", "mutation"
        )
        self.reads = _check_subject_arguments(
            config.read_subjects, subgraphs.schema.query_type, "read_subjects", "query"
        )
        self.config = config
        self.policy = policy
        self.subgraphs = subgraphs
        self.facts = facts_fetches(config, subgraphs)
        self.request_facts = request_facts_fetches(config, subgraphs)
        self._facts_fields = frozenset(name for node in self.facts for name in top_keys(node))
        self.cut = CutAtSubject(
            config.subject,
            tuple(config.records.items()),
            tuple((node.graph, node.selections) for node in self.facts),
            tuple(config.links.items()),
        )
        self.root_types = frozenset(
            t.name
            for t in (
                subgraphs.schema.query_type,
                subgraphs.schema.mutation_type,
                subgraphs.schema.subscription_type,
            )
            if t is not None
        )
        categorized = {
            (type_name, category)
            for (type_name, field_name) in subgraphs.supergraph.policies
            if (category := subgraphs.category(type_name, field_name)) is not None
        }
        self.decider = ConsentDecider(
            policy,
            config.subject,
            config.key,
            self.facts,
            self.request_facts,
            frozenset(category for _, category in categorized),
            record_keys=tuple(sorted(set(config.records.values()))),
        )
        self.subject_categories = frozenset(
            category for type_name, category in categorized if type_name == config.subject
        )
        # Per (role, purpose): the static outcome, and what it plans and shapes with.
        self._by_role: OrderedDict[tuple[str, str], _ForRequest] = OrderedDict()
        self._by_outcome: dict[Hashable, _ForRequest] = {}

    def for_request(self, context: RequestContext | None) -> _ForRequest:
        principal = context.principal if context is not None else None
        purpose = context.purpose if context is not None else None
        if principal is None or purpose is None:
            # Nobody asks (the CLI's `plan`, a probe): plans as for a role that sees nothing.
            return self._outcome(_NOBODY)
        key = (principal.role.value, purpose)
        found = self._by_role.get(key)
        if found is None:
            found = self._outcome(self.policy.static(principal, purpose))
            self._by_role[key] = found
            if len(self._by_role) > 256:
                self._by_role.popitem(last=False)
        return found

    def _outcome(self, outcome: StaticOutcome) -> _ForRequest:
        found = self._by_outcome.get(outcome.key)
        if found is None:
            mutation = self.subgraphs.schema.mutation_type
            static = StaticDenials(
                outcome,
                self.root_types,
                mutation.name if mutation else None,
                self.config.lookups,
                self.config.subject,
                blind=self.subject_categories <= set(outcome.denied),
            )
            found = _ForRequest(
                static,
                PlannerPasses(operation=(static,), fetch_graph=(self.cut,)),
                ConsentGuard(
                    self.config.subject,
                    static,
                    self.subgraphs,
                    self.config.records,
                    self.config.links,
                    not_found=NotFound(f"No such {self.config.subject.lower()}."),
                ),
            )
            self._by_outcome[outcome.key] = found
        return found

    def wrap(self, plan: QueryPlan) -> QueryPlan:
        """The plan with every entity fetch of the subject behind a Decision node."""
        if plan.node is None:
            return plan
        return QueryPlan(self._wrap(plan.node), plan.local_fields)

    def _wrap(self, node: PlanNode) -> PlanNode:
        if isinstance(node, FetchNode):
            fetch = self._granted(node)
            writes = self._writes(fetch)
            if writes:
                # A mutation naming subjects: decided about before it is sent.
                return DecisionNode(self.config.subject, (), self.facts, fetch, write=writes)
            return fetch
        if isinstance(node, FlattenNode):
            fetch = self._granted(node.node)
            record = None
            link = self.config.links.get(fetch.entity_type or "")
            if link is not None and fetch.entity_type is not None:
                # Records found outside their subject (a root lookup, a list of records):
                # decided through their subjects before any more of them is fetched.
                record = RecordLink(
                    fetch.entity_type,
                    self.config.records[fetch.entity_type],
                    link,
                    self.subgraphs.category(fetch.entity_type, link),
                )
            if fetch.entity_type == self.config.subject or record is not None:
                only_decision = not fetches_something(fetch.selections)
                return DecisionNode(
                    self.config.subject,
                    node.path,
                    self.facts,
                    None if only_decision else fetch,
                    record,
                )
            return FlattenNode(node.path, fetch) if fetch is not node.node else node
        if isinstance(node, SequenceNode):
            return SequenceNode(tuple(self._wrap(n) for n in node.nodes))
        if isinstance(node, ParallelNode):
            return ParallelNode(tuple(self._wrap(n) for n in node.nodes))
        if isinstance(node, ConditionNode):
            return ConditionNode(
                node.condition,
                self._wrap(node.if_clause) if node.if_clause is not None else None,
                self._wrap(node.else_clause) if node.else_clause is not None else None,
            )
        return node

    def _writes(self, node: FetchNode) -> tuple[WriteSubject, ...]:
        """The root fields of a mutation fetch (or a query fetch, `read_subjects`) whose
        arguments name subjects, with the path to the key(s) in them, in the fetch's order."""
        named = self.writes if node.operation_kind == "mutation" else self.reads
        if not named or node.entity_type is not None:
            return ()
        return tuple(
            WriteSubject(selection, path)
            for selection in _root_fields(node.selections)
            for path in named.get(selection.name, ())
        )

    def _granted(self, node: FetchNode) -> FetchNode:
        """The fetch with what it reads besides its fields' categories: the categories of its
        lookup arguments, and the facts category where the cut selected facts beside a key."""
        reads = self._lookups_read(node)
        if any(
            f.parent_type == self.config.subject and f.name in self._facts_fields
            for f in walk_fields(node.selections)
        ):
            reads |= {FACTS_CATEGORY}
        return replace(node, reads=node.reads | reads) if reads else node

    def _lookups_read(self, node: FetchNode) -> frozenset[str]:
        """The categories a root fetch reads by lookup or filter arguments (the static pass let
        them through: the role holds them by mandate); the subgraph needs them in the grant to
        run the lookup."""
        if node.entity_type is not None:
            return frozenset()
        root = self.subgraphs.schema.get_root_type(
            OperationType.MUTATION if node.operation_kind == "mutation" else OperationType.QUERY
        )
        assert root is not None
        return frozenset(
            category
            for selection in node.selections
            if isinstance(selection, FetchField)
            for category in read_by_arguments(
                self.config.lookups, root.name, selection.name, selection.arguments
            )
        )


def _root_fields(selections: tuple[FetchSelection, ...]) -> list[FetchField]:
    found: list[FetchField] = []
    for selection in selections:
        if isinstance(selection, FetchFragment):
            found.extend(_root_fields(selection.selections))
        else:
            found.append(selection)
    return found


def _check_subject_arguments(
    paths: tuple[WritePath, ...], root: GraphQLObjectType | None, setting: str, kind: str
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Each of `paths` names a field of the `root` type (the mutation type for `write_subjects`,
    the query type for `read_subjects`), one of its arguments and, below it, input-object
    fields, down to a scalar (or a list of scalars): the key(s)."""
    from gateway.config import ConfigError

    found_paths: dict[str, tuple[tuple[str, ...], ...]] = {}
    for write in paths:
        wrong = f"[consent]: {setting}: {write}"
        if root is None or write.type_name != root.name:
            raise ConfigError(f"{wrong}: {write.type_name} is not the supergraph's {kind} type")
        definition = root.fields.get(write.field)
        if definition is None:
            raise ConfigError(f"{wrong}: no {kind} field {write.field}")
        if kind == "query" and isinstance(definition.type, GraphQLNonNull):
            # A read left out answers null with no error: a non-null field would null the
            # whole answer (`data: null` and no error to say why).
            raise ConfigError(
                f"{wrong}: {write.field} is non-null; a read subject's field is nullable"
            )
        argument = definition.args.get(write.path[0])
        if argument is None:
            raise ConfigError(f"{wrong}: {write.field} has no argument {write.path[0]}")
        found: GraphQLInputType = argument.type
        for name in write.path[1:]:
            named = get_named_type(found)
            if not isinstance(named, GraphQLInputObjectType) or name not in named.fields:
                raise ConfigError(f"{wrong}: {named.name} has no input field {name}")
            found = named.fields[name].type
        while isinstance(found, GraphQLNonNull | GraphQLList):
            found = found.of_type
        if not isinstance(found, GraphQLScalarType):
            raise ConfigError(f"{wrong}: a key is a scalar, not {found.name}")
        found_paths[write.field] = (*found_paths.get(write.field, ()), write.path)
    return found_paths


def _check_links(config: ConsentConfig, subgraphs: SubgraphMap) -> None:
    """A record type with a subject link must be, in every subgraph serving it, an entity whose
    key is its record key (so that its fields can be fetched after the decision), and its link
    must lead to the subject type."""
    from gateway.config import ConfigError

    if len(config.records) > 1:
        # A subject's decision names its records by key alone (`SubjectDecision.records`): two
        # record types could share a key ("1"), and one record would be judged by the other's
        # decision.
        raise ConfigError("[consent]: records may name one record type")
    for type_name, link in config.links.items():
        definition = subgraphs.field_def(type_name, link)
        if definition is None or get_named_type(definition.type).name != config.subject:
            raise ConfigError(
                f"[consent]: records.{type_name}.subject must be a field of {type_name} "
                f"returning {config.subject}"
            )
        key = config.records[type_name]
        for graph in subgraphs.graphs_of_type(type_name):
            keys = [k for k in subgraphs.keys(graph, type_name) if k.resolvable]
            names = [tuple(getattr(s, "name", None) for s in k.selections) for k in keys]
            if (key,) not in names:
                raise ConfigError(
                    f"[consent]: {type_name} is decided through its subject, so it must be an "
                    f'entity with @key(fields: "{key}") in subgraph {subgraphs.name_of(graph)}'
                )
