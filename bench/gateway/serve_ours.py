"""Serve our gateway like `satu-anak gateway`, but with uvicorn's event loop and HTTP parser chosen.

    python bench/gateway/serve_ours.py --supergraph FILE --port N --loop asyncio --http h11
    python bench/gateway/serve_ours.py --supergraph FILE --port N --loop uvloop --http httptools

`satu-anak gateway` leaves both on uvicorn's "auto" (uvloop/httptools when importable), so what
it runs on depends on the environment; run.py uses this to compare the two explicitly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import uvicorn

from gateway.engine import Gateway, GatewayConfig
from gateway.http import create_gateway_app
from gateway.supergraph import parse_supergraph


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--supergraph", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--http", choices=("h11", "httptools"), default="h11")
    args = parser.parse_args()
    gateway = Gateway(parse_supergraph(Path(args.supergraph).read_text()), GatewayConfig.from_env())
    uvicorn.run(
        create_gateway_app(gateway),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        loop=args.loop,
        http=args.http,
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
