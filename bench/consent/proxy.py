"""A counting reverse proxy for the consent benchmark's round-trip pass.

`POST /<subgraph>/graphql` is forwarded to that subgraph's URL and counted; `GET /counts` answers
the counts so far as JSON, `POST /reset` zeroes them. Only the round-trip pass's gateways go
through it: the timed gateways talk to the subgraphs directly.

Run: python bench/consent/proxy.py --port 4712 disdukcapil=http://127.0.0.1:4701/graphql ...
"""

from __future__ import annotations

import argparse
from collections import Counter

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Hop-by-hop or recomputed headers: not forwarded either way.
_SKIPPED = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


def parse_upstreams(pairs: list[str]) -> dict[str, str]:
    upstreams: dict[str, str] = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name or not url:
            raise ValueError(f"expected NAME=URL, got {pair!r}")
        upstreams[name] = url
    return upstreams


def create_app(upstreams: dict[str, str]) -> Starlette:
    counts: Counter[str] = Counter()
    client = httpx.AsyncClient(timeout=60)

    async def forward(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in upstreams:
            return Response(status_code=404)
        counts[name] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIPPED}
        answer = await client.post(upstreams[name], content=await request.body(), headers=headers)
        back = {k: v for k, v in answer.headers.items() if k.lower() not in _SKIPPED}
        back.pop("content-encoding", None)  # httpx has decoded the body
        return Response(answer.content, status_code=answer.status_code, headers=back)

    async def get_counts(_request: Request) -> Response:
        return JSONResponse(dict(counts))

    async def reset(_request: Request) -> Response:
        counts.clear()
        return JSONResponse({})

    async def health(_request: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/{name}/graphql", forward, methods=["POST"]),
            Route("/counts", get_counts, methods=["GET"]),
            Route("/reset", reset, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("upstreams", nargs="+", help="NAME=URL")
    args = parser.parse_args()
    app = create_app(parse_upstreams(args.upstreams))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
