"""The request context: created at the HTTP edge, passed through prepare and execute to every
fetch and to shaping, so that later stages read who asks and why instead of growing parameters."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auth.principal import Principal

# W3C trace context: version-traceid-parentid-flags, lower-case hex.
_TRACEPARENT = re.compile(
    r"^[0-9a-f]{2}-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-[0-9a-f]{2}$"
)
# A client-chosen request id is kept only when it is short and plain (it reaches logs).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True, slots=True)
class TraceContext:
    """The caller's W3C trace context (`traceparent`, `tracestate`), as received."""

    traceparent: str
    tracestate: str | None = None

    @property
    def trace_id(self) -> str:
        return self.traceparent.split("-")[1]

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> TraceContext | None:
        parent = headers.get("traceparent")
        if parent is None or _TRACEPARENT.match(parent.strip().lower()) is None:
            return None
        return cls(parent.strip().lower(), headers.get("tracestate"))


@dataclass(slots=True)
class RequestContext:
    """One request's context. The consent stage fills `principal`, `purpose`, `decisions` and
    `denials`; until then they stay empty and nothing reads them."""

    request_id: str
    # The client's request headers (lower-case names); the subgraph client forwards only those
    # on its allowlist.
    headers: Mapping[str, str] = field(default_factory=dict)
    trace: TraceContext | None = None
    # Slots for the consent stage: who asks (the verified token's principal), for what purpose
    # (`x-satu-anak-purpose`), and every decision made for this request (read by the audit).
    principal: Principal | None = None
    purpose: str | None = None
    decisions: list[Any] = field(default_factory=list)
    # Every denial the answer carries (the errors of fields withheld, by the static pass or by
    # a subject's decision), as they were written into the answer: what was refused, and where.
    denials: list[Any] = field(default_factory=list)
    # For the audit record (gateway/audit.py), filled as the request goes:
    # when it arrived (seconds since the epoch);
    received_at: float = field(default_factory=time.time)
    # the operation as prepared: its type, its name as the client gave it, the SHA-256 of the
    # document (hex); None until prepared;
    operation: tuple[str, str | None, str] | None = None
    # the subgraphs sent a request (facts fetches included), by name;
    subgraphs: set[str] = field(default_factory=set)
    # what the mutations changed, as each subgraph reported it ({"subgraph", "entity", "id",
    # "action"});
    changes: list[dict[str, str]] = field(default_factory=list)
    # per subject key: the categories fetched for it, with their legal basis, and those withheld
    # from it, with their denial code (only categories the operation asked for);
    disclosed: dict[str, dict[str, str]] = field(default_factory=dict)
    withheld: dict[str, dict[str, str]] = field(default_factory=dict)
    # the code a request was refused with before it was executed (a bad token, a purpose not
    # allowed, a malformed or invalid request); None when it ran.
    refusal: str | None = None
    # The codes of the answer's errors (denials, subgraph failures), set when it is answered.
    error_codes: set[str] = field(default_factory=set)
    # Whether the answer carried data (`data` not null).
    answered_data: bool = False
    # Person-identifying argument values and the identifiers the answer showed, as keyed hashes,
    # and the subjects asked for by id (gateway/audit/record.py, shown.py).
    lookups: list[dict[str, str]] = field(default_factory=list)
    asked_subjects: list[str] = field(default_factory=list)
    # Person identifiers the answer showed past the record's bound (`[audit] max_shown`): counted,
    # not hashed (gateway/audit/shown.py).
    shown_omitted: int = 0
    # Set by the audit middleware on the requests it records: with `[audit]`, the app runs no
    # request without it (defence in depth against a request the middleware let by).
    audited: bool = False

    @classmethod
    def from_headers(
        cls, headers: Mapping[str, str], request_id: str | None = None
    ) -> RequestContext:
        """The context of a request with these headers: its id is the client's `x-request-id`
        when that is a plain token, else a new one."""
        lowered = {k.lower(): v for k, v in headers.items()}
        given = request_id or lowered.get("x-request-id", "")
        return cls(
            request_id=given if _REQUEST_ID.match(given) else uuid.uuid4().hex,
            headers=lowered,
            trace=TraceContext.from_headers(lowered),
        )

    @classmethod
    def internal(cls) -> RequestContext:
        """A context for work the gateway starts itself (readiness probes, the CLI)."""
        return cls(request_id=uuid.uuid4().hex)
