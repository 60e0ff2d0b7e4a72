"""A subgraph's answer as the gateway takes it: checked to be a GraphQL response, or an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from gateway.errors import SUBGRAPH_UNAVAILABLE, UNAUTHENTICATED
from gateway.types import JsonObject


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    data: JsonObject | None
    errors: list[JsonObject]


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
        data, [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    )
