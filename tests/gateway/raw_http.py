"""A real HTTP/1.1 server on loopback whose every answer a test writes by hand: hanging, closing
the connection, streaming without end, answering 503 with Retry-After. It counts connections and
requests, and records when each request arrived and how much of each answer went out."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import orjson


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request was read


@dataclass
class Exchange:
    """One request being answered: write to `writer`; the handler's return ends it."""

    request: Received
    writer: asyncio.StreamWriter
    sent: int = 0  # answer bytes written
    closed_early: bool = False  # the peer closed the connection before the answer was written

    async def write(self, data: bytes) -> bool:
        """Writes and drains; False once the peer has closed the connection."""
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            self.closed_early = True
            return False
        self.sent += len(data)
        return True

    async def answer(
        self, status: int, body: object, headers: dict[str, str] | None = None
    ) -> None:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
        head += f"content-length: {len(content)}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        await self.write(head.encode() + b"\r\n" + content)


Handler = Callable[[Exchange], Awaitable[None]]


@dataclass
class RawServer:
    handler: Handler
    connections: int = 0
    requests: list[Received] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    url: str = ""
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                received = Received(method, path, headers, body, time.monotonic())
                self.requests.append(received)
                exchange = Exchange(received, writer)
                self.exchanges.append(exchange)
                await self.handler(exchange)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._tasks.discard(task)
            writer.close()

    async def start(self) -> RawServer:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/graphql"
        return self

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[RawServer]:
    server = await RawServer(handler).start()
    try:
        yield server
    finally:
        await server.stop()


async def hang(_exchange: Exchange) -> None:
    """Accepts the request and never answers."""
    await asyncio.Event().wait()


def answering(body: object, status: int = 200) -> Handler:
    async def handler(exchange: Exchange) -> None:
        await exchange.answer(status, body)

    return handler
