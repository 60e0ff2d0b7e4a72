"""A misbehaving agency for bench/hostile: put at one subgraph's URL
(SATU_ANAK_<NAME>_SUBGRAPH_URL), it answers every POST in one bad way.

Run: python bench/hostile/fake_agency.py --mode hang|error|huge --port 4721 [--huge-mb 200]

  hang   accepts the connection, reads the request and never answers (nor closes);
  error  answers HTTP 500 with a GraphQL error whose message and extensions hold what must never
         reach a client (a stack trace, an exception class, an internal host and path);
  huge   answers 200 with a JSON body of --huge-mb MB, streamed in 1 MB chunks (chunked encoding,
         so no Content-Length tells the gateway in advance).

`GET /count` answers (in every mode) the number of POSTs received so far, as a JSON number.
Plain asyncio streams: nothing here is Satu Anak's, so it behaves the same under every source tree.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

# What a careless agency lets through; bench/hostile/run.py looks for these in the client's answer.
LEAK_MARKERS = ("Traceback", "OperationalError", "db.internal.dinsos", "/srv/agency/app.py")
ERROR_BODY = json.dumps(
    {
        "data": None,
        "errors": [
            {
                "message": 'Traceback (most recent call last): File "/srv/agency/app.py", '
                "line 42: psycopg.OperationalError: connection to db.internal.dinsos:5432 failed",
                "extensions": {
                    "code": "INTERNAL_SERVER_ERROR",
                    "exception": {
                        "class": "psycopg.OperationalError",
                        "stacktrace": ['File "/srv/agency/app.py", line 42, in resolve'],
                    },
                },
            }
        ],
    }
).encode()


class Agency:
    def __init__(self, mode: str, huge_mb: int) -> None:
        self.mode = mode
        self.huge_mb = huge_mb
        self.posts = 0
        self.open: set[asyncio.StreamWriter] = set()  # hung connections, kept referenced

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = ([*lines[0].split(" "), "", ""])[:2]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                if method == "GET" and path.startswith("/count"):
                    await self.answer(writer, 200, str(self.posts).encode())
                    continue
                if method == "GET" and path.startswith("/health"):
                    await self.answer(writer, 200, b'{"status": "ok"}')
                    continue
                self.posts += 1
                if self.mode == "hang":
                    self.open.add(writer)
                    await asyncio.Event().wait()  # never: the gateway's timeout ends it
                elif self.mode == "error":
                    await self.answer(writer, 500, ERROR_BODY)
                else:
                    await self.stream_huge(writer)
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self.open.discard(writer)
            writer.close()

    async def answer(self, writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
        reason = {200: "OK", 500: "Internal Server Error"}[status]
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    async def stream_huge(self, writer: asyncio.StreamWriter) -> None:
        def chunk(data: bytes) -> bytes:
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        writer.write(chunk(b'{"data": {"_entities": [{"__typename": "Child", "padding": "'))
        block = b"a" * (1 << 20)
        for _ in range(self.huge_mb):
            writer.write(chunk(block))
            await writer.drain()
        writer.write(chunk(b'"}]}}') + b"0\r\n\r\n")
        await writer.drain()


async def serve(mode: str, port: int, huge_mb: int) -> None:
    agency = Agency(mode, huge_mb)
    server = await asyncio.start_server(agency.handle, "127.0.0.1", port, backlog=4096)
    print(f"fake agency ({mode}) on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a misbehaving agency")
    parser.add_argument("--mode", choices=("hang", "error", "huge"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--huge-mb", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.mode, args.port, args.huge_mb))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
