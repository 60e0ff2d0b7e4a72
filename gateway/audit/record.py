"""One request's audit record, from its context: the access log's entry body (docs/audit.md lists
every field). Nothing a client sent goes in as it is but the operation name and the purpose
(strings, JSON-escaped, bounded); a person-identifying argument (a NIK) only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import value_from_ast_untyped

from gateway.context import RequestContext
from gateway.operation import Field, InlineFragment, Operation
from gateway.types import JsonObject

VERSION = 1
# Codes of our failures or an agency's, not of a refusal.
_FAILURES = frozenset({"INTERNAL_SERVER_ERROR", "SUBGRAPH_UNAVAILABLE", "DOWNSTREAM_SERVICE_ERROR"})
_MAX_TEXT = 200


def _text(value: str | None, limit: int = _MAX_TEXT) -> str | None:
    return None if value is None else value[:limit]


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def outcome_of(context: RequestContext, status: int) -> str:
    """answered (data, no error), partial (data and errors: denials, a subgraph down), refused
    (not executed: a bad token, a purpose not allowed, an invalid request; or no data at all
    for denials), failed (our fault or an agency's, nothing served)."""
    if status >= 500:
        return "failed"
    if status != 200 or context.refusal is not None or context.operation is None:
        return "refused"
    if not context.error_codes:
        return "answered"
    if context.answered_data:
        return "partial"
    # Errors and no data at all (`data: null`): nothing was served.
    return "failed" if context.error_codes & _FAILURES else "refused"


@dataclass(frozen=True)
class SubjectIds:
    """What may stand in the record as a subject id: values of the index's id form
    (`subject_id_pattern`); anything else a client put where an id goes (a NIK as `childId`)
    only as a keyed hash — or not at all without a key."""

    pattern: re.Pattern[str] = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
    key: bytes | None = None

    def accepts(self, value: str) -> bool:
        return self.pattern.fullmatch(value) is not None

    def hashed(self, argument: str, value: str) -> JsonObject | None:
        if self.key is None:
            return None
        return {"argument": argument, "hmac": keyed_hash(self.key, value)}


# A purpose is a vocabulary word; anything else a client sent is not recorded as it is.
_PURPOSE = re.compile(r"[a-z][a-z0-9._-]{0,63}")


def build_record(context: RequestContext, status: int, ids: SubjectIds | None = None) -> JsonObject:
    ids = ids or SubjectIds()
    purpose = context.purpose or context.headers.get("x-satu-anak-purpose")
    if purpose is not None and _PURPOSE.fullmatch(purpose) is None:
        purpose = "(not a purpose)"
    record: JsonObject = {
        "v": VERSION,
        "time": datetime.fromtimestamp(context.received_at, UTC).isoformat(timespec="milliseconds"),
        "requestId": context.request_id,
        "traceId": context.trace.trace_id if context.trace is not None else None,
        "principal": _principal(context),
        "purpose": purpose,
        "status": status,
        "outcome": outcome_of(context, status),
    }
    if context.refusal is not None:
        record["refusal"] = context.refusal
    if context.operation is not None:
        kind, name, digest = context.operation
        record["operation"] = {"type": kind, "name": _text(name), "sha256": digest}
    if context.error_codes:
        record["codes"] = sorted(context.error_codes)
    lookups = list(context.lookups)
    children = _children(context, ids, lookups)
    if children:
        record["children"] = children
    # Categories refused for the request as a whole (the static pass: never for this role and
    # purpose), beside those withheld from a child.
    per_child = {c for child in children for c in child.get("withheld", ())}
    withheld = {
        c: code for c, code in _static_denials(context.denials).items() if c not in per_child
    }
    if withheld:
        record["withheld"] = withheld
    if lookups:
        record["lookups"] = lookups
    if context.shown_omitted:
        record["shownOmitted"] = context.shown_omitted
    if context.subgraphs:
        record["subgraphs"] = sorted(context.subgraphs)
    if context.changes:
        record["changes"] = context.changes[:100]
    return record


def _principal(context: RequestContext) -> JsonObject | None:
    principal = context.principal
    if principal is None:
        return None
    return {
        "subject": principal.subject,
        "name": principal.name,
        "role": principal.role.value,
        "agency": principal.agency.value,
        "unit": principal.unit,
        "staffId": principal.staff_id,
    }


def _children(
    context: RequestContext, ids: SubjectIds, lookups: list[JsonObject]
) -> list[JsonObject]:
    """Each subject decided about, once: found or not (out of jurisdiction, or unknown), and the
    categories disclosed (with their legal basis) and withheld (with their code); then each one
    asked for by id (`subject_arguments`) and never decided about: not found (unknown, or out of
    jurisdiction and filtered by the subgraph that holds it). A key that is not of the index's
    id form (a NIK sent as a write's `childId`) goes to `lookups` as a keyed hash instead."""
    seen: dict[str, JsonObject] = {}
    for _subject, key, decision in context.decisions:
        key = str(key)
        if key in seen:
            continue
        if not ids.accepts(key):
            hashed = ids.hashed("subject", key)
            if hashed is not None and hashed not in lookups:
                lookups.append(hashed)
            seen[key] = {}
            continue
        entry: JsonObject = {"id": key, "found": bool(decision.visible)}
        disclosed = context.disclosed.get(key)
        if disclosed:
            entry["disclosed"] = dict(sorted(disclosed.items()))
        withheld = context.withheld.get(key)
        if withheld:
            entry["withheld"] = dict(sorted(withheld.items()))
        seen[key] = entry
    for key in context.asked_subjects:
        seen.setdefault(key, {"id": key, "found": False})
    return [entry for entry in seen.values() if entry]


def _static_denials(denials: Iterable[Any]) -> dict[str, str]:
    """Categories refused for the whole request (by the static pass or a blind denial): those
    not tied to a child, by category, with their code."""
    found: dict[str, str] = {}
    for denial in denials:
        extensions = denial.get("extensions") if isinstance(denial, Mapping) else None
        if not isinstance(extensions, Mapping):
            continue
        category, code = extensions.get("category"), extensions.get("code")
        if isinstance(category, str) and isinstance(code, str):
            found.setdefault(category, code)
    return dict(sorted(found.items()))


def argument_values(
    operation: Operation,
    root_type: str,
    variables: Mapping[str, Any] | None,
    names: frozenset[str],
) -> list[tuple[str, str]]:
    """The values of the operation's root fields' arguments named in `names`
    ("Type.field.argument"), as strings (only strings and integers: ids, NIKs) — root fields
    inside fragments (`... on Query { childByNik(...) }`) included."""
    found: list[tuple[str, str]] = []
    values = dict(variables or {})
    pending: list[Any] = list(operation.selections)
    while pending:
        selection = pending.pop(0)
        if isinstance(selection, InlineFragment):
            pending.extend(selection.selections)
            continue
        if not isinstance(selection, Field):
            continue
        for argument in selection.arguments:
            name = f"{root_type}.{selection.name}.{argument.name.value}"
            if name not in names:
                continue
            value = value_from_ast_untyped(argument.value, values)
            if isinstance(value, str | int) and not isinstance(value, bool):
                found.append((name, str(value)))
    return found


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA-256 (hex): who searched for a NIK can be found by hashing it with the key, and
    the log alone gives no NIK away."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
