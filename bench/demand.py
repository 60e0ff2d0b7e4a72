"""Demand control: the estimated cost (gateway/demand) of the queries our users run, of hostile
ones, of the gateway benchmark's and (given a checkout) of the federation audit's — the figures
docs/limits.md uses to pick the default budget (`max_cost`).

Run: .venv/bin/python bench/demand.py [--audit PATH_TO/federation-gateway-audit] [--list-size N]

Our queries are found, not listed: every string in the end-to-end tests, bench/consent,
bench/planning.py, the README and the console that is a GraphQL operation valid against
schema/supergraph.graphql. Int variables a query declares without a value are taken as 100
(the largest page a subgraph serves), so slicing arguments given by variable count at their
worst. The audit's suites are composed from the subgraph SDL in each `*.subgraph.ts` with our
composer, and their queries read from `test.ts`; they carry no @cost/@listSize, so every list
there counts `--list-size` items (the gateway's default).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphql import (  # noqa: E402
    GraphQLError,
    NamedTypeNode,
    OperationDefinitionNode,
    parse,
    validate,
)

from composition import SubgraphSource, compose  # noqa: E402
from gateway.config import GatewayConfig  # noqa: E402
from gateway.demand import CostError, CostEstimator  # noqa: E402
from gateway.operation import normalize  # noqa: E402
from gateway.supergraph import Supergraph, parse_supergraph  # noqa: E402

PAGE = 100  # the largest `first` a subgraph serves (subgraphs/common/validation.py)

OUR_SOURCES = [
    *sorted((ROOT / "tests").rglob("*e2e*.py")),
    *sorted((ROOT / "bench" / "consent").glob("*.py")),
    ROOT / "bench" / "planning.py",
    ROOT / "gateway" / "http" / "console.py",
]

# Nested lists through cyclic types: what an attacker would send (docs/limits.md).
HOSTILE = {
    "child-complaints-cycle x3": """{ child(id: "ANK000000001") { complaints { child {
        complaints { child { complaints { id } } } } } } }""",
    "search-100 x complaints x cases": """{ searchChildren(regionCode: "14", first: 100) {
        nodes { complaints { child { cases { caseNumber } } } } } }""",
    "balai-caseworkers-cases x3": """{ balaiList { caseworkers { balai { caseworkers {
        balai { caseworkers { name } } } } } } }""",
    "cases-100 x child x placements x lksa": """{ cases(balaiCode: "RUMBAI", first: 100) {
        nodes { child { placements { lksa { name } } complaints { referrals { id } } } } } }""",
    "search-100 x (complaints x child) x3 x cases": """{ searchChildren(regionCode: "14",
        first: 100) { nodes { complaints { child { complaints { child { complaints { child {
        cases { caseNumber } } } } } } } } } }""",
    "aliases: 20 x (search-100 x complaints x cases)": "{ "
    + " ".join(
        f'a{i}: searchChildren(regionCode: "14", first: 100) '
        "{ nodes { complaints { child { cases { caseNumber } } } } }"
        for i in range(20)
    )
    + " }",
    "aliases: 20 searches of 100": "{ "
    + " ".join(
        f'a{i}: searchChildren(regionCode: "14", first: 100) {{ nodes {{ id }} }}'
        for i in range(20)
    )
    + " }",
}


def _strings_in_python(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):  # f-strings: only their literal parts
            yield "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )


def _strings_in_readme(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    for body in re.findall(r"-d '(\{.*?\})'", text):
        try:
            yield json.loads(body)["query"]
        except (ValueError, KeyError):
            continue
    for body in re.findall(r'-d "(\{.*?\})"', text):
        try:
            yield json.loads(body.replace('\\"', '"').replace("\\$", "$"))["query"]
        except (ValueError, KeyError):
            continue
    yield from re.findall(r"```graphql\n(.*?)```", text, flags=re.S)


def _console_queries(path: Path) -> Iterator[str]:
    yield from re.findall(r'<textarea id="query"[^>]*>(.*?)</textarea>', path.read_text(), re.S)


def _variables(operation: OperationDefinitionNode) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        named = definition.type
        while not isinstance(named, NamedTypeNode):
            named = named.type
        if named.name.value == "Int" and definition.default_value is None:
            values[definition.variable.name.value] = PAGE
    return values


def operations(text: str, supergraph: Supergraph) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(name, normalized operation, variables) for each valid operation in `text`."""
    try:
        document = parse(text)
    except GraphQLError:
        return
    if validate(supergraph.api_schema, document):
        return
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else "(anonymous)"
            try:
                operation = normalize(document, definition.name.value if definition.name else None)
            except Exception:
                continue
            yield name, operation, _variables(definition)


def estimate(estimator: CostEstimator, operation: Any, variables: dict[str, Any]) -> float | str:
    try:
        return estimator.estimate(operation, variables)
    except CostError as error:
        return f"refused: {error}"


def ours(list_size: int) -> list[tuple[str, float | str]]:
    supergraph = parse_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())
    estimator = CostEstimator(supergraph.api_schema, supergraph.costs, list_size)
    seen: set[str] = set()
    rows: list[tuple[str, float | str]] = []
    texts: list[tuple[str, str]] = []
    for path in OUR_SOURCES:
        strings = _console_queries(path) if path.name == "console.py" else _strings_in_python(path)
        texts.extend((path.relative_to(ROOT).as_posix(), s) for s in strings)
    texts.extend(("README.md", s) for s in _strings_in_readme(ROOT / "README.md"))
    for source, text in texts:
        for name, operation, variables in operations(text, supergraph):
            key = re.sub(r"\s+", " ", text.strip())
            if key in seen:
                continue
            seen.add(key)
            rows.append((f"{source}: {name}", estimate(estimator, operation, variables)))
    return rows


def hostile(list_size: int) -> list[tuple[str, float | str]]:
    supergraph = parse_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())
    estimator = CostEstimator(supergraph.api_schema, supergraph.costs, list_size)
    rows: list[tuple[str, float | str]] = []
    for label, text in HOSTILE.items():
        for _name, operation, variables in operations(text, supergraph):
            rows.append((label, estimate(estimator, operation, variables)))
    return rows


def bench_gateway(list_size: int) -> list[tuple[str, float | str]]:
    # workload.py's QUERY, read without importing it (it imports that folder's own modules).
    tree = ast.parse((ROOT / "bench/gateway/workload.py").read_text())
    query = next(
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "QUERY" for t in node.targets)
        and isinstance(node.value, ast.Constant)
    )
    supergraph = parse_supergraph((ROOT / "bench/gateway/supergraph.graphql").read_text())
    estimator = CostEstimator(supergraph.api_schema, supergraph.costs, list_size)
    return [
        (f"bench/gateway: {name}", estimate(estimator, operation, variables))
        for name, operation, variables in operations(query, supergraph)
    ]


_TYPEDEFS = re.compile(r"typeDefs:\s*(?:/\*\s*GraphQL\s*\*/)?\s*(?:gql|parse\()?\s*`(.*?)`", re.S)
_TEST = re.compile(r"createTest\(\s*(?:/\*\s*GraphQL\s*\*/)?\s*`(.*?)`", re.S)


def audit(root: Path, list_size: int) -> list[tuple[str, float | str]]:
    rows: list[tuple[str, float | str]] = []
    for suite in sorted((root / "src" / "test-suites").iterdir()):
        sources = []
        for path in sorted(suite.glob("*.subgraph.ts")):
            found = _TYPEDEFS.search(path.read_text())
            if found:
                name = path.name.removesuffix(".subgraph.ts")
                sources.append(SubgraphSource(name, f"http://{name}", found.group(1)))
        result = compose(sources) if sources else None
        if result is None or not result.ok or result.supergraph_sdl is None:
            rows.append((f"audit {suite.name}", "not composed here"))
            continue
        supergraph = parse_supergraph(result.supergraph_sdl)
        estimator = CostEstimator(supergraph.api_schema, supergraph.costs, list_size)
        tests = (suite / "test.ts").read_text() if (suite / "test.ts").exists() else ""
        for index, text in enumerate(_TEST.findall(tests)):
            for _name, operation, variables in operations(text, supergraph):
                rows.append(
                    (f"audit {suite.name} #{index}", estimate(estimator, operation, variables))
                )
    return rows


def _print(title: str, rows: list[tuple[str, float | str]]) -> None:
    print(f"\n## {title}")
    for label, value in rows:
        shown = f"{value:>10.0f}" if isinstance(value, float) else f"{value:>10}"
        print(f"{shown}  {label}")
    numbers = [v for _, v in rows if isinstance(v, float)]
    if numbers:
        print(f"{'':>10}  {len(numbers)} operations, max {max(numbers):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list-size", type=int, default=GatewayConfig().cost_list_size)
    parser.add_argument("--audit", type=Path, help="a checkout of federation-gateway-audit")
    args = parser.parse_args()
    print(f"default list size {args.list_size}, budget max_cost {GatewayConfig().max_cost}")
    _print("our queries (schema/supergraph.graphql)", ours(args.list_size))
    _print("hostile queries", hostile(args.list_size))
    _print("gateway benchmark (The Guild's deep query)", bench_gateway(args.list_size))
    if args.audit is not None:
        _print("federation audit", audit(args.audit, args.list_size))


if __name__ == "__main__":
    main()
