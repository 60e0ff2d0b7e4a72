"""`satu-anak audit verify`: walk the chain and its checkpoints, and name the first bad record.

What each check catches:
- an entry whose hash is not SHA-256(previous hash, its bytes): altered (or a later entry whose
  predecessor was replaced by one with a recomputed hash: "does not follow");
- a seq missing between two entries: deleted;
- an entry whose bytes name another position than its row: moved, reordered or inserted;
- a signed checkpoint (kept in the store, or given as a file) whose size is beyond the chain's
  end: truncated; whose head hash differs from the chain's hash at that size: rewritten;
- a checkpoint whose signature does not verify: forged;
- the head row disagreeing with the last entry: entries cut off or added behind its back;
- an entry's index rows or filter columns disagreeing with its content: hidden from (or shown
  under) the wrong auditors' filters.
The walk stops at the head as read after the checkpoints: appends committed meanwhile (a live
log) are left for the next run, never taken for tampering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from auth.audit.chain import GENESIS, ChainError, Checkpoint, entry_hash
from subgraphs.common.database import Database
from subgraphs.consent.audit.store import AuditRecordError, row_of
from subgraphs.consent.audit.tables import (
    audit_basis,
    audit_checkpoint,
    audit_child,
    audit_entry,
    audit_head,
)


@dataclass
class Verification:
    checked: int = 0  # entries checked
    size: int = 0  # the chain's length as found
    checkpoints: int = 0  # signed checkpoints that matched the chain
    problem: str | None = None  # the first thing wrong, naming the record
    skipped: list[str] = field(default_factory=list)  # checkpoints that could not be checked

    @property
    def ok(self) -> bool:
        return self.problem is None


async def verify(
    db: Database,
    key: Ed25519PublicKey | None,
    *,
    start: int = 1,
    external: str | None = None,
    batch: int = 2_000,
) -> Verification:
    """Verify entries from `start` on (the entry before it is taken as it is), the stored
    checkpoints with `key` (none checked without one), and an `external` signed checkpoint."""
    result = Verification()
    start = max(1, start)
    notes: list[tuple[str, str]] = []
    async with db.connect() as conn:
        for size, note in (
            await conn.execute(
                select(audit_checkpoint.c.size, audit_checkpoint.c.note).order_by(
                    audit_checkpoint.c.size
                )
            )
        ).all():
            notes.append((f"checkpoint at {size}", str(note)))
    if external is not None:
        notes.append(("the given checkpoint", external))
    checkpoints: list[tuple[str, Checkpoint]] = []
    if notes and key is None:
        result.skipped.append("checkpoints not checked: no audit public key given")
    for label, note in notes:
        if key is None:
            break
        try:
            checkpoints.append((label, Checkpoint.verify(note, key)))
        except ChainError as error:
            result.problem = f"{label}: {error}"
            return result
    # The chain's hash at each checkpoint's size, as the walk finds it.
    wanted: dict[int, list[tuple[str, Checkpoint]]] = {}
    for label, checkpoint in checkpoints:
        if checkpoint.size < start - 1:
            result.skipped.append(f"{label}: before --from, not checked")
            continue
        wanted.setdefault(checkpoint.size, []).append((label, checkpoint))

    async with db.connect() as conn:
        # The head after the checkpoints: every checkpoint read is at most this size. The walk
        # stops at it, so appends committed meanwhile (a live log) are not taken for tampering.
        head = (await conn.execute(select(audit_head.c.size, audit_head.c.head))).one_or_none()
        if head is None:
            result.problem = "the head row is missing"
            return result
        head_size = int(head.size)
        if start > head_size + 1:
            result.problem = f"--from {start}: the chain holds {head_size} records"
            return result
        previous = GENESIS
        if start > 1:
            anchor = (
                await conn.execute(select(audit_entry.c.hash).where(audit_entry.c.seq == start - 1))
            ).scalar_one_or_none()
            if anchor is None:
                result.problem = f"record {start - 1}: missing (needed to start at {start})"
                return result
            previous = bytes(anchor)
        expected = start
        problem = _at_size(wanted, start - 1, previous)
        last = start - 1
        while problem is None and expected <= head_size:
            upper = min(head_size, expected + batch - 1)
            rows = (
                await conn.execute(
                    select(audit_entry)
                    .where(audit_entry.c.seq >= expected, audit_entry.c.seq <= upper)
                    .order_by(audit_entry.c.seq)
                )
            ).all()
            if not rows:
                break
            indexed = await _index_rows(conn, expected, int(rows[-1].seq))
            for row in rows:
                problem = _entry(int(row.seq), bytes(row.body), bytes(row.hash), expected, previous)
                if problem is None:
                    problem = _index(row, previous, indexed)
                if problem is not None:
                    break
                previous = bytes(row.hash)
                last = expected
                expected += 1
                result.checked += 1
                problem = _at_size(wanted, last, previous)
                if problem is not None:
                    break
        if problem is not None:
            result.problem = problem
            return result
        result.size = last
    beyond = [label for size, found in wanted.items() if size > last for label, _ in found]
    if beyond:
        first_cut = last + 1
        result.problem = (
            f"record {first_cut}: missing — the chain ends at {last}, but {beyond[0]} "
            "(signed) covers more: truncated"
        )
        return result
    if last < head_size:
        result.problem = (
            f"record {last + 1}: missing — the head says the chain holds {head_size} records, "
            f"it ends at {last}"
        )
    elif bytes(head.head) != previous:
        result.problem = f"record {last}: its hash differs from the head's"
    result.checkpoints = sum(len(found) for size, found in wanted.items() if size <= last)
    return result


async def _index_rows(
    conn: AsyncConnection, first: int, last: int
) -> dict[int, tuple[set[str], set[str]]]:
    """The index rows (children, bases) of entries first..last, by seq."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    for seq, child in await conn.execute(
        select(audit_child.c.seq, audit_child.c.child_id).where(
            audit_child.c.seq.between(first, last)
        )
    ):
        found.setdefault(int(seq), (set(), set()))[0].add(str(child))
    for seq, basis in await conn.execute(
        select(audit_basis.c.seq, audit_basis.c.basis).where(audit_basis.c.seq.between(first, last))
    ):
        found.setdefault(int(seq), (set(), set()))[1].add(str(basis))
    return found


def _index(row: Any, previous: bytes, indexed: dict[int, tuple[set[str], set[str]]]) -> str | None:
    """What the auditors' filters read of an entry (its columns, its index rows) must say what
    its content says: else the entry is hidden from (or shown under) the wrong filters."""
    seq = int(row.seq)
    try:
        record = orjson.loads(row.body)
        record.pop("seq", None)
        wanted = row_of(seq, previous, record)
    except (AuditRecordError, orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        return f"record {seq}: altered (its content is not a record)"
    children, bases = indexed.get(seq, (set(), set()))
    if (
        children != set(wanted.children)
        or bases != set(wanted.bases)
        or (row.actor, row.role, row.agency, row.purpose, row.outcome)
        != (wanted.actor, wanted.role, wanted.agency, wanted.purpose, wanted.outcome)
        or row.at != wanted.at
    ):
        return (
            f"record {seq}: its index rows or columns differ from its content (the auditors' "
            "filters would hide or misplace it)"
        )
    return None


def _entry(seq: int, body: bytes, stored: bytes, expected: int, previous: bytes) -> str | None:
    if seq != expected:
        return f"record {expected}: missing (deleted), the next record is {seq}"
    try:
        named = orjson.loads(body).get("seq")
    except (orjson.JSONDecodeError, AttributeError):
        return f"record {seq}: altered (not a JSON object)"
    if named != seq:
        return f"record {seq}: out of place — its content is record {named} (moved, reordered or inserted)"
    if entry_hash(previous, body) != stored:
        # Its bytes were changed, or the record before it was replaced (hash and all).
        return f"record {seq}: altered — its hash does not cover its content after record {seq - 1}"
    return None


def _at_size(wanted: dict[int, list[tuple[str, Checkpoint]]], size: int, head: bytes) -> str | None:
    for label, checkpoint in wanted.get(size, ()):
        if checkpoint.head != head:
            return (
                f"record {size}: the chain up to it differs from {label} (signed): records up to "
                "it were altered, inserted or removed and their hashes recomputed"
            )
    return None
