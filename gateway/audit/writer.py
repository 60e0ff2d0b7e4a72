"""Group commit to the access log: records of concurrent requests go in one append.

One append is in flight at a time; records arriving meanwhile wait and go together in the next
one (at most `max_batch`). Each request's `write` returns once the append holding its record has
been acknowledged — the store commits before it answers — and raises AuditUnavailable when it
was not (no answer in time, an error status, an answer that does not account for the batch)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

import aiohttp
import orjson

from gateway.audit.config import AuditConfig
from gateway.types import JsonObject

log = logging.getLogger("satu_anak.gateway.audit")

GRANT_HEADER = "x-satu-anak-grant"
# The largest record the access log takes (subgraphs/consent/audit/store.py MAX_RECORD_BYTES).
MAX_RECORD_BYTES = 1_000_000
MAX_BATCH_BYTES = 8_000_000


class AuditUnavailable(RuntimeError):
    """The record could not be made durable: the request must not be answered with data."""


class AuditWriter:
    def __init__(self, config: AuditConfig, sign: Callable[[bytes], str] | None) -> None:
        self.config = config
        self._sign = sign  # signs a service grant for the append body
        self._pending: deque[tuple[JsonObject, asyncio.Future[None]]] = deque()
        self._flushing: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.appends = 0  # batches acknowledged (the benchmark reads it)

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=4), raise_for_status=False
            )

    async def close(self) -> None:
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def write(self, record: JsonObject) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((record, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            # A batch: up to `max_batch` records and MAX_BATCH_BYTES (the access log's gate
            # takes bodies up to 16 MB); the rest waits for the next append.
            encoded: list[bytes] = []
            batch: list[tuple[JsonObject, asyncio.Future[None]]] = []
            size = 0
            while self._pending and len(batch) < self.config.max_batch:
                record, future = self._pending[0]
                try:
                    body = orjson.dumps(record)
                except (TypeError, orjson.JSONEncodeError) as error:
                    # Not encodable (a lone surrogate in a claim): this request alone fails,
                    # and the queue goes on.
                    self._pending.popleft()
                    log.error("an audit record could not be encoded: %s", error)
                    future.set_exception(AuditUnavailable("the record cannot be encoded"))
                    continue
                if len(body) > MAX_RECORD_BYTES:
                    # The store would refuse it, and the whole batch with it: this request
                    # alone goes unanswered.
                    self._pending.popleft()
                    log.error("an audit record of %d bytes is over the limit", len(body))
                    future.set_exception(AuditUnavailable("the record is too large"))
                    continue
                if batch and size + len(body) > MAX_BATCH_BYTES:
                    break
                self._pending.popleft()
                encoded.append(body)
                batch.append((record, future))
                size += len(body)
            if not batch:
                continue
            try:
                await self._append(encoded)
            except Exception as failure:
                log.error("access log append of %d records failed: %s", len(batch), failure)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(AuditUnavailable(str(failure)))
                continue
            self.appends += 1
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _append(self, records: list[bytes]) -> None:
        await self.start()
        assert self._session is not None
        body = b'{"records":[' + b",".join(records) + b"]}"
        headers = {"content-type": "application/json"}
        if self._sign is not None:
            headers[GRANT_HEADER] = self._sign(body)
        async with self._session.post(
            self.config.url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=self.config.timeout),
        ) as response:
            content = await response.content.read(4096)
            status = response.status
        if status != 200:
            raise AuditUnavailable(f"the access log answered HTTP {status}")
        try:
            answer = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise AuditUnavailable("the access log's answer is not JSON") from None
        first = answer.get("first") if isinstance(answer, dict) else None
        last = answer.get("last") if isinstance(answer, dict) else None
        if not (
            isinstance(first, int) and isinstance(last, int) and last - first + 1 == len(records)
        ):
            raise AuditUnavailable("the access log's answer does not account for the records")
