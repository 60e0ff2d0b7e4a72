"""A subgraph's answer as the gateway takes it: checked to be a GraphQL response, or an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson

from gateway.errors import SUBGRAPH_UNAVAILABLE, UNAUTHENTICATED
from gateway.types import JsonObject

# What a subgraph may report its mutations changed (`extensions.changes`, see
# subgraphs/common/context.py), kept for the audit record: at most this many changes, each
# {"entity", "id", "action"}, every value a string of at most this many characters.
MAX_CHANGES = 100
MAX_CHANGE_TEXT = 200


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    data: JsonObject | None
    errors: list[JsonObject]
    # What the subgraph reported its mutations changed, as read by `reported_changes`.
    changes: tuple[dict[str, str], ...] = ()


def failure(service: str, message: str) -> SubgraphResponse:
    """No usable answer from `service`: no data, one error naming it."""
    return SubgraphResponse(
        None,
        [
            {
                "message": message,
                "extensions": {"code": SUBGRAPH_UNAVAILABLE, "serviceName": service},
            }
        ],
    )


def no_principal(service: str) -> SubgraphResponse:
    """Nothing sent: the gateway signs grants, and this request has nobody to sign one for."""
    return SubgraphResponse(
        None,
        [
            {
                "message": f"Subgraph {service} was not asked: the request has no signed-in user.",
                "extensions": {"code": UNAUTHENTICATED, "serviceName": service},
            }
        ],
    )


def reported_changes(extensions: Any) -> tuple[dict[str, str], ...]:
    """The changes in a subgraph's `extensions`, as {"entity", "id", "action"} each. A subgraph's
    answer is not trusted: anything but a list of at most MAX_CHANGES objects is ignored whole, an
    object whose three values are not all short strings is left out, and keys beyond the three
    are dropped. Never raises."""
    if not isinstance(extensions, dict):
        return ()
    changes = extensions.get("changes")
    if not isinstance(changes, list) or len(changes) > MAX_CHANGES:
        return ()
    kept: list[dict[str, str]] = []
    for change in changes:
        if not isinstance(change, dict):
            continue
        entity, id_, action = change.get("entity"), change.get("id"), change.get("action")
        if _short_text(entity) and _short_text(id_) and _short_text(action):
            kept.append({"entity": entity, "id": id_, "action": action})
    return tuple(kept)


def _short_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) <= MAX_CHANGE_TEXT


def parse_response(service: str, status: int, content: bytes) -> SubgraphResponse:
    """The body a subgraph sent, as a GraphQL response (each caller gets its own copy: answers
    are merged into mutable response trees)."""
    try:
        payload: Any = orjson.loads(content)
    except orjson.JSONDecodeError:
        return failure(
            service, f"Subgraph {service} answered with something other than JSON (HTTP {status})."
        )
    if not isinstance(payload, dict) or not ("data" in payload or "errors" in payload):
        return failure(service, f"Subgraph {service} answered with a malformed GraphQL response.")
    data = payload.get("data")
    errors = payload.get("errors") or []
    if not isinstance(errors, list) or (data is not None and not isinstance(data, dict)):
        return failure(service, f"Subgraph {service} answered with a malformed GraphQL response.")
    return SubgraphResponse(
        data,
        [e if isinstance(e, dict) else {"message": str(e)} for e in errors],
        reported_changes(payload.get("extensions")),
    )
