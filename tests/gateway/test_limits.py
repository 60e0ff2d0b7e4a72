"""Operation limits before planning, the plan cache's budget in bytes, and production mode
(introspection and suggestions), over our real supergraph. Refusals happen in `prepare`, before
any subgraph is asked: these tests need no subgraph (tests/gateway/test_gateway_e2e.py has the
HTTP ones with subgraphs)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import Node, parse

import gateway.prepare as prepare_module
from gateway.config import GatewayConfig
from gateway.engine import Gateway
from gateway.errors import RequestError
from gateway.http import create_gateway_app
from gateway.limits import (
    MAX_ALIASES_LIMIT,
    MAX_DEPTH_LIMIT,
    MAX_ROOT_FIELDS_LIMIT,
    MAX_SELECTIONS_LIMIT,
    measure,
)
from gateway.planner.plan import fetch_nodes
from gateway.prepare import entry_bytes
from gateway.supergraph import Supergraph, parse_supergraph

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return parse_supergraph(SUPERGRAPH.read_text())


def gateway(supergraph: Supergraph, **settings: Any) -> Gateway:
    return Gateway(supergraph, GatewayConfig(**settings))


def refusal(gw: Gateway, query: str, operation_name: str | None = None) -> RequestError:
    with pytest.raises(RequestError) as refused:
        gw.prepare(query, operation_name)
    return refused.value


def codes(refused: RequestError) -> set[str]:
    return {e["extensions"]["code"] for e in refused.errors}


def bomb(n: int) -> str:
    """~40 bytes a level; expands to 2^n copies of `id`."""
    lines = [f'query Bomb {{ child(id: "ANK000000001") {{ ...F{n} }} }}']
    lines.append("fragment F0 on Child { id }")
    lines += [f"fragment F{i} on Child {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, n + 1)]
    return "\n".join(lines)


def complaints_chain(levels: int) -> str:
    """`complaints { child { ... } }` nested `levels` times under `child`: 2 * levels + 2 deep."""
    inner = "id"
    for _ in range(levels):
        inner = f"complaints {{ child {{ {inner} }} }}"
    return f'{{ child(id: "ANK000000001") {{ {inner} }} }}'


@pytest.fixture
def counted_stages(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How often validation and normalization ran (what a refusal must not reach)."""
    calls = {"validate": 0, "normalize": 0}

    def counting(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(prepare_module, "validate", counting("validate", prepare_module.validate))
    monkeypatch.setattr(
        prepare_module, "normalize", counting("normalize", prepare_module.normalize)
    )
    yield calls


# --- fragment bombs ------------------------------------------------------------------------


def test_bomb_is_counted_without_expanding() -> None:
    # The count is exact (3 * 2^n selections: `child`, the spread, and F(n)'s 3 * 2^n - 2) for
    # an expansion no machine could hold.
    for n in (1, 2, 10, 29, 200):
        (found,) = measure(parse(bomb(n), no_location=True)).values()
        assert found.selections == min(3 * 2**n, 1 << 40)
        assert found.depth == 2 and found.aliases == 0 and found.root_fields == 1


@pytest.mark.parametrize("n", [18, 29])
def test_fragment_bomb_is_refused_before_validation_and_without_memory(
    supergraph: Supergraph, counted_stages: dict[str, int], n: int
) -> None:
    gw = gateway(supergraph)
    gc.collect()
    tracemalloc.start()
    try:
        refused = refusal(gw, bomb(n))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.code == MAX_SELECTIONS_LIMIT and codes(refused) == {MAX_SELECTIONS_LIMIT}
    assert refused.errors[0]["extensions"]["limit"] == 2_000
    assert counted_stages == {"validate": 0, "normalize": 0}
    assert peak < 1_000_000  # the parsed document and the counts; 2^18 expanded took ~75 MB


def test_bomb_within_a_raised_budget_is_prepared(supergraph: Supergraph) -> None:
    gw = gateway(supergraph, max_selections=3 * 2**8)
    assert gw.prepare(bomb(8), None).plan.node is not None
    assert refusal(gateway(supergraph, max_selections=3 * 2**8 - 1), bomb(8)).code == (
        MAX_SELECTIONS_LIMIT
    )


def test_many_selections_without_fragments_are_refused(supergraph: Supergraph) -> None:
    query = '{ child(id: "1") { ' + " ".join(["name"] * 30) + " } }"
    assert refusal(gateway(supergraph, max_selections=30), query).code == MAX_SELECTIONS_LIMIT
    gateway(supergraph, max_selections=31).prepare(query, None)


# --- depth -----------------------------------------------------------------------------------


def test_default_depth_limit_is_15(supergraph: Supergraph) -> None:
    gw = gateway(supergraph)
    assert gw.config.max_depth == 15
    refused = refusal(gw, complaints_chain(7))  # 16 deep
    assert refused.code == MAX_DEPTH_LIMIT and codes(refused) == {MAX_DEPTH_LIMIT}
    assert "15" in refused.errors[0]["message"]
    # 15 deep is fine; inline fragments do not count as levels.
    gw.prepare(
        complaints_chain(6).replace("id }", "... on Child { ... on Child { id } } }", 1), None
    )


def test_depth_is_counted_through_fragment_spreads(
    supergraph: Supergraph, counted_stages: dict[str, int]
) -> None:
    # No selection set here is written deeper than 3, but spread into each other they are 17.
    query = """
    { child(id: "ANK000000001") { ...L1 } }
    fragment L1 on Child { complaints { child { ...L2 } } }
    fragment L2 on Child { complaints { child { ...L3 } } }
    fragment L3 on Child { complaints { child { ...L4 } } }
    fragment L4 on Child { complaints { child { ...L5 } } }
    fragment L5 on Child { complaints { child { ...L6 } } }
    fragment L6 on Child { complaints { child { ...L7 } } }
    fragment L7 on Child { complaints { child { ...L8 } } }
    fragment L8 on Child { complaints { child { id } } }
    """
    refused = refusal(gateway(supergraph, max_depth=15), query)
    assert refused.code == MAX_DEPTH_LIMIT
    assert counted_stages["validate"] == 0
    (found,) = measure(parse(query)).values()
    assert found.depth == 18
    gateway(supergraph, max_depth=18).prepare(query, None)


def test_a_long_chain_of_fragments_is_measured_without_recursion() -> None:
    n = 5_000  # far past Python's recursion limit
    lines = ['{ child(id: "1") { ...C0 } }']
    lines += [f"fragment C{i} on Child {{ ...C{i + 1} }}" for i in range(n)]
    lines.append(f"fragment C{n} on Child {{ complaints {{ id }} }}")
    (found,) = measure(parse("\n".join(lines), no_location=True)).values()
    assert found.depth == 3 and found.selections == n + 4


def test_fragment_cycles_are_left_to_validation(supergraph: Supergraph) -> None:
    query = """{ child(id: "1") { ...A } }
    fragment A on Child { complaints { child { ...B } } }
    fragment B on Child { id ...A }"""
    refused = refusal(gateway(supergraph), query)
    assert refused.code == "GRAPHQL_VALIDATION_FAILED"
    assert any("within itself" in e["message"] for e in refused.errors)


# --- aliases and root fields ----------------------------------------------------------------


def test_aliases_are_counted_in_every_spread(supergraph: Supergraph) -> None:
    query = """{ child(id: "1") { ...Named ...Named ...Named } }
    fragment Named on Child { a: name b: name c: id }"""
    (found,) = measure(parse(query)).values()
    assert found.aliases == 9
    refused = refusal(gateway(supergraph, max_aliases=8), query)
    assert refused.code == MAX_ALIASES_LIMIT and codes(refused) == {MAX_ALIASES_LIMIT}
    gateway(supergraph, max_aliases=9).prepare(query, None)
    assert gateway(supergraph).config.max_aliases == 30


def test_root_fields_are_counted_through_fragments(supergraph: Supergraph) -> None:
    roots = " ".join(f'c{i}: child(id: "{i}") {{ id }}' for i in range(4))
    query = f"query {{ ...Roots ...Roots __typename }} fragment Roots on Query {{ {roots} }}"
    (found,) = measure(parse(query)).values()
    assert found.root_fields == 9  # nested fields are not root fields
    refused = refusal(gateway(supergraph, max_root_fields=8), query)
    assert refused.code == MAX_ROOT_FIELDS_LIMIT and codes(refused) == {MAX_ROOT_FIELDS_LIMIT}
    assert gateway(supergraph).config.max_root_fields == 20


def test_every_operation_of_the_document_is_checked(supergraph: Supergraph) -> None:
    # Validation reads them all: the one not asked for is limited too.
    query = f'query Fine {{ child(id: "1") {{ id }} }}\nquery Deep {complaints_chain(7)}'
    assert refusal(gateway(supergraph), query, "Fine").code == MAX_DEPTH_LIMIT


def test_limits_come_from_the_environment_and_files(tmp_path: Path) -> None:
    config = GatewayConfig.from_env(
        {
            "SATU_ANAK_MAX_DEPTH": "9",
            "SATU_ANAK_MAX_ALIASES": "8",
            "SATU_ANAK_MAX_ROOT_FIELDS": "7",
            "SATU_ANAK_MAX_SELECTIONS": "600",
            "SATU_ANAK_PLAN_CACHE_BYTES": "5000000",
            "SATU_ANAK_INTROSPECTION": "true",
        }
    )
    assert (config.max_depth, config.max_aliases, config.max_root_fields) == (9, 8, 7)
    assert (config.max_selections, config.plan_cache_bytes, config.introspection) == (
        600,
        5_000_000,
        True,
    )
    toml = tmp_path / "gateway.toml"
    toml.write_text("max_depth = 12\nplan_cache_bytes = 1000000\nintrospection = false\n")
    loaded = GatewayConfig.from_file(toml)
    assert (loaded.max_depth, loaded.plan_cache_bytes, loaded.introspection) == (
        12,
        1_000_000,
        False,
    )


# --- the plan cache ---------------------------------------------------------------------------

PICTURE = """query Picture($id: ID!) { child(id: $id) {
  id name kabupatenCode documentStatus
  pkh { family { status } compliance { consecutiveNonCompliantPeriods latestCompliant } }
  welfare { decile } complaints { channel status } cases { caseNumber stage balai { name } }
} }"""


def test_the_cached_document_holds_no_locations(supergraph: Supergraph) -> None:
    prepared = gateway(supergraph).prepare(PICTURE, None)
    nodes: list[Node] = [prepared.document]
    seen = 0
    while nodes:
        node = nodes.pop()
        seen += 1
        assert node.loc is None  # a location holds the source's whole token chain
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                nodes.append(value)
            elif isinstance(value, tuple):
                nodes.extend(v for v in value if isinstance(v, Node))
    assert seen > 50


def test_errors_still_say_where(supergraph: Supergraph) -> None:
    gw = gateway(supergraph)
    invalid = refusal(gw, '{ child(id: "1") {\n  nope } }')
    assert invalid.code == "GRAPHQL_VALIDATION_FAILED"
    assert invalid.errors[0]["locations"] == [{"line": 2, "column": 3}]
    assert invalid.errors[0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    syntax = refusal(gw, "{ child(id: ) }")
    assert syntax.code == "GRAPHQL_PARSE_FAILED"
    assert syntax.errors[0]["locations"] == [{"line": 1, "column": 13}]
    assert syntax.errors[0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


def test_the_cache_is_bounded_in_bytes(supergraph: Supergraph) -> None:
    one = entry_bytes(PICTURE, gateway(supergraph).prepare(PICTURE, None))
    gw = gateway(supergraph, plan_cache_bytes=int(one * 3.5))
    for i in range(10):
        gw.prepare(f"{PICTURE}# copy {i}", None)
        assert gw.preparer.cache_bytes <= gw.config.plan_cache_bytes
    assert len(gw.preparer._cache) == 3
    # The most recently used stay: copy 7 used again survives the next two.
    gw.prepare(f"{PICTURE}# copy 7", None)
    gw.prepare(f"{PICTURE}# copy 10", None)
    gw.prepare(f"{PICTURE}# copy 11", None)
    assert [key[0][-2:] for key in gw.preparer._cache] == [" 7", "10", "11"]
    # An entry larger than the whole budget is used, not cached.
    small = gateway(supergraph, plan_cache_bytes=one // 2)
    small.prepare(PICTURE, None)
    assert small.preparer.cache_bytes == 0 and not small.preparer._cache


def test_the_entry_estimate_is_close_to_the_memory_held(supergraph: Supergraph) -> None:
    gw = gateway(supergraph)
    gw.prepare(PICTURE + "# warm-up", None)  # shared, lazily built things out of the way
    gc.collect()
    tracemalloc.start()
    try:
        prepared = gw.prepare(PICTURE, None)
        for fetch in fetch_nodes(prepared.plan.node):
            assert fetch.operation  # the texts sent to subgraphs, printed once and kept
        estimate = entry_bytes(PICTURE, prepared)
        del prepared, fetch
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        gw.preparer._cache.clear()
        gc.collect()
        freed = held - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # Without shaping's field lists (filled by a request) the estimate is above what is held,
    # but not by much (docs/limits.md has the figures after a request).
    assert freed > 0
    assert 1.0 <= estimate / freed <= 2.0, (estimate, freed)


# --- production mode ----------------------------------------------------------------------


def test_introspection_is_refused_outside_development_mode(supergraph: Supergraph) -> None:
    production = gateway(supergraph)
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Child") { name } }'):
        refused = refusal(production, query)
        assert refused.code == "INTROSPECTION_DISABLED"
        assert codes(refused) == {"INTROSPECTION_DISABLED"}
        assert refused.errors[0]["locations"]
    nested = refusal(production, '{ child(id: "1") { id __type: name } __schema { __typename } }')
    assert nested.code == "INTROSPECTION_DISABLED"
    # The root __typename is not introspection.
    assert production.prepare("{ __typename }", None).local_document is not None
    # In development mode, or when enabled, introspection is answered.
    for gw in (gateway(supergraph, development=True), gateway(supergraph, introspection=True)):
        assert gw.prepare("{ __schema { types { name } } }", None).local_document is not None
    refused = refusal(
        gateway(supergraph, development=True, introspection=False), "{ __schema { __typename } }"
    )
    assert refused.code == "INTROSPECTION_DISABLED"


def test_no_suggestions_outside_development_mode(supergraph: Supergraph) -> None:
    query = '{ child(id: "1") { nam } chidl(id: "1") { id } }'
    production = refusal(gateway(supergraph), query)
    development = refusal(gateway(supergraph, development=True), query)
    assert production.code == development.code == "GRAPHQL_VALIDATION_FAILED"
    assert len(production.errors) == len(development.errors) == 2
    assert not any("Did you mean" in e["message"] for e in production.errors)
    assert all("Did you mean" in e["message"] for e in development.errors)


# --- over HTTP -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_bomb_over_http_gets_the_typed_error(supergraph: Supergraph) -> None:
    # The real app; refused in `prepare`, so no subgraph is ever asked (none runs here).
    app = create_gateway_app(gateway(supergraph))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        for accept, status in (
            ("application/graphql-response+json", 400),
            ("application/json", 200),
        ):
            response = await client.post(
                "/graphql", json={"query": bomb(29)}, headers={"accept": accept}
            )
            assert response.status_code == status
            assert response.headers["content-type"].startswith(accept)
            body = response.json()
            assert "data" not in body
            assert [e["extensions"]["code"] for e in body["errors"]] == [MAX_SELECTIONS_LIMIT]
        deep = await client.get(
            "/graphql",
            params={"query": complaints_chain(7)},
            headers={
                "accept": "application/graphql-response+json",
                "apollo-require-preflight": "1",  # a GET needs it (CSRF prevention)
            },
        )
        assert deep.status_code == 400
        assert deep.json()["errors"][0]["extensions"]["code"] == MAX_DEPTH_LIMIT
