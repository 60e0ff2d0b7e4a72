"""The access log as auditors read it (category `audit.log`, held by the Inspektorat's auditors for
purpose `audit`): newest first, filtered by child, by user, by period, by legal basis and by
break-glass uses awaiting review, paged — and every read of it is itself a request the gateway
records in the log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from sqlalchemy import select

from subgraphs.common.context import Info
from subgraphs.common.errors import BadUserInput, Forbidden, SubgraphError
from subgraphs.common.federation import CATEGORIES, assumed, categorized, cost, paged
from subgraphs.consent.audit.store import (
    MAX_PAGE,
    OUTCOMES,
    AuditStore,
    Entry,
    EntryFilter,
    basis_tokens,
)
from subgraphs.consent.domain import ReviewState
from subgraphs.consent.tables import break_glass_grant

AUDIT_LOG = "audit.log"


class AccessLogUnavailable(SubgraphError):
    code = "SERVICE_UNAVAILABLE"


@strawberry.type(description="Who made a request, as their access token said.")
class AccessActor:
    subject: str
    name: str | None
    role: str | None
    agency: str | None
    unit: str | None
    staff_id: str | None


@strawberry.type(
    description="A data category of a child: disclosed on a legal basis ('mandate', 'consent:12', 'agreement:3', 'break_glass:7'), or withheld with its denial code."
)
class AccessCategory:
    category: str
    basis: str | None
    code: str | None


@strawberry.type(description="A child a request was about, and what of the child it was given.")
class AccessedChild:
    child_id: strawberry.ID
    found: bool = strawberry.field(
        description="False: outside the officer's jurisdiction, or no such child (answered as not found)."
    )
    # At most one entry per data category.
    disclosed: list[AccessCategory] = strawberry.field(directives=[assumed(len(CATEGORIES))])
    withheld: list[AccessCategory] = strawberry.field(directives=[assumed(len(CATEGORIES))])


@strawberry.type(description="A record a mutation changed, as the subgraph that wrote it reported.")
class AccessChange:
    subgraph: str | None
    entity: str
    id: str
    action: str


@strawberry.type(description="One request through the gateway, as recorded before it was answered.")
class AccessRecord:
    seq: int = strawberry.field(description="Its position in the chain.")
    time: datetime
    request_id: str
    trace_id: str | None
    actor: AccessActor | None
    purpose: str | None
    operation_type: str | None
    operation_name: str | None
    document_sha256: str | None
    status: int
    outcome: str = strawberry.field(description="answered, partial, refused or failed.")
    refusal: str | None
    codes: list[str]
    # Most requests reach one child; a search page up to 100: the estimate assumes 10.
    children: list[AccessedChild] = strawberry.field(directives=[assumed(10)])
    withheld: list[AccessCategory] = strawberry.field(
        description="Categories refused for the request as a whole (never for this role and purpose).",
        directives=[assumed(len(CATEGORIES))],
    )
    subgraphs: list[str]
    changes: list[AccessChange] = strawberry.field(directives=[assumed(10)])
    hash: str = strawberry.field(description="Its chain hash (hex).")

    @classmethod
    def from_entry(cls, entry: Entry) -> AccessRecord:
        record = entry.record
        principal = record.get("principal") or None
        operation = record.get("operation") or {}
        return cls(
            seq=entry.seq,
            time=datetime.fromisoformat(record["time"]),
            request_id=str(record.get("requestId", "")),
            trace_id=record.get("traceId"),
            actor=None
            if principal is None
            else AccessActor(
                subject=principal["subject"],
                name=principal.get("name"),
                role=principal.get("role"),
                agency=principal.get("agency"),
                unit=principal.get("unit"),
                staff_id=principal.get("staffId"),
            ),
            purpose=record.get("purpose"),
            operation_type=operation.get("type"),
            operation_name=operation.get("name"),
            document_sha256=operation.get("sha256"),
            status=int(record.get("status", 0)),
            outcome=str(record["outcome"]),
            refusal=record.get("refusal"),
            codes=list(record.get("codes", ())),
            children=[_child(c) for c in record.get("children", ())],
            withheld=_withheld(record.get("withheld")),
            subgraphs=list(record.get("subgraphs", ())),
            changes=[
                AccessChange(
                    subgraph=c.get("subgraph"),
                    entity=str(c.get("entity")),
                    id=str(c.get("id")),
                    action=str(c.get("action")),
                )
                for c in record.get("changes", ())
            ],
            hash=entry.hash.hex(),
        )


def _child(child: dict[str, Any]) -> AccessedChild:
    disclosed = child.get("disclosed") or {}
    return AccessedChild(
        child_id=strawberry.ID(child["id"]),
        found=bool(child.get("found", True)),
        disclosed=[AccessCategory(category=c, basis=b, code=None) for c, b in disclosed.items()],
        withheld=_withheld(child.get("withheld")),
    )


def _withheld(withheld: dict[str, str] | None) -> list[AccessCategory]:
    return [AccessCategory(category=c, basis=None, code=k) for c, k in (withheld or {}).items()]


@strawberry.type
class AccessLogConnection:
    nodes: list[AccessRecord]
    total_count: int
    has_next_page: bool
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.input(description="Every filter given must hold.")
class AccessLogFilter:
    child_id: strawberry.ID | None = None
    actor: str | None = strawberry.field(default=None, description="The user's token subject.")
    since: datetime | None = None
    until: datetime | None = None
    basis: str | None = strawberry.field(
        default=None,
        description="A kind ('mandate', 'consent', 'agreement', 'break_glass') or one basis ('consent:12').",
    )
    break_glass_awaiting_review: bool | None = strawberry.field(
        default=None, description="Only requests that used a break-glass grant not yet reviewed."
    )
    outcome: str | None = None


def _store(info: Info) -> AuditStore:
    store = info.context.services.get("audit")
    if not isinstance(store, AuditStore):
        raise AccessLogUnavailable("The access log is not available here.")
    return store


async def access_log(
    info: Info,
    filter: AccessLogFilter | None = None,
    first: int = 20,
    after: str | None = None,
) -> AccessLogConnection | None:
    store = _store(info)
    where = filter or AccessLogFilter()
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    before = None
    if after is not None:
        if not (after.isascii() and after.isdigit()) or len(after) > 18:
            raise BadUserInput("after must be a cursor this field returned", field="after")
        before = int(after)
    if where.outcome is not None and where.outcome not in OUTCOMES:
        raise BadUserInput(f"outcome must be one of {', '.join(sorted(OUTCOMES))}", field="outcome")
    for name, value in (("since", where.since), ("until", where.until)):
        if value is not None and value.tzinfo is None:
            raise BadUserInput(f"{name} needs a time zone offset", field=name)
    awaiting = None
    if where.break_glass_awaiting_review:
        async with info.context.db.connect() as conn:
            ids = (
                await conn.execute(
                    select(break_glass_grant.c.id).where(
                        break_glass_grant.c.review_state == ReviewState.PENDING.value
                    )
                )
            ).scalars()
            awaiting = tuple(f"break_glass:{i}" for i in ids)
    entries, more, total = await store.entries(
        EntryFilter(
            child_id=None if where.child_id is None else str(where.child_id),
            actor=where.actor,
            since=where.since,
            until=where.until,
            basis=where.basis,
            any_basis=awaiting,
            outcome=where.outcome,
        ),
        first,
        before,
    )
    nodes = [AccessRecord.from_entry(e) for e in entries]
    return AccessLogConnection(
        nodes=nodes,
        total_count=total,
        has_next_page=more,
        end_cursor=str(nodes[-1].seq) if nodes else None,
    )


async def access_log_checkpoint(info: Info) -> str | None:
    """The newest signed checkpoint (a C2SP signed note): keep copies outside the system, then
    `satu-anak audit verify --checkpoint FILE` proves the log was not cut back behind it."""
    latest = await _store(info).latest_checkpoint()
    return None if latest is None else latest[1]


ACCESS_LOG = categorized(
    AUDIT_LOG,
    access_log,
    description="The access log, newest first: every request through the gateway, who made it, for what purpose, about which children, what was disclosed on which legal basis and what withheld. Auditors only.",
    # Reads and verifies the hash chain: dearer than one row.
    directives=[paged(), cost(5)],
)
ACCESS_LOG_CHECKPOINT = categorized(
    AUDIT_LOG,
    access_log_checkpoint,
    description="The access log's newest signed checkpoint (size and head hash, Ed25519): keep copies elsewhere to prove later that the log was not cut back.",
)


# --- the guardian's view (docs/audit.md) --------------------------------------------------------

# Who switches a child's guardian view on or off: those who would know that the guardian is the
# suspected abuser (the gateway also checks the child is in their jurisdiction).
GUARDIAN_VIEW_SETTERS = frozenset({"dinsos_officer", "sakti_peksos", "balai_supervisor"})


@strawberry.type(description="Whether a child's guardian may see who looked at the child's data.")
class GuardianViewSetting:
    child_id: strawberry.ID
    enabled: bool
    reason: str
    set_by: str
    set_at: datetime


@strawberry.type(description="One request about the child, as the guardian would see it.")
class GuardianAccessEntry:
    time: datetime
    agency: str | None
    unit: str | None
    purpose: str | None
    bases: list[str] = strawberry.field(description="Kinds of legal basis: mandate, consent, ...")
    categories: list[str] = strawberry.field(description="The categories disclosed.")


@strawberry.type
class GuardianAccessView:
    setting: GuardianViewSetting | None = strawberry.field(
        description="Null: never switched on (off by default)."
    )
    entries: list[GuardianAccessEntry] = strawberry.field(
        description="Empty unless the view is switched on; never the officer's name or query."
    )


def _setting(row: Any) -> GuardianViewSetting:
    return GuardianViewSetting(
        child_id=strawberry.ID(row.child_id),
        enabled=bool(row.enabled),
        reason=row.reason,
        set_by=row.set_by,
        set_at=row.set_at,
    )


async def guardian_access_view(
    info: Info, child_id: strawberry.ID, first: int = 50
) -> GuardianAccessView | None:
    store = _store(info)
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    row = await store.guardian_setting(str(child_id))
    if row is None or not row.enabled:
        return GuardianAccessView(setting=None if row is None else _setting(row), entries=[])
    entries, _, _ = await store.entries(EntryFilter(child_id=str(child_id)), first)
    return GuardianAccessView(
        setting=_setting(row), entries=[_guardian_entry(e, str(child_id)) for e in entries]
    )


def _guardian_entry(entry: Entry, child_id: str) -> GuardianAccessEntry:
    record = entry.record
    principal = record.get("principal") or {}
    child: dict[str, Any] = next(
        (c for c in record.get("children", ()) if c.get("id") == child_id), {}
    )
    disclosed = child.get("disclosed") or {}
    return GuardianAccessEntry(
        time=datetime.fromisoformat(record["time"]),
        agency=principal.get("agency"),
        unit=principal.get("unit"),
        purpose=record.get("purpose"),
        bases=sorted({kind for b in disclosed.values() for kind, _ in basis_tokens(b)}),
        categories=sorted(disclosed),
    )


async def set_guardian_access_view(
    info: Info, child_id: strawberry.ID, enabled: bool, reason: str
) -> GuardianViewSetting | None:
    identity = info.context.identity
    if identity is None or identity.role not in GUARDIAN_VIEW_SETTERS:
        raise Forbidden("Not allowed for this request.")
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise BadUserInput("reason: between 1 and 2000 characters", field="reason")
    if len(str(child_id)) > 64:
        raise BadUserInput("childId: at most 64 characters", field="childId")
    row = await _store(info).set_guardian_view(
        str(child_id), enabled, reason, identity.subject, datetime.now(UTC)
    )
    # The setting is the child's: no id of its own, the child's names it.
    info.context.changed(
        "GuardianViewSetting", row.child_id, "switched on" if enabled else "switched off"
    )
    return _setting(row)


GUARDIAN_ACCESS_VIEW = categorized(
    AUDIT_LOG,
    guardian_access_view,
    description="What a child's guardian would see of the access log (agency, purpose, kind of basis, categories; never officers' names or queries), and whether it is switched on. Auditors preview it today; a guardian role will read it.",
    directives=[paged("entries"), cost(5)],
)
