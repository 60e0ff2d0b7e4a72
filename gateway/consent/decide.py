"""Running a Decision node: the subjects at its path, their facts (fetched once per request for
every subject of the step, in parallel across subgraphs), one batched decision, and the entity
fetch once per group of subjects with the same outcome — narrowed to what that group may see,
and, for the categories decided per record, granted only the records that may be seen.
Subjects that may see nothing are not sent; subjects out of jurisdiction are marked so that the
answer shows them as absent. A mutation whose arguments name subjects (`write_subjects`) is sent
only for those the asker may see: a field naming any other is left out of it, and answers null
with NOT_FOUND (the same for one out of jurisdiction and one that does not exist). A query field
whose arguments name subjects (`read_subjects`) likewise, answering null with no error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from graphql import (
    Undefined,
    VariableNode,
    value_from_ast_untyped,
    visit,
)
from graphql.language import Visitor

from gateway.conditions import included
from gateway.consent.policy import (
    INVISIBLE,
    NO_RECORD,
    ConsentPolicy,
    RecordDecision,
    SubjectDecision,
)
from gateway.context import RequestContext
from gateway.executor.merge import deep_merge
from gateway.executor.representations import collect
from gateway.executor.run import PlanRun
from gateway.planner.plan import (
    REPRESENTATIONS_ARGUMENT,
    REPRESENTATIONS_DEFINITION,
    DecisionNode,
    FetchField,
    FetchFragment,
    FetchNode,
    FetchSelection,
    RecordLink,
    WriteSubject,
    selection_set,
)
from gateway.types import JsonObject, ResponsePath

# A subgraph's refusal of a field outside its grant (subgraphs/common/errors.py).
_FORBIDDEN = "FORBIDDEN"

# Where a subject's decision is kept on its object in the merged data: not a response key a
# client can select (GraphQL names cannot start with a space), read by the shaper.
DECISION_KEY = " decision"
# Where the response keys of the mutation fields refused for their subjects are kept, on the
# merged data's root (a set of response keys), read by the shaper.
REFUSED_KEY = " refused"
FACTS_UNAVAILABLE = "FACTS_UNAVAILABLE"
# The category a facts fetch carries in its grant: subgraphs answer facts fields only under it.
FACTS_CATEGORY = "policy.facts"
_FACTS = frozenset({FACTS_CATEGORY})

Targets = list[tuple[JsonObject, ResponsePath]]


@dataclass
class _RequestState:
    """One request's facts and decisions, by subject key: each fetched and decided once."""

    facts: dict[str, asyncio.Future[JsonObject]]
    decisions: dict[str, asyncio.Future[SubjectDecision]]
    request_facts: asyncio.Future[JsonObject] | None = None


class ConsentDecider:
    def __init__(
        self,
        policy: ConsentPolicy,
        subject: str,
        key: str,
        facts: tuple[FetchNode, ...],
        request_facts: tuple[FetchNode, ...],
        categories: frozenset[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        record_keys: tuple[str, ...] = (),
    ) -> None:
        self.policy = policy
        self.subject = subject
        self.key = key
        self.facts = facts
        self.request_facts = request_facts
        self.categories = categories  # every category the supergraph names
        self.clock = clock
        self.record_keys = record_keys  # the key fields of the types decided per record
        # The response keys each facts fetch asks for (what a subject may already have, when
        # the fetch that found it selected them beside its key), and joint operations.
        self._brought = {node: top_keys(node) for node in facts}
        self._joints: dict[tuple[str, str], FetchNode] = {}

    async def run(self, node: DecisionNode, run: PlanRun) -> None:
        if node.write:
            await self._run_write(node, node.write, run)
            return
        found: Targets = []
        collect(run.execution.data, node.path, [], found)
        if node.record is not None:
            await self._run_records(node, node.record, found, run)
            return
        subjects: dict[str, Targets] = {}
        for entity, path in found:
            typename = entity.get("__typename")
            key = entity.get(self.key)
            if typename not in (None, self.subject) or not isinstance(key, str | int):
                continue
            subjects.setdefault(str(key), []).append((entity, path))
        if not subjects:
            return
        decisions = await self._decisions(
            run, list(subjects), {key: targets[0][0] for key, targets in subjects.items()}
        )
        groups: dict[frozenset[str], Targets] = {}
        decided: dict[frozenset[str], dict[str, SubjectDecision]] = {}
        for key, targets in subjects.items():
            decision = decisions[key]
            for entity, _ in targets:
                entity[DECISION_KEY] = decision
            if decision.visible and node.node is not None:
                groups.setdefault(decision.allowed, []).extend(targets)
                decided.setdefault(decision.allowed, {})[key] = decision
        if node.node is None:
            return
        asked = node.node.categories
        fetches = []
        for allowed, targets in groups.items():
            narrowed = self._narrowed(node, allowed)
            granted = narrowed.categories if narrowed is not None else frozenset()
            for key, decision in decided[allowed].items():
                note_disclosure(run.context, key, decision, decision, asked, granted)
            if narrowed is not None:
                records = per_record(list(decided[allowed].values()), narrowed.categories)
                fetches.append(self._fetch_group(run, targets, narrowed, records))
        await _together(fetches)

    async def _run_records(
        self, node: DecisionNode, record: RecordLink, found: Targets, run: PlanRun
    ) -> None:
        """Records found outside their subject (a case by id): each subject decided once (facts
        and all, as anywhere else), each record judged by its own decision within its subject's
        — exactly as when it is reached through the subject — and the entity fetch sent once
        per group of records with the same outcome, granted only those records."""
        by_subject: dict[str, list[tuple[str, JsonObject, ResponsePath]]] = {}
        links: dict[str, JsonObject] = {}
        for entity, path in found:
            key = entity.get(record.key)
            link = entity.get(record.link)
            subject = link.get(self.key) if isinstance(link, dict) else None
            if entity.get("__typename") not in (None, record.type) or not isinstance(
                key, str | int
            ):
                continue
            if not isinstance(link, dict) or not isinstance(subject, str | int):
                entity[DECISION_KEY] = INVISIBLE  # a record of no known subject: absent
                continue
            by_subject.setdefault(str(subject), []).append((str(key), entity, path))
            links.setdefault(str(subject), link)
        if not by_subject:
            return
        decisions = await self._decisions(run, list(by_subject), links)
        groups: dict[frozenset[str], Targets] = {}
        keys: dict[frozenset[str], set[str]] = {}
        judged: dict[frozenset[str], list[tuple[str, SubjectDecision, Judged]]] = {}
        for subject, records in by_subject.items():
            decision = decisions[subject]
            for key, entity, path in records:
                own = record_decision(decision, key)
                entity[DECISION_KEY] = own
                if record.link_category is not None and record.link_category not in own.allowed:
                    # Which child the record is about is itself withheld: nothing below the
                    # link is decided about or fetched (the guard answers it with the denial).
                    entity.pop(record.link, None)
                if isinstance(own, RecordDecision) or own.visible:
                    groups.setdefault(own.allowed, []).append((entity, path))
                    keys.setdefault(own.allowed, set()).add(key)
                    judged.setdefault(own.allowed, []).append((subject, decision, own))
        if node.node is None:
            return
        asked = node.node.categories
        fetches = []
        for allowed, targets in groups.items():
            narrowed = self._narrowed(node, allowed)
            granted = narrowed.categories if narrowed is not None else frozenset()
            for subject, decision, own in judged[allowed]:
                note_disclosure(run.context, subject, decision, own, asked, granted)
            if narrowed is not None:
                # Every record of the group may show every category the fetch reads.
                granted = frozenset(keys[allowed])
                restriction = {category: granted for category in narrowed.categories}
                fetches.append(run.fetch_entities(targets, narrowed, restriction))
        await _together(fetches)

    async def _run_write(
        self, node: DecisionNode, writes: tuple[WriteSubject, ...], run: PlanRun
    ) -> None:
        """A mutation fetch whose fields name subjects: each subject named decided about (facts
        and all, once per request, recorded for the audit like any decision), then the fetch
        sent without the fields naming a subject that may not be seen — or a key that names no
        one — and not at all when none is left. Those fields are marked refused on the data's
        root: the shaper answers each null with NOT_FOUND. Nothing of the subject goes into the
        refusal, so an unknown key and one out of jurisdiction are answered alike."""
        assert node.node is not None
        named: dict[str, list[str]] = {}
        refused: set[str] = set()
        for write in writes:
            if not included(write.field.directives, run.variables):
                continue  # not executed (`@skip`, `@include`): names no one
            keys = subject_keys(write, run.variables)
            if keys is None:
                refused.add(write.field.response_key)
            for key in keys or ():
                named.setdefault(key, []).append(write.field.response_key)
        if named:
            decisions = await self._decisions(run, list(named), {})
            for key, fields in named.items():
                if not decisions[key].visible:
                    refused.update(fields)
        fetch: FetchNode | None = node.node
        is_write = node.node.operation_kind == "mutation"
        if refused:
            if is_write:  # a read left out answers null with no error, like an unknown subject
                marked = run.execution.data.setdefault(REFUSED_KEY, set())
                marked.update(refused)
            fetch = self._without(node, frozenset(refused))
        if fetch is None:
            return
        await run.root(fetch)
        if not is_write:
            return
        # The write may change what the facts say of the subjects it names (a case opened, a
        # break-glass grant made): what the mutation answers, and anything after it, is decided
        # on their facts as they are after it.
        state = self._state(run)
        for key in named:
            state.facts.pop(key, None)
            state.decisions.pop(key, None)

    def _without(self, node: DecisionNode, refused: frozenset[str]) -> FetchNode | None:
        """The mutation fetch without the refused root fields (None when nothing is left)."""
        # A write node's `narrowed` is keyed by the refused response keys, not by categories.
        return _cut_down(node, refused, lambda s: _drop_fields(s, refused))

    async def _fetch_group(
        self,
        run: PlanRun,
        targets: Targets,
        node: FetchNode,
        records: dict[str, frozenset[str]] | None,
    ) -> None:
        await run.fetch_entities(targets, node, records)
        if records:
            _forget_withheld(run, node.service, records, self.record_keys)

    # --- decisions ------------------------------------------------------------------------

    async def _decisions(
        self, run: PlanRun, keys: list[str], entities: Mapping[str, JsonObject]
    ) -> dict[str, SubjectDecision]:
        # Each subject is decided once per request: steps running at the same time (one per
        # subgraph at the same path) await the same decision.
        state = self._state(run)
        loop = asyncio.get_running_loop()
        missing = [k for k in keys if k not in state.decisions]
        for key in missing:
            state.decisions[key] = loop.create_future()
        if missing:
            try:
                outcomes = await self._decide(run, state, missing, entities)
            except BaseException as failure:
                for key in missing:
                    state.decisions[key].set_exception(failure)
                raise
            for key, outcome in zip(missing, outcomes, strict=True):
                state.decisions[key].set_result(outcome)
                run.context.decisions.append((self.subject, key, outcome))
        return {k: await state.decisions[k] for k in keys}

    async def _decide(
        self,
        run: PlanRun,
        state: _RequestState,
        keys: list[str],
        entities: Mapping[str, JsonObject],
    ) -> list[SubjectDecision]:
        facts, request_facts = await self._facts(run, state, keys, entities)
        principal, purpose = run.context.principal, run.context.purpose
        if principal is None or purpose is None:
            return [INVISIBLE] * len(keys)  # no one asks: nothing exists
        return self.policy.decide(
            principal,
            purpose,
            [facts[k] for k in keys],
            request_facts,
            self.categories,
            self.clock(),
        )

    def _state(self, run: PlanRun) -> _RequestState:
        state = run.state.get("consent")
        if state is None:
            state = run.state["consent"] = _RequestState({}, {})
        assert isinstance(state, _RequestState)
        return state

    async def _facts(
        self,
        run: PlanRun,
        state: _RequestState,
        keys: list[str],
        entities: Mapping[str, JsonObject],
    ) -> tuple[dict[str, JsonObject], JsonObject]:
        """The subjects' facts and the request's. Subjects another step of this request is
        already fetching are awaited, not fetched again; the rest are fetched here in one batch
        per subgraph, all subgraphs at once — except facts the fetch that found a subject
        already brought (the cut selects them beside its key), and with the request's facts in
        the same call where one subgraph serves both."""
        loop = asyncio.get_running_loop()
        new = [k for k in keys if k not in state.facts]
        for key in new:
            state.facts[key] = loop.create_future()
        first = state.request_facts is None
        if state.request_facts is None:
            state.request_facts = loop.create_future()
        merged: dict[str, JsonObject] = {k: {self.key: k} for k in new}
        request_merged: JsonObject = {}
        calls: list[tuple[FetchNode, list[str], FetchNode | None]] = []
        alone = list(self.request_facts) if first else []
        principal = run.context.principal
        unread = self.policy.unread_facts(principal) if principal is not None else frozenset()
        for node in self.facts if new else ():
            brought = self._brought[node]
            if unread and unread.issuperset(brought):
                continue  # no rule reads these for this asker: not fetched
            missing = []
            for key in new:
                entity = entities.get(key, {})
                if all(name in entity for name in brought):
                    merged[key].update({name: entity[name] for name in brought})
                else:
                    missing.append(key)
            if not missing:
                continue
            joint = next((r for r in alone if r.graph == node.graph), None)
            if joint is not None:
                alone.remove(joint)
            calls.append((node, missing, joint))
        answers = await asyncio.gather(
            *(self._fetch_facts(run, node, subset, joint) for node, subset, joint in calls),
            *(self._fetch(run, request, {}) for request in alone),
        )
        for (node, subset, joint), data in zip(calls, answers, strict=False):
            found = data.pop("_entities", None) if data is not None else None
            if not isinstance(found, list) or len(found) != len(subset):
                self._unavailable(run, node)
            else:
                for key, entity in zip(subset, found, strict=True):
                    if isinstance(entity, dict):
                        deep_merge(merged[key], entity)
            if joint is not None:
                if data is None:
                    self._unavailable(run, joint)
                else:
                    deep_merge(request_merged, data)
        for request, data in zip(alone, answers[len(calls) :], strict=True):
            if data is None:
                self._unavailable(run, request)
            else:
                deep_merge(request_merged, data)
        for key in new:
            state.facts[key].set_result(merged[key])
        if first:
            state.request_facts.set_result(request_merged)
        return {k: await state.facts[k] for k in keys}, await state.request_facts

    async def _fetch_facts(
        self, run: PlanRun, node: FetchNode, keys: list[str], joint: FetchNode | None
    ) -> JsonObject | None:
        variables = {"representations": [{"__typename": self.subject, self.key: k} for k in keys]}
        return await self._fetch(
            run, node if joint is None else self._joint(node, joint), variables
        )

    def _joint(self, node: FetchNode, request: FetchNode) -> FetchNode:
        """One operation asking a subgraph for subjects' facts and the request's together."""
        found = self._joints.get((node.graph, request.graph))
        if found is None:
            entities = FetchField(
                "_entities",
                "_entities",
                "Query",
                arguments=(REPRESENTATIONS_ARGUMENT,),
                selections=node.selections,
            )
            found = FetchNode(
                service=node.service,
                graph=node.graph,
                operation_kind="query",
                selections=(entities, *request.selections),
                variable_definitions=(REPRESENTATIONS_DEFINITION,),
                operation_name="ConsentFacts",
                private=True,
            )
            self._joints[(node.graph, request.graph)] = found
        return found

    async def _fetch(
        self, run: PlanRun, node: FetchNode, variables: JsonObject
    ) -> JsonObject | None:
        # Signed for the facts alone: subgraphs answer facts fields only under this category.
        response = await run.client.fetch(node, variables, run.context, _FACTS)
        if response.errors or not isinstance(response.data, dict):
            return None  # missing facts are no basis for anything: the decision fails closed
        return response.data

    def _unavailable(self, run: PlanRun, node: FetchNode) -> None:
        errors = run.execution.errors
        code = {"code": FACTS_UNAVAILABLE, "serviceName": node.service}
        if not any(e.get("extensions") == code for e in errors):
            errors.append(
                {"message": "Some data could not be checked and is withheld.", "extensions": code}
            )

    # --- narrowing ------------------------------------------------------------------------

    def _narrowed(self, node: DecisionNode, allowed: frozenset[str]) -> FetchNode | None:
        return _cut_down(node, allowed, lambda s: _narrow(s, allowed))


def _cut_down(
    node: DecisionNode,
    key: frozenset[str],
    cut: Callable[[tuple[FetchSelection, ...]], tuple[FetchSelection, ...] | None],
) -> FetchNode | None:
    """The node's fetch with its selections cut down (None when it would fetch nothing), with
    only the variables still used; kept on the node by `key` (plans are cached: so are these)."""
    if key in node.narrowed:
        return node.narrowed[key]
    assert node.node is not None
    selections = cut(node.node.selections)
    narrowed = None
    if selections is not None and fetches_something(selections):
        used = _variables(selections)
        narrowed = replace(
            node.node,
            selections=selections,
            variable_definitions=tuple(
                d for d in node.node.variable_definitions if d.variable.name.value in used
            ),
        )
    if len(node.narrowed) < 64:  # bounded: one entry per distinct outcome seen
        node.narrowed[key] = narrowed
    return narrowed


def subject_keys(write: WriteSubject, variables: Mapping[str, object]) -> list[str] | None:
    """The subject keys a mutation field's argument names (its literal, or the request's
    variables), along the write's path into input objects and through lists; none where the
    argument or a field on the path is absent or null. None when a value there is no key at all
    (an object, a boolean, a float): such a write names no one the asker may see."""
    argument = next((a for a in write.field.arguments if a.name.value == write.path[0]), None)
    if argument is None:
        return []
    found: list[str] = []

    def walk(value: object, path: tuple[str, ...]) -> bool:
        if value is None or value is Undefined:
            return True
        if isinstance(value, list):
            return all(walk(item, path) for item in value)
        if path:
            return isinstance(value, dict) and walk(value.get(path[0]), path[1:])
        if isinstance(value, bool) or not isinstance(value, str | int):
            return False
        found.append(str(value))
        return True

    value = value_from_ast_untyped(argument.value, dict(variables))
    return found if walk(value, write.path[1:]) else None


def _drop_fields(
    selections: tuple[FetchSelection, ...], response_keys: frozenset[str]
) -> tuple[FetchSelection, ...] | None:
    """Root selections without the fields of these response keys; None when nothing is left."""
    kept: list[FetchSelection] = []
    for selection in selections:
        if isinstance(selection, FetchFragment):
            inner = _drop_fields(selection.selections, response_keys)
            if inner is not None:
                kept.append(replace(selection, selections=inner))
        elif selection.response_key not in response_keys:
            kept.append(selection)
    return tuple(kept) or None


async def _together(fetches: list[Coroutine[object, object, None]]) -> None:
    """Runs the group fetches at once; the usual single group is awaited in place (no task)."""
    if len(fetches) == 1:
        await fetches[0]
    elif fetches:
        await asyncio.gather(*fetches)


Judged = RecordDecision | SubjectDecision


def note_disclosure(
    context: RequestContext,
    key: str,
    decision: SubjectDecision,
    judged: Judged,
    asked: frozenset[str],
    granted: frozenset[str],
) -> None:
    """For the audit: of the categories the fetch `asked` about subject `key`, those `granted`
    (fetched, with the basis the subject's decision names) and the others (withheld, with the
    code `judged` — the subject's or one record's decision — gives)."""
    if not asked:
        return
    if granted:
        disclosed = context.disclosed.setdefault(key, {})
        for category in granted:
            if isinstance(judged, RecordDecision):
                basis = judged.bases.get(category) or basis_of(decision, category)
            else:
                basis = basis_of(decision, category)
            before = disclosed.get(category)
            disclosed[category] = basis if before in (None, basis) else _joined(before, basis)
    withheld = asked - granted
    if withheld:
        noted = context.withheld.setdefault(key, {})
        for category in withheld:
            noted.setdefault(category, judged.denial(category).code)


def basis_of(decision: SubjectDecision, category: str) -> str:
    """The legal basis a subject's decision names for a category: its own, else (a category
    decided per record, all of whose allowed records a subject-level fetch returns) the bases of
    every record that allows it, space-separated ("mandate agreement:3")."""
    found = decision.bases.get(category)
    if found is not None:
        return found
    per_record = {
        r.bases[category]
        for r in decision.records.values()
        if category in r.allowed and category in r.bases
    }
    return " ".join(sorted(per_record)) if per_record else "mandate"


def _joined(*bases: str) -> str:
    return " ".join(sorted({token for basis in bases for token in basis.split()}))


def record_decision(decision: SubjectDecision, key: str) -> RecordDecision | SubjectDecision:
    """What governs one record of a subject: nothing when the subject may not be seen (INVISIBLE:
    the record is absent), the record's own decision where the subject's decision is made per
    record (none for a record it does not name), else the subject's decision."""
    if not decision.visible:
        return INVISIBLE
    if decision.records:
        return decision.records.get(key, NO_RECORD)
    return decision


def per_record(
    decisions: list[SubjectDecision], fetched: frozenset[str]
) -> dict[str, frozenset[str]] | None:
    """The per-record restriction of a group's entity fetch: for each category the fetch reads
    that the group's decisions decide per record (one a record decision allows or denies), the
    keys of the records whose own decision allows it, over all the group's subjects. Subjects
    without record decisions add nothing (they have no records: a record appearing since their
    facts were read is refused, not shown). None when nothing is decided per record."""
    found: dict[str, set[str]] = {}
    for decision in decisions:
        for record in decision.records.values():
            for category in (*record.allowed, *record.denials):
                if category in fetched:
                    found.setdefault(category, set())
    if not found:
        return None
    for decision in decisions:
        for key, record in decision.records.items():
            for category in record.allowed:
                if category in found:
                    found[category].add(key)
    return {category: frozenset(keys) for category, keys in found.items()}


def _forget_withheld(
    run: PlanRun,
    service: str,
    records: Mapping[str, frozenset[str]],
    record_keys: tuple[str, ...],
) -> None:
    """Drops the subgraph's refusals of the records its grant did not list: withheld by the
    gateway's own decision, they answer null with the gateway's denial when the answer is shaped
    (the record's decision does not allow the category), not with a second, downstream error."""
    data = run.execution.data

    def withheld(error: JsonObject) -> bool:
        extensions = error.get("extensions")
        if not isinstance(extensions, dict) or extensions.get("serviceName") != service:
            return False
        keys = records.get(str(extensions.get("category")))
        path = error.get("path")
        if extensions.get("code") != _FORBIDDEN or keys is None or not isinstance(path, list):
            return False
        record: object = data
        for step in path[:-1]:
            if isinstance(record, dict) and isinstance(step, str):
                record = record.get(step)
            elif isinstance(record, list) and isinstance(step, int) and 0 <= step < len(record):
                record = record[step]
            else:
                return False
        if not isinstance(record, dict):
            return False
        key = next((record[k] for k in record_keys if record.get(k) is not None), None)
        return key is not None and str(key) not in keys

    errors = run.execution.errors
    errors[:] = [e for e in errors if not withheld(e)]


def _narrow(
    selections: tuple[FetchSelection, ...], allowed: frozenset[str]
) -> tuple[FetchSelection, ...] | None:
    """The selections without fields whose category is not allowed; None when nothing is left."""
    kept: list[FetchSelection] = []
    for selection in selections:
        if isinstance(selection, FetchFragment):
            inner = _narrow(selection.selections, allowed)
            if inner is not None:
                kept.append(replace(selection, selections=inner))
            continue
        if selection.category is not None and selection.category not in allowed:
            continue
        if selection.selections is not None:
            inner = _narrow(selection.selections, allowed)
            if inner is None:
                continue
            selection = replace(selection, selections=inner)
        kept.append(selection)
    return tuple(kept) or None


def top_keys(node: FetchNode) -> tuple[str, ...]:
    """The response keys a facts fetch asks for on the subject."""
    keys: list[str] = []
    for selection in node.selections:
        inner = selection.selections if isinstance(selection, FetchFragment) else (selection,)
        keys.extend(s.response_key for s in inner if isinstance(s, FetchField))
    return tuple(keys)


def _variables(selections: tuple[FetchSelection, ...]) -> set[str]:
    """The variables a selection still uses (a subgraph refuses a document with unused ones)."""
    used: set[str] = set()

    class Uses(Visitor):
        def enter_variable(self, node: VariableNode, *_: object) -> None:
            used.add(node.name.value)

    visit(selection_set(selections), Uses())
    return used


def fetches_something(selections: tuple[FetchSelection, ...]) -> bool:
    for selection in selections:
        if isinstance(selection, FetchFragment):
            if fetches_something(selection.selections):
                return True
        elif selection.name != "__typename":
            return True
    return False
