"""The `@link` (and Fed 1 `@core`) machinery: which specs a supergraph links, under which names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import DirectiveNode, SchemaDefinitionNode, value_from_ast_untyped

JOIN_SPEC = "https://specs.apollo.dev/join/"
LINK_SPEC = "https://specs.apollo.dev/link/"
CORE_SPEC = "https://specs.apollo.dev/core/"
INACCESSIBLE_SPEC = "https://specs.apollo.dev/inaccessible/"
POLICY_SPEC = "https://specs.apollo.dev/policy/"

_VERSIONED = re.compile(r"^(?P<base>.+/)(?P<name>[A-Za-z_][A-Za-z0-9_]*)/v(?P<version>\d+\.\d+)$")


@dataclass(frozen=True)
class LinkedSpec:
    url: str
    name: str  # the spec's own name, e.g. "join"
    version: str
    prefix: str  # the name its elements carry here: `as:` or the spec name
    imports: dict[
        str, str
    ]  # imported element -> local name, e.g. "@inaccessible" -> "@inaccessible"
    purpose: str | None

    def directive(self, element: str) -> str:
        """Local name of the spec's directive `element` (without @)."""
        imported = self.imports.get(f"@{element}")
        if imported is not None:
            return imported.lstrip("@")
        if element == self.name:
            return self.prefix
        return f"{self.prefix}__{element}"

    def type_name(self, element: str) -> str:
        return self.imports.get(element) or f"{self.prefix}__{element}"


def directive_arguments(directive: DirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def applied(node: Any, name: str) -> list[dict[str, Any]]:
    """The arguments of each `@name` applied to `node`, in order."""
    return [directive_arguments(d) for d in (node.directives or ()) if d.name.value == name]


def read_links(schema_nodes: Sequence[SchemaDefinitionNode | Any]) -> tuple[LinkedSpec, ...]:
    specs: list[LinkedSpec] = []
    for node in schema_nodes:
        for directive in node.directives or ():
            if directive.name.value not in {"link", "core"}:
                continue
            args = directive_arguments(directive)
            url = args.get("url") or args.get("feature")
            if not isinstance(url, str):
                continue
            match = _VERSIONED.match(url.rstrip("/"))
            if match is None:
                continue
            imports: dict[str, str] = {}
            for item in args.get("import") or ():
                if isinstance(item, str):
                    imports[item] = item
                elif isinstance(item, dict) and "name" in item:
                    imports[item["name"]] = item.get("as") or item["name"]
            specs.append(
                LinkedSpec(
                    url=url,
                    name=match["name"],
                    version=match["version"],
                    prefix=args.get("as") or match["name"],
                    imports=imports,
                    purpose=args.get("for"),
                )
            )
    return tuple(specs)


def find_spec(links: Iterable[LinkedSpec], base: str) -> LinkedSpec | None:
    """The first linked spec whose URL starts with `base` (e.g. JOIN_SPEC), if any."""
    for spec in links:
        if spec.url.startswith(base):
            return spec
    return None
