"""The fetch-graph pass of consent-aware planning: wherever a fetch selects into the subject type
(root lookups, lists, nested references such as `Complaint.child`), it keeps only the subject's
key there and everything else moves to an entity fetch at that path — so that every subject
reached is decided about (facts, then one batched decision) before any of its fields is fetched."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import get_named_type

from gateway.operation import Field, Selection
from gateway.planner.fetch_graph import FetchGraph, FetchGroup
from gateway.planner.plan import FetchFragment, FetchSelection
from gateway.planner.position import list_depth
from gateway.planner.selection import FieldSelection, SelectionBuilder
from gateway.planner.subgraph_map import SubgraphMap


@dataclass(frozen=True)
class CutAtSubject:
    subject: str
    # Types decided per record, with their key field: always fetched, so the shaper can find
    # each record's decision.
    records: tuple[tuple[str, str], ...] = ()
    # The subject's facts each subgraph serves (graph, selections): selected beside the key
    # where a fetch finds subjects, so that the decision need not ask that subgraph again.
    facts: tuple[tuple[str, tuple[FetchSelection, ...]], ...] = ()
    # Record types decided through their subject wherever they are reached outside one (a
    # root lookup, a list of records): (record type, the field leading to its subject).
    links: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return f"consent-cut:{self.subject}"

    def __call__(self, graph: FetchGraph, subgraphs: SubgraphMap) -> FetchGraph:
        for step in graph.steps:
            index = 0
            while index < len(step):  # entity fetches the cut adds are walked in turn
                group = step[index]
                index += 1
                root = group.entity_type or graph.root_type
                start = group.root(root) if group.entity_type else group.selections
                under = group.entity_type == self.subject
                self._walk(graph, step, group, start, root, (), subgraphs, under)
        return graph

    def _walk(
        self,
        graph: FetchGraph,
        step: list[FetchGroup],
        group: FetchGroup,
        node: SelectionBuilder,
        type_name: str,
        path: tuple[str, ...],
        subgraphs: SubgraphMap,
        under: bool,
    ) -> None:
        """`under`: inside a subject's own fetch, where records are decided by that subject's
        decision; elsewhere a record with a subject link is cut like a subject."""
        links = dict(self.links)
        for item in list(node.items.values()):
            if not isinstance(item, FieldSelection):
                condition = item.type_condition or type_name
                self._walk(graph, step, group, item.children, condition, path, subgraphs, under)
                continue
            if item.children is None:
                continue
            definition = subgraphs.field_def(type_name, item.name)
            assert definition is not None
            child_type = get_named_type(definition.type).name
            for record_type, key_field in self.records:
                if child_type == record_type:
                    item.children.field(key_field, key_field)
            child_path = path + (item.response_key,) + ("@",) * list_depth(definition.type)
            subject_keys = [k for k in subgraphs.keys(group.graph, self.subject) if k.resolvable]
            if not under and child_type in links and subject_keys:
                # A record outside its subject (the consent stage checked it is an entity here).
                key_field = dict(self.records)[child_type]
                record_key = next(
                    k
                    for k in subgraphs.keys(group.graph, child_type)
                    if k.resolvable
                    and [getattr(s, "name", None) for s in k.selections] == [key_field]
                )
                link = (links[child_type], subject_keys[0].selections)
                self._cut(
                    graph, step, group, item, child_path, record_key.selections, link, child_type
                )
            elif child_type == self.subject and subject_keys:
                self._cut(graph, step, group, item, child_path, subject_keys[0].selections)
            elif (
                subject_keys
                and subgraphs.is_abstract(child_type)
                and self.subject in _possible(subgraphs, group.graph, child_type)
            ):
                # A union or interface the subject belongs to: its part of the selection is
                # separated from the other types' and cut like a subject field.
                self._split(item, child_type, group.graph, subgraphs)
                self._cut(graph, step, group, item, child_path, subject_keys[0].selections)
            else:
                self._walk(
                    graph, step, group, item.children, child_type, child_path, subgraphs, under
                )

    def _split(
        self, item: FieldSelection, abstract: str, graph: str, subgraphs: SubgraphMap
    ) -> None:
        """Rewrite the selection below an abstract-typed field as `... on Subject { ... }` plus
        fragments on each other possible type, so the subject's part can move by itself."""
        assert item.children is not None
        possible = _possible(subgraphs, graph, abstract)
        others = [t for t in possible if t != self.subject]
        subject_part = SelectionBuilder()
        rest = SelectionBuilder()
        for key, selection in item.children.items.items():
            if isinstance(selection, FieldSelection):
                if selection.name == "__typename":
                    rest.items[key] = selection
                    continue
                subject_part.items[key] = selection
                for other in others:
                    rest.fragment(other).items[key] = selection
                continue
            condition = selection.type_condition
            if condition == self.subject:
                subject_part.items.update(selection.children.items)
            elif condition is None or subgraphs.is_abstract(condition):
                covered = possible if condition is None else _possible(subgraphs, graph, condition)
                if self.subject in covered:
                    # Re-homed on the subject itself, so each field is written (and narrowed)
                    # with the subject's own category, not the abstract type's.
                    subject_part.items.update(selection.children.items)
                for other in others:
                    if other in covered:
                        rest.fragment(other).items.update(selection.children.items)
            else:
                rest.fragment(condition, selection.directives).items.update(
                    selection.children.items
                )
        rest.fragment(self.subject).items.update(subject_part.items)
        item.children = rest

    def _cut(
        self,
        graph: FetchGraph,
        step: list[FetchGroup],
        group: FetchGroup,
        item: FieldSelection,
        path: tuple[str, ...],
        key: tuple[Selection, ...],
        link: tuple[str, tuple[Selection, ...]] | None = None,
        link_type: str = "",
    ) -> None:
        """Keep only the subject's key below `item`; move the rest to an entity fetch. With
        `link` (the field leading to the subject, and the subject's key), `item` is a record
        decided through its subject: its key and its subject's key stay, the rest moves."""
        assert item.children is not None
        entity = self.subject if link is None else link_type
        merge_at = group.merge_at + path
        abstract = None
        subject_fragment = ("fragment", entity, "")
        fragment = item.children.items.get(subject_fragment)
        if link is None and fragment is not None and not isinstance(fragment, FieldSelection):
            # Below a union or interface (see `_split`): only the subject's fragment moves.
            abstract = item.children
            moved = fragment.children
        else:
            moved = item.children
        entity_fetch = graph.new_group(group.graph, merge_at, entity)
        entity_fetch.depends_on.add(group.id)
        entity_fetch.conditions = group.conditions
        inputs = entity_fetch.inputs.fragment(entity)
        inputs.typename()
        _add_key(inputs, key)
        key_names = {s.name for s in key if isinstance(s, Field)} | {"__typename"}
        target = entity_fetch.selections.fragment(entity)
        target.items.update(
            (k, i)
            for k, i in moved.items.items()
            if not (isinstance(i, FieldSelection) and i.name in key_names and i.children is None)
        )
        if not target.items:
            target.typename()  # only the decision is needed here: the executor fetches nothing
        if abstract is not None:
            kept = abstract.fragment(entity)
            kept.items.clear()
        else:
            kept = item.children = SelectionBuilder()
        kept.typename()
        _add_key(kept, key)
        facts_at = kept
        if link is not None:
            link_field, subject_key = link
            below = kept.field(link_field, link_field, composite=True)
            assert below.children is not None
            facts_at = below.children
            facts_at.typename()
            _add_key(facts_at, subject_key)
        for facts_graph, facts in self.facts:
            if facts_graph == group.graph:
                _add_facts(facts_at, facts)
        step.append(entity_fetch)
        # Fetches below the cut that read keys from the moved part now wait for it.
        for other in step:
            deeper = other.merge_at[: len(merge_at)] == merge_at and len(other.merge_at) > len(
                merge_at
            )
            if group.id in other.depends_on and deeper and other is not entity_fetch:
                other.depends_on.add(entity_fetch.id)


def _add_facts(node: SelectionBuilder, selections: tuple[FetchSelection, ...]) -> None:
    for selection in selections:
        if isinstance(selection, FetchFragment):
            _add_facts(node, selection.selections)
        elif selection.selections is None:
            node.field(selection.response_key, selection.name, selection.arguments)
        else:
            below = node.field(
                selection.response_key, selection.name, selection.arguments, composite=True
            )
            assert below.children is not None
            _add_facts(below.children, selection.selections)


def _possible(subgraphs: SubgraphMap, graph: str, type_name: str) -> list[str]:
    return [t.name for t in subgraphs.possible_types_in_graph(graph, type_name)]


def _add_key(node: SelectionBuilder, key: tuple[Selection, ...]) -> None:
    for selection in key:
        assert isinstance(selection, Field) and not selection.selections  # simple keys only
        node.field(selection.response_key, selection.name)
