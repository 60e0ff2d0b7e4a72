"""A subgraph's answer as the gateway takes it: checked to be a GraphQL response, or an error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson

from gateway.errors import DOWNSTREAM_SERVICE_ERROR, SUBGRAPH_UNAVAILABLE, UNAUTHENTICATED
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
    # The subgraph's errors as they came, where `errors` holds less of them (see
    # `sanitize_error`): for the log, never for the client.
    withheld: tuple[JsonObject, ...] = ()


def failure(service: str, message: str, code: str | None = None) -> SubgraphResponse:
    """No usable answer from `service`: no data, one error naming it (SUBGRAPH_UNAVAILABLE
    unless another `code` is given)."""
    return SubgraphResponse(
        None,
        [
            {
                "message": message,
                "extensions": {"code": code or SUBGRAPH_UNAVAILABLE, "serviceName": service},
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
    kept: list[JsonObject] = []
    withheld: list[JsonObject] = []
    for item in errors:
        original = item if isinstance(item, dict) else {"message": item}
        safe = sanitize_error(service, original)
        kept.append(safe)
        if safe != original:
            withheld.append(original)
    return SubgraphResponse(
        data, kept, reported_changes(payload.get("extensions")), tuple(withheld)
    )


# --- what of a subgraph's errors reaches the client ----------------------------------------------
# A subgraph's error is not passed through as it came: only its `path`, a well-formed
# `extensions.code`, the few extensions our subgraphs set on purpose (checked to be identifiers)
# and — for the codes our subgraphs give errors a client can act on — its message, when that
# message looks like a sentence for a person (no trace, exception class, address, path or SQL).
# Everything else is replaced; the original is logged by the caller with the request id.

# subgraphs/common/errors.py PUBLIC_CODES, and the grant gate's UNAUTHENTICATED.
CLIENT_FACING_CODES = frozenset(
    {"BAD_USER_INPUT", "INVALID_TRANSITION", "CONFLICT", "NOT_FOUND", "FORBIDDEN", UNAUTHENTICATED}
)
MAX_MESSAGE = 300
MAX_PATH = 100
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
# Extensions kept besides `code` (what a denial names: subgraphs/common/guard.py, errors.py).
_KEPT_EXTENSIONS = {
    "category": re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+){0,7}"),
    "field": re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}(?:\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}"),
}
_NOT_FOR_CLIENTS = (
    re.compile(
        r"""Traceback|File "|[\n\r]|://|\b0x[0-9a-f]{4,}"""  # traces, URLs, object addresses
        r"""|(?:^|[\s'"(=])(?:/[\w.-]+){2,}|\b[a-z]:\\"""  # file paths
        r"""|\b\d{1,3}(?:\.\d{1,3}){3}\b|\blocalhost\b|\b[\w-]+(?:\.[\w-]+)*:\d{2,5}\b"""  # hosts
        r"""|\[SQL:""",
        re.IGNORECASE,
    ),
    re.compile(
        r"""\b[A-Za-z_][\w.]*(?:Error|Exception|Warning)\b"""  # exception classes
        r"""|\b(?:SELECT|INSERT|UPDATE|DELETE)\b.*\b(?:FROM|INTO|SET|WHERE)\b"""  # SQL
    ),
)


def generic_message(service: str) -> str:
    return f"Subgraph {service} could not answer this field."


def sanitize_error(service: str, error: JsonObject) -> JsonObject:
    """What of one subgraph error may reach the client (see above)."""
    extensions = error.get("extensions")
    extensions = extensions if isinstance(extensions, dict) else {}
    code = extensions.get("code")
    result: JsonObject = {}
    message = error.get("message")
    if code in CLIENT_FACING_CODES and _readable(message):
        result["message"] = message
    else:
        result["message"] = generic_message(service)
    path = error.get("path")
    if _good_path(path):
        result["path"] = path
    kept: JsonObject = {
        "code": code
        if isinstance(code, str) and _CODE.fullmatch(code)
        else DOWNSTREAM_SERVICE_ERROR
    }
    for key, pattern in _KEPT_EXTENSIONS.items():
        value = extensions.get(key)
        if isinstance(value, str) and pattern.fullmatch(value):
            kept[key] = value
    result["extensions"] = kept
    return result


def _readable(message: object) -> TypeGuard[str]:
    if not isinstance(message, str) or not message or len(message) > MAX_MESSAGE:
        return False
    return not any(pattern.search(message) for pattern in _NOT_FOR_CLIENTS)


def _good_path(path: object) -> TypeGuard[list[Any]]:
    return (
        isinstance(path, list)
        and 0 < len(path) <= MAX_PATH
        and all(
            (isinstance(p, str) and 0 < len(p) <= 100 and p.replace("_", "a").isalnum())
            or (isinstance(p, int) and not isinstance(p, bool) and p >= 0)
            for p in path
        )
    )
