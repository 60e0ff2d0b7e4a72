"""Persisted operations and the safelist mode.

The manifest is Apollo's persisted query list format:
`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name",
"type", "body"}]}` (an id is conventionally the SHA-256 of the body, in hex). A request names
an operation by id as Apollo clients do (`extensions.persistedQuery.sha256Hash`) or as the
GraphQL-over-HTTP persisted documents do (`documentId`, optionally `sha256:`-prefixed).

In safelist mode (a manifest configured) the gateway runs only operations of the manifest:
an unknown id is refused (`PERSISTED_QUERY_NOT_FOUND`), free text too
(`PERSISTED_QUERY_NOT_IN_LIST`) — unless `persisted_require_id` is off, when free text runs
only if it is, byte for byte, the body of an operation in the manifest. Nothing is ever
registered at run time: in safelist mode a request sending both an id and text (an automatic
persisted query registration) is refused (`PERSISTED_QUERY_NOT_SUPPORTED`). Without a manifest
the text of such a request runs like any other (and nothing is kept), a request by id alone is
refused with that code (an APQ client then sends the text), and free text runs as always."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import RequestError, error

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
_TYPES = frozenset({"query", "mutation", "subscription"})


class ManifestError(ValueError):
    """The manifest cannot be read or is not a persisted query manifest."""


@dataclass(frozen=True)
class PersistedOperation:
    id: str
    name: str
    type: str
    body: str


def operation_id(body: str) -> str:
    """The id Apollo's tools give an operation: the SHA-256 of its body, in hex."""
    return hashlib.sha256(body.encode()).hexdigest()


class Manifest:
    def __init__(self, operations: Iterable[PersistedOperation]) -> None:
        self.by_id: dict[str, PersistedOperation] = {}
        for operation in operations:
            if operation.id in self.by_id and self.by_id[operation.id] != operation:
                raise ManifestError(f"the id {operation.id} is given to two operations")
            self.by_id[operation.id] = operation
        self.bodies = frozenset(op.body for op in self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ManifestError(f'not a persisted query manifest (format "{MANIFEST_FORMAT}")')
        if data.get("version") != 1:
            raise ManifestError(f"manifest version {data.get('version')!r} (only 1 is known)")
        operations = data.get("operations")
        if not isinstance(operations, list):
            raise ManifestError("the manifest's operations must be a list")
        found = []
        for index, item in enumerate(operations):
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("id", "name", "type", "body")
            ):
                raise ManifestError(f"operation {index}: id, name, type and body must be strings")
            if item["type"] not in _TYPES or not item["id"] or not item["body"].strip():
                raise ManifestError(f"operation {index}: bad type, or empty id or body")
            found.append(PersistedOperation(item["id"], item["name"], item["type"], item["body"]))
        return cls(found)

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as failure:
            raise ManifestError(
                f"cannot read the persisted query manifest {path}: {failure}"
            ) from None
        try:
            return cls.from_json(data)
        except ManifestError as failure:
            raise ManifestError(f"{path}: {failure}") from None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "version": 1,
            "operations": [
                {"id": op.id, "name": op.name, "type": op.type, "body": op.body}
                for op in self.by_id.values()
            ],
        }


def _refused(message: str, code: str) -> RequestError:
    return RequestError([error(message, code)], code)


def requested_id(params: Mapping[str, Any]) -> str | None:
    """The id a request names, if any (`documentId`, or Apollo's persisted query extension)."""
    document_id = params.get("documentId")
    if document_id is not None:
        if not isinstance(document_id, str) or not document_id:
            raise _refused("documentId must be a non-empty string", "BAD_REQUEST")
        return document_id
    extensions = params.get("extensions")
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise _refused("extensions must be a JSON object", "BAD_REQUEST")
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    sha = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(sha, str) or not sha:
        raise _refused("extensions.persistedQuery needs a sha256Hash string", "BAD_REQUEST")
    return sha


class Safelist:
    """Turns a request's parameters into the document to run, or refuses them."""

    def __init__(self, manifest: Manifest | None, require_id: bool = True) -> None:
        self.manifest = manifest
        self.require_id = require_id

    def document(self, params: Mapping[str, Any]) -> Any:
        """The document text the request stands for (what the app then checks as `query`);
        raises RequestError for a refusal."""
        wanted = requested_id(params)
        query = params.get("query")
        if wanted is None:
            if self.manifest is None or query is None:
                return query
            if not self.require_id and isinstance(query, str) and query in self.manifest.bodies:
                return query
            raise _refused(
                "Only the operations of the gateway's persisted operation list may run: send "
                "the operation's id.",
                PERSISTED_QUERY_NOT_IN_LIST,
            )
        if query is not None and self.manifest is None:
            return query  # run as text, as any other; nothing is registered
        if query is not None:
            # An automatic persisted query registration (or a client sending both): nothing is
            # registered here, and text beside an id is not run.
            raise _refused(
                "Persisted operations cannot be registered: send the id alone.",
                PERSISTED_QUERY_NOT_SUPPORTED,
            )
        if self.manifest is None:
            raise _refused(
                "This gateway runs no persisted operations: send the query text.",
                PERSISTED_QUERY_NOT_SUPPORTED,
            )
        operation = self.manifest.by_id.get(wanted)
        if operation is None and wanted.startswith("sha256:"):
            operation = self.manifest.by_id.get(wanted[len("sha256:") :])
        if operation is None:
            raise _refused("No persisted operation has this id.", PERSISTED_QUERY_NOT_FOUND)
        return operation.body


def manifest_of_documents(documents: Iterable[tuple[str, str]]) -> Manifest:
    """A manifest of every operation in these `(source name, GraphQL text)` documents: each
    operation's body is the operation and the fragments it uses (those of its own document),
    printed by graphql-core; its id the SHA-256 of the body. Operations must be named, once."""
    from graphql import (
        DocumentNode,
        FragmentDefinitionNode,
        FragmentSpreadNode,
        GraphQLError,
        OperationDefinitionNode,
        Visitor,
        parse,
        print_ast,
        visit,
    )

    class Spreads(Visitor):
        def __init__(self) -> None:
            super().__init__()
            self.names: list[str] = []

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            self.names.append(node.name.value)

    operations: list[PersistedOperation] = []
    seen: dict[str, str] = {}
    for source, text in documents:
        try:
            document = parse(text)
        except GraphQLError as failure:
            raise ManifestError(f"{source}: {failure.message}") from None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if definition.name is None:
                raise ManifestError(f"{source}: an operation without a name")
            name = definition.name.value
            if name in seen:
                raise ManifestError(f"{source}: operation {name} is also in {seen[name]}")
            seen[name] = source
            used: list[str] = []
            pending = [definition]
            while pending:
                spreads = Spreads()
                visit(pending.pop(), spreads)
                for spread in spreads.names:
                    if spread not in used:
                        if spread not in fragments:
                            raise ManifestError(f"{source}: fragment {spread} is not defined")
                        used.append(spread)
                        pending.append(fragments[spread])  # type: ignore[arg-type]
            body = print_ast(
                DocumentNode(definitions=(definition, *(fragments[f] for f in sorted(used))))
            )
            kind = definition.operation.value
            operations.append(PersistedOperation(operation_id(body), name, kind, body))
    return Manifest(operations)
