"""The gateway's audit writer against a real HTTP access log (an aiohttp server in the test's
loop): records of concurrent requests go in few appends, under a service grant for the exact
body; every way an append can fail — an error status, no answer in time, an answer that does not
account for the batch, nobody listening — makes each waiting request's write fail (the middleware
then answers 503), and the writer recovers when the log does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from auth.grant import GrantVerifier
from gateway.audit.config import AuditConfig, AuditConfigError
from gateway.audit.writer import AuditUnavailable, AuditWriter
from tests.conftest import HARNESS_PUBLIC_KEY, HARNESS_SIGNER

pytestmark = pytest.mark.anyio

Handler = Callable[[list[Any]], Awaitable[web.Response]]


class FakeLog:
    """An access log endpoint whose answer the test chooses; it checks the grant like the real one."""

    def __init__(self) -> None:
        self.batches: list[list[Any]] = []
        self.size = 0
        self.verifier = GrantVerifier([HARNESS_PUBLIC_KEY], "consent")
        self.handler: Handler = self.accept

    async def accept(self, records: list[Any]) -> web.Response:
        first = self.size + 1
        self.size += len(records)
        return web.json_response({"first": first, "last": self.size})

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        grant = self.verifier.verify(request.headers.get("x-satu-anak-grant"), body)
        assert grant.grantee is None  # a service grant, for this body
        records = orjson.loads(body)["records"]
        self.batches.append(records)
        return await self.handler(records)


@pytest.fixture
async def log() -> AsyncIterator[tuple[FakeLog, str]]:
    fake = FakeLog()
    app = web.Application()
    app.router.add_post("/audit/append", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}/audit/append"
    await runner.cleanup()


def writer_for(url: str, **settings: Any) -> AuditWriter:
    config = AuditConfig(url, **settings)
    return AuditWriter(config, lambda body: HARNESS_SIGNER.sign("consent", None, body))


async def test_concurrent_records_are_appended_together(log: tuple[FakeLog, str]) -> None:
    fake, url = log
    writer = writer_for(url)
    try:
        await asyncio.gather(*(writer.write({"n": i}) for i in range(200)))
    finally:
        await writer.close()
    assert sorted(r["n"] for batch in fake.batches for r in batch) == list(range(200))
    assert len(fake.batches) < 200 and writer.appends == len(fake.batches)


async def test_a_batch_is_at_most_max_batch_records(log: tuple[FakeLog, str]) -> None:
    fake, url = log
    writer = writer_for(url, max_batch=7)
    try:
        await asyncio.gather(*(writer.write({"n": i}) for i in range(50)))
    finally:
        await writer.close()
    assert max(len(b) for b in fake.batches) <= 7


@pytest.mark.parametrize(
    "answer",
    [
        web.json_response({"error": "down"}, status=503),
        web.json_response({"first": 1, "last": 1}),  # does not account for both records
        web.Response(text="<html>proxy error</html>"),
        web.json_response(["not", "an", "object"]),
    ],
    ids=["503", "short count", "not json", "not an object"],
)
async def test_every_failed_append_fails_its_requests(
    log: tuple[FakeLog, str], answer: web.Response
) -> None:
    fake, url = log

    async def bad(_records: list[Any]) -> web.Response:
        return answer

    fake.handler = bad
    writer = writer_for(url)
    try:
        results = await asyncio.gather(
            writer.write({"n": 1}), writer.write({"n": 2}), return_exceptions=True
        )
        assert all(isinstance(r, AuditUnavailable) for r in results)
        fake.handler = fake.accept  # the log is back: so are answers
        await writer.write({"n": 3})
    finally:
        await writer.close()


async def test_a_record_too_large_fails_alone(log: tuple[FakeLog, str]) -> None:
    fake, url = log
    writer = writer_for(url)
    try:
        results = await asyncio.gather(
            writer.write({"n": 1}),
            writer.write({"n": 2, "pad": "x" * 1_100_000}),
            writer.write({"n": 3}),
            return_exceptions=True,
        )
    finally:
        await writer.close()
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], AuditUnavailable)
    assert sorted(r["n"] for batch in fake.batches for r in batch) == [1, 3]


async def test_a_record_that_cannot_be_encoded_fails_alone(log: tuple[FakeLog, str]) -> None:
    fake, url = log
    writer = writer_for(url)
    try:
        results = await asyncio.gather(
            writer.write({"n": 1, "name": "\ud800"}),  # a lone surrogate: not UTF-8
            writer.write({"n": 2}),
            return_exceptions=True,
        )
        assert isinstance(results[0], AuditUnavailable) and results[1] is None
        await writer.write({"n": 3})  # the queue goes on
    finally:
        await writer.close()
    assert sorted(r["n"] for batch in fake.batches for r in batch) == [2, 3]


async def test_an_append_not_acknowledged_in_time_fails(log: tuple[FakeLog, str]) -> None:
    fake, url = log

    async def slow(records: list[Any]) -> web.Response:
        await asyncio.sleep(2)
        return await fake.accept(records)

    fake.handler = slow
    writer = writer_for(url, timeout=0.2)
    try:
        with pytest.raises(AuditUnavailable):
            await writer.write({"n": 1})
    finally:
        await writer.close()


async def test_nobody_listening_fails() -> None:
    writer = writer_for("http://127.0.0.1:9/audit/append", timeout=1)
    try:
        with pytest.raises(AuditUnavailable):
            await writer.write({"n": 1})
    finally:
        await writer.close()


def test_the_audit_settings_are_checked() -> None:
    assert AuditConfig.from_mapping({}).url == ""  # may come from SATU_ANAK_AUDIT_URL
    for bad in (
        {"url": "ftp://log"},
        {"url": "http://log", "timeout": 0},
        {"url": "http://log", "max_batch": 5000},
        {"url": "http://log", "identifying_arguments": ["childByNik"]},
        {"url": "http://log", "subject_id_pattern": "("},
        {"url": "http://log", "unknown": 1},
    ):
        with pytest.raises(AuditConfigError):
            AuditConfig.from_mapping(bad)
