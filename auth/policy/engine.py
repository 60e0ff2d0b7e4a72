"""The policy engine: loads and validates the Cedar policies, and decides, per child (or case)
and category, whether the principal may read it, on which basis, or why not.

Each decision is one Cedar evaluation over the facts reduced to yes/no questions
(auth/policy/context.py), plus, for a denial, evaluations of the same policies with one thing
changed (another purpose, a consent, an assignment...) to say what could allow it; for an
allowance, evaluations without the consent, agreement or break-glass to name the strongest basis
that suffices. Everything is memoized by (role, purpose, category, context), so a page of like
children costs a handful of evaluations.
"""

from __future__ import annotations

import json
import tomllib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Final, Generic, Literal, TypeVar

import cedarpy
from cedarpy import pst

from auth.errors import ASSIGNMENT_REQUIRED, CONSENT_REQUIRED, FORBIDDEN, PURPOSE_NOT_ALLOWED
from auth.policy.categories import Category
from auth.policy.context import (
    LIFTS,
    MANDATE,
    PERMISSIVE,
    ChildContext,
    PolicyContext,
    PolicyData,
)
from auth.policy.context import (
    in_jurisdiction as _in_jurisdiction,
)
from auth.policy.facts import OPTIONAL_FACTS, AgreementFacts, CaseFacts, ChildFacts
from auth.principal import REGION_CODE, Principal
from auth.purposes import ROLE_AGENCY, Agency, Purpose, Role, purposes_of

RULES: Final = Path(__file__).resolve().parent / "rules"
SCHEMA_FILE: Final = "schema.cedarschema"
DATA_FILE: Final = "data.toml"
CONCEAL: Final = "conceal"  # the annotation of a forbid whose denial must not say why

Basis = Literal["mandate", "agreement", "consent", "break_glass"]
DenialCode = Literal["FORBIDDEN", "PURPOSE_NOT_ALLOWED", "CONSENT_REQUIRED", "ASSIGNMENT_REQUIRED"]

# Strongest first (DOMAIN.md "Legal bases"); each basis but the mandate is a context field.
_BASES: Final[tuple[tuple[Basis, str], ...]] = (
    ("agreement", "agreement"),
    ("consent", "consent"),
    ("break_glass", "break_glass"),
)
_SHARED_LIFTS: Final = frozenset({"consent", "agreement", "break_glass"})
_DEFAULT_MEMO: Final = 4096


class PolicyError(Exception):
    """The policies, their schema or their data cannot be loaded: the gateway must not start."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one category may be read, and on which basis, or why not.

    `policies` are the `@id`s of the policies that decided (the permits that allowed, the forbids
    that denied; empty for a default deny). `code` and `allowed_by` are for the client;
    `allowed_by` lists the bases ("consent", "agreement", "break_glass", "assignment") or the
    other purposes that could allow it."""

    category: Category
    allowed: bool
    basis: Basis | None
    policies: tuple[str, ...]
    code: DenialCode | None
    allowed_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemoStats:
    """Counters of the engine's two memos: whole decisions and single Cedar evaluations."""

    decision_hits: int
    decision_misses: int
    evaluation_hits: int
    evaluation_misses: int  # = Cedar evaluations actually run
    entries: int  # entries held by both memos (each at most the engine's memo_size)


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lru(Generic[_K, _V]):
    """A bounded least-recently-used map (entries are small: keys of booleans, short tuples)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: _K) -> _V | None:
        value = self._items.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> None:
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
        self.hits = self.misses = 0


@dataclass(frozen=True, slots=True)
class _Outcome:
    allowed: bool
    policies: tuple[str, ...]
    concealed: bool


_Key = tuple[Role, str, Category, PolicyContext]


class PolicyEngine:
    """The loaded, validated policies. Build one with `PolicyEngine.load()` where the gateway
    is built; it owns its memos."""

    def __init__(
        self,
        policies: cedarpy.PolicySet,
        schema: cedarpy.Schema,
        entities: cedarpy.Entities,
        ids: Mapping[str, str],
        concealing: frozenset[str],
        data: PolicyData,
        memo_size: int = _DEFAULT_MEMO,
    ) -> None:
        self._policies = policies
        self._schema = schema
        self._entities = entities
        self._ids = ids  # Cedar's positional id -> the policy's @id
        self._concealing = concealing  # @ids of the forbids marked @conceal
        self.data = data
        self._evaluations: _Lru[_Key, _Outcome] = _Lru(memo_size)
        self._decisions: _Lru[_Key, Decision] = _Lru(memo_size)
        self._static: dict[tuple[Role, str], Mapping[Category, Decision]] = {}
        # The last child decided about without a record, and its context (see `_context`).
        self._last_child: (
            tuple[Principal, str, ChildFacts, Sequence[AgreementFacts], datetime, ChildContext]
            | None
        ) = None

    @classmethod
    def load(cls, directory: Path | None = None, *, memo_size: int = _DEFAULT_MEMO) -> PolicyEngine:
        """Load `directory`'s (default: auth/policy/rules) *.cedar policies, schema.cedarschema and
        data.toml, and validate the policies against the schema. Raises PolicyError with the
        validator's message for anything that does not load or validate."""
        return _load(directory or RULES, memo_size)

    @property
    def policy_ids(self) -> frozenset[str]:
        return frozenset(self._ids.values())

    def memo_stats(self) -> MemoStats:
        return MemoStats(
            self._decisions.hits,
            self._decisions.misses,
            self._evaluations.hits,
            self._evaluations.misses,
            len(self._decisions) + len(self._evaluations),
        )

    def clear_memo(self) -> None:
        self._decisions.clear()
        self._evaluations.clear()

    def in_jurisdiction(self, principal: Principal, facts: ChildFacts) -> bool:
        """Whether the child exists for the principal (DOMAIN.md "Jurisdiction")."""
        return _in_jurisdiction(principal, facts, self.data)

    def decide(
        self,
        principal: Principal,
        purpose: Purpose | str,
        facts: ChildFacts,
        categories: Iterable[Category],
        *,
        agreements: Sequence[AgreementFacts],
        now: datetime,
        record: CaseFacts | None = None,
    ) -> Mapping[Category, Decision]:
        """The decision for each of `categories` of the child `facts` describes. `record` is the
        case a protection.summary / protection.detail decision is about (None: the child's
        protection data as a whole, with no case of the principal's own Balai)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        purpose = str(purpose)
        child = self._context(principal, purpose, facts, agreements, now, record)
        role = principal.role
        return MappingProxyType(
            {c: self._decide(role, purpose, c, child.for_category(c)) for c in categories}
        )

    def _context(
        self,
        principal: Principal,
        purpose: str,
        facts: ChildFacts,
        agreements: Sequence[AgreementFacts],
        now: datetime,
        record: CaseFacts | None,
    ) -> ChildContext:
        """The child's context; about a record of the child last decided about without one (the
        same principal, purpose, facts, agreements and moment: a child's cases are decided right
        after the child), derived from that one instead of computed afresh."""
        last = self._last_child
        if record is None:
            child = ChildContext(principal, purpose, facts, agreements, now, None, self.data)
            self._last_child = (principal, purpose, facts, agreements, now, child)
            return child
        if (
            last is not None
            and last[0] is principal
            and last[1] == purpose
            and last[2] is facts
            and last[3] is agreements
            and last[4] == now
        ):
            return last[5].about(record, principal, purpose, facts, agreements, now)
        return ChildContext(principal, purpose, facts, agreements, now, record, self.data)

    def unread_facts(self, principal: Principal) -> frozenset[str]:
        """The facts fields no rule reads for this principal (data.toml `[facts]`): deciding
        without them decides the same."""
        agency = str(principal.agency)
        return frozenset(
            name for name, readers in self.data.facts_read_only_by.items() if agency not in readers
        )

    def static_denials(self, role: Role, purpose: Purpose | str) -> Mapping[Category, Decision]:
        """What `role` can never see for `purpose`, whatever the facts: the categories the same
        policies deny even with the most permissive facts (context.PERMISSIVE). Code
        PURPOSE_NOT_ALLOWED when another purpose of the role would allow it, else FORBIDDEN."""
        purpose = str(purpose)
        cached = self._static.get((role, purpose))  # bounded: roles x purposes
        if cached is not None:
            return cached
        context = PERMISSIVE._replace(purpose_of_role=_purpose_of_role(role, purpose))
        denied: dict[Category, Decision] = {}
        for category in Category:
            outcome = self._evaluate(role, purpose, category, context)
            if outcome.allowed:
                continue
            others = self._other_purposes(role, purpose, category, context)
            code: DenialCode = PURPOSE_NOT_ALLOWED if others else FORBIDDEN
            denied[category] = Decision(category, False, None, outcome.policies, code, others)
        result = MappingProxyType(denied)
        self._static[(role, purpose)] = result
        return result

    def mandate(self, role: Role, purpose: Purpose | str) -> frozenset[Category]:
        """The categories `role` sees for `purpose` of every child it serves by mandate alone
        (context.MANDATE: no consent, agreement or break-glass): what a lookup, filter or list
        whose membership reveals a category needs."""
        purpose = str(purpose)
        context = MANDATE._replace(purpose_of_role=_purpose_of_role(role, purpose))
        return frozenset(c for c in Category if self._evaluate(role, purpose, c, context).allowed)

    def writes(self, role: Role) -> frozenset[str]:
        """The mutations `role` may run at all (90-writes.cedar); the record-level half of each
        right is the subgraph's, in the write's transaction."""
        allowed: set[str] = set()
        for mutation in self.data.mutations:
            request = {
                "principal": {"type": "Role", "id": str(role)},
                "action": {"type": "Action", "id": "write"},
                "resource": {"type": "Mutation", "id": mutation},
                "context": {},
            }
            result = cedarpy.is_authorized(request, self._policies, self._entities, self._schema)
            if result.diagnostics.errors:
                raise PolicyError("; ".join(result.diagnostics.errors))
            if result.allowed:
                allowed.add(mutation)
        return frozenset(allowed)

    def _decide(
        self, role: Role, purpose: str, category: Category, context: PolicyContext
    ) -> Decision:
        key = (role, purpose, category, context)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._compose(role, purpose, category, context)
            self._decisions.put(key, decision)
        return decision

    def _compose(
        self, role: Role, purpose: str, category: Category, context: PolicyContext
    ) -> Decision:
        outcome = self._evaluate(role, purpose, category, context)
        if outcome.allowed:
            basis, policies = self._basis(role, purpose, category, context, outcome)
            return Decision(category, True, basis, policies, None, ())
        if outcome.concealed:
            # Jurisdiction, SPPA: a plain FORBIDDEN that offers no way round it.
            return Decision(category, False, None, outcome.policies, FORBIDDEN, ())
        # Denial codes, first match wins (DOMAIN.md): no basis at all -> FORBIDDEN; another
        # purpose would reach it -> PURPOSE_NOT_ALLOWED; a consent, agreement or break-glass
        # could allow it -> CONSENT_REQUIRED; being assigned to the case -> ASSIGNMENT_REQUIRED.
        if not self._evaluate(role, purpose, category, _lifted(context)).allowed:
            # Not even every lift at once allows it under this purpose; since the lifts appear
            # only as grounds to allow in the policies, no single one could either.
            others = self._other_purposes(role, purpose, category, context)
            code: DenialCode = PURPOSE_NOT_ALLOWED if others else FORBIDDEN
            return Decision(category, False, None, outcome.policies, code, others)
        lifts = tuple(
            name
            for name, field in LIFTS
            if not getattr(context, field)
            and self._evaluate(role, purpose, category, context._replace(**{field: True})).allowed
        )
        code = FORBIDDEN
        if _SHARED_LIFTS.intersection(lifts):
            code = CONSENT_REQUIRED
        elif lifts:
            code = ASSIGNMENT_REQUIRED
        return Decision(category, False, None, outcome.policies, code, lifts)

    def _basis(
        self,
        role: Role,
        purpose: str,
        category: Category,
        context: PolicyContext,
        outcome: _Outcome,
    ) -> tuple[Basis, tuple[str, ...]]:
        """The strongest single basis that allows it on its own, and the policies that did."""
        if not (context.agreement or context.consent or context.break_glass):
            return "mandate", outcome.policies
        bare = context._replace(agreement=False, consent=False, break_glass=False)
        alone = self._evaluate(role, purpose, category, bare)
        if alone.allowed:
            return "mandate", alone.policies
        for basis, field in _BASES:
            if getattr(context, field):
                alone = self._evaluate(role, purpose, category, bare._replace(**{field: True}))
                if alone.allowed:
                    return basis, alone.policies
        # Only two bases together allow it (no policy asks for that today): the weakest present.
        present = [basis for basis, field in _BASES if getattr(context, field)]
        return present[-1], outcome.policies

    def _other_purposes(
        self, role: Role, purpose: str, category: Category, context: PolicyContext
    ) -> tuple[str, ...]:
        """The role's other purposes under which the category could be allowed (every lift
        granted: the question is whether the purpose reaches it at all)."""
        lifted = _lifted(context)
        if self._evaluate(role, purpose, category, lifted).allowed:
            return ()  # this purpose reaches it: what is missing is not the purpose
        lifted = lifted._replace(purpose_of_role=True)
        return tuple(
            str(other)
            for other in sorted(purposes_of(role))
            if other != purpose and self._evaluate(role, str(other), category, lifted).allowed
        )

    def _evaluate(
        self, role: Role, purpose: str, category: Category, context: PolicyContext
    ) -> _Outcome:
        key = (role, purpose, category, context)
        outcome = self._evaluations.get(key)
        if outcome is not None:
            return outcome
        request = {
            "principal": {"type": "Role", "id": str(role)},
            "action": {"type": "Action", "id": "read"},
            "resource": {"type": "Category", "id": str(category)},
            "context": {"purpose": purpose, **context._asdict()},
        }
        result = cedarpy.is_authorized(request, self._policies, self._entities, self._schema)
        if result.diagnostics.errors:
            # The schema makes this a bug, not an input problem; never decide on a broken rule.
            raise PolicyError("; ".join(result.diagnostics.errors))
        ids = tuple(sorted(self._ids[reason] for reason in result.diagnostics.reasons))
        outcome = _Outcome(
            result.allowed, ids, not result.allowed and any(i in self._concealing for i in ids)
        )
        self._evaluations.put(key, outcome)
        return outcome


def _lifted(context: PolicyContext) -> PolicyContext:
    """`context` with every lift granted (LIFTS: consent, agreement, break-glass, assignment)."""
    return context._replace(**{field: True for _, field in LIFTS})


def _purpose_of_role(role: Role, purpose: str) -> bool:
    return any(p == purpose for p in purposes_of(role))


def _load(directory: Path, memo_size: int) -> PolicyEngine:
    try:
        schema_text = (directory / SCHEMA_FILE).read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(f"{SCHEMA_FILE}: {error}") from None
    try:
        schema = cedarpy.Schema.from_str(schema_text)
    except ValueError as error:
        raise PolicyError(f"{SCHEMA_FILE}: {error}") from None
    data = _load_data(directory / DATA_FILE)

    files = sorted(directory.glob("*.cedar"))
    if not files:
        raise PolicyError(f"{directory}: no *.cedar policy files")
    texts: list[str] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        result = cedarpy.validate_policies(text, schema)
        if not result.validation_passed:
            named = result.id_annotations_by_policy_id
            messages = [
                f"[{named.get(e.policy_id, e.policy_id)}] {e.error}" if e.policy_id else e.error
                for e in result.errors
            ]
            raise PolicyError(f"{file.name}: " + "; ".join(messages) or "invalid")
        texts.append(text)
    source = "\n".join(texts)
    try:
        policies = cedarpy.PolicySet.from_str(source)
        tree = cedarpy.policies_to_pst(source)
    except ValueError as error:
        raise PolicyError(str(error)) from None

    entities_json = _entities(data)
    known = {("Action", "read"), ("Action", "write")} | {
        (uid["type"], uid["id"])
        for entity in entities_json
        if isinstance(uid := entity["uid"], dict)
    }
    ids: dict[str, str] = {}
    concealing: set[str] = set()
    for cedar_id, policy in tree.static_policies.items():
        name = policy.annotations.get("id")
        if not name:
            raise PolicyError(f"a policy without an @id annotation ({cedar_id})")
        if name in ids.values():
            raise PolicyError(f"two policies with @id {name!r}")
        ids[cedar_id] = name
        if CONCEAL in policy.annotations:
            if policy.effect != "forbid":
                raise PolicyError(f"[{name}] only a forbid policy can be @conceal")
            concealing.add(name)
        # A misspelt role or category would silently never match: refuse it.
        for uid in pst.entity_uids(policy):
            if (str(uid.type), uid.id) not in known:
                raise PolicyError(f"[{name}] unknown entity {uid}")
    if tree.templates:
        raise PolicyError("templates are not used by these policies")
    try:
        entities = cedarpy.Entities.from_json_str(json.dumps(entities_json), schema)
    except ValueError as error:
        raise PolicyError(f"entities: {error}") from None
    return PolicyEngine(
        policies,
        schema,
        entities,
        MappingProxyType(ids),
        frozenset(concealing),
        data,
        memo_size,
    )


def _load_data(path: Path) -> PolicyData:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"{path.name}: {error}") from None
    try:
        provinces = {
            str(unit): tuple(prefixes) for unit, prefixes in raw["balai_provinces"].items()
        }
        groups = {str(name): frozenset(roles) for name, roles in raw["groups"].items()}
        max_hours = raw["break_glass"]["max_hours"]
        mutations = tuple(str(m) for m in raw.get("writes", {}).get("mutations", ()))
        read_only_by = {
            str(name): frozenset(str(a) for a in agencies)
            for name, agencies in raw.get("facts", {}).get("read_only_by", {}).items()
        }
    except (KeyError, AttributeError, TypeError) as error:
        raise PolicyError(f"{path.name}: missing or malformed {error}") from None
    for unit, prefixes in provinces.items():
        if not all(isinstance(p, str) and REGION_CODE.fullmatch(p) for p in prefixes):
            raise PolicyError(f"{path.name}: balai_provinces.{unit} holds a bad region code")
    roles = {str(r) for r in Role}
    for name, members in groups.items():
        if not members <= roles:
            raise PolicyError(f"{path.name}: groups.{name} names unknown roles")
    if not isinstance(max_hours, int) or isinstance(max_hours, bool) or not 0 < max_hours <= 24:
        raise PolicyError(f"{path.name}: break_glass.max_hours must be 1..24")
    agencies = {str(a) for a in Agency}
    for name, readers in read_only_by.items():
        if name not in OPTIONAL_FACTS or not readers <= agencies:
            raise PolicyError(
                f"{path.name}: facts.read_only_by.{name}: only {', '.join(OPTIONAL_FACTS)} may be "
                "left unread, by agency names"
            )
    return PolicyData(
        MappingProxyType(provinces),
        MappingProxyType(groups),
        timedelta(hours=max_hours),
        mutations,
        MappingProxyType(read_only_by),
    )


def _entities(data: PolicyData) -> list[dict[str, object]]:
    """Roles (in their agency and groups), agencies, groups and categories, as Cedar entities."""

    def uid(kind: str, name: str) -> dict[str, str]:
        return {"type": kind, "id": name}

    entities: list[dict[str, object]] = []
    entities += [{"uid": uid("Agency", str(a)), "attrs": {}, "parents": []} for a in Agency]
    entities += [{"uid": uid("Group", g), "attrs": {}, "parents": []} for g in data.groups]
    for role in Role:
        parents = [uid("Agency", str(ROLE_AGENCY[role]))]
        parents += [uid("Group", g) for g, members in data.groups.items() if role in members]
        entities.append({"uid": uid("Role", str(role)), "attrs": {}, "parents": parents})
    entities += [{"uid": uid("Category", str(c)), "attrs": {}, "parents": []} for c in Category]
    entities += [{"uid": uid("Mutation", m), "attrs": {}, "parents": []} for m in data.mutations]
    return entities
