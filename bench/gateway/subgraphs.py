"""The four static subgraphs of The Guild's gateway benchmark, rebuilt with Strawberry federation.

accounts, inventory, products, reviews — the schema, data and quirks described in
docs/federation-gateway-notes.md §4.3:

* 6 users; 9 products, `topProducts(first: Int = 5)` returns the first `first`; 11 reviews on
  products 1 (x4), 2 (x4), 3 (x1), 4 (x2).
* every `Review.author` is user 1 with the *provided* username "urigo";
  `User.reviews` (in reviews) returns reviews 1-2 whoever the user is.
* inventory builds a Product from its key only, ignoring the `price`/`weight` the gateway sends
  for `@requires`, so `shippingEstimate` is always null (the gateway must still fetch them).

Serving: a bare ASGI app (no framework) run by uvicorn, which uses uvloop/httptools if they are
importable. The subgraphs are static, so answers are memoised by request body (bounded): the
first request with a given body runs through Strawberry, the rest are served from memory. That
keeps these Python subgraphs from being the bottleneck (the benchmark's own are Rust);
`--no-cache` turns it off to measure Strawberry itself.

    python bench/gateway/subgraphs.py sdl accounts           # print one subgraph's SDL
    python bench/gateway/subgraphs.py compose --base-port 4201 --out bench/gateway/supergraph.graphql
    python bench/gateway/subgraphs.py serve accounts --port 4201   # routes /accounts and /graphql
    python bench/gateway/subgraphs.py serve accounts inventory products reviews --port 4200

Env `SUBGRAPH_DELAY_MS` adds that much latency to every GraphQL request (as the original does).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

import orjson
import strawberry
from strawberry.federation import Schema
from strawberry.federation import field as ffield
from strawberry.federation import type as ftype

NAMES = ("accounts", "inventory", "products", "reviews")
HERE = Path(__file__).resolve().parent

# --- data ------------------------------------------------------------------------------------

USERS = [
    {"id": "1", "name": "Uri Goldshtein", "username": "urigo", "birthday": 1234567890},
    {"id": "2", "name": "Dotan Simha", "username": "dotansimha", "birthday": 1234567890},
    {"id": "3", "name": "Kamil Kisiela", "username": "kamilkisiela", "birthday": 1234567890},
    {"id": "4", "name": "Arda Tanrikulu", "username": "ardatan", "birthday": 1234567890},
    {"id": "5", "name": "Gil Gardosh", "username": "gilgardosh", "birthday": 1234567890},
    {"id": "6", "name": "Laurin Quast", "username": "laurin", "birthday": 1234567890},
]

PRODUCTS = [  # upc, name, price, weight
    ("1", "Table", 899, 100),
    ("2", "Couch", 1299, 1000),
    ("3", "Glass", 15, 20),
    ("4", "Chair", 499, 100),
    ("5", "TV", 1299, 1000),
    ("6", "Lamp", 6999, 300),
    ("7", "Grill", 3999, 2000),
    ("8", "Fridge", 100000, 6000),
    ("9", "Sofa", 9999, 800),
]

IN_STOCK = {
    "1": True,
    "2": False,
    "3": False,
    "4": False,
    "5": True,
    "6": True,
    "7": True,
    "8": False,
    "9": True,
}

# Review bodies: classic lorem-ipsum passages of a few hundred bytes each (the originals are
# lorem ipsum too; the exact text only changes the response size a little).
_L1 = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation "
    "ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in "
    "reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur "
    "sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est "
    "laborum."
)
_L2 = (
    "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque "
    "laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi "
    "architecto beatae vitae dicta sunt explicabo."
)
_L3 = (
    "Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugit, sed quia "
    "consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt."
)
_L4 = "Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam."
_L5 = (
    "At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium "
    "voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint occaecati "
    "cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, id "
    "est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam "
    "libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id quod "
    "maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus."
)
REVIEWS = [  # id, body, product upc
    ("1", _L1, "1"),
    ("2", _L2, "1"),
    ("3", _L3, "1"),
    ("4", _L4, "1"),
    ("5", _L1, "2"),
    ("6", _L2, "2"),
    ("7", _L3, "2"),
    ("8", _L4, "2"),
    ("9", _L4, "3"),
    ("10", _L4, "4"),
    ("11", _L5, "4"),
]

# --- accounts ----------------------------------------------------------------------------------


@ftype(keys=["id"], name="User")
class AccountsUser:
    id: strawberry.ID
    name: str | None
    # Federation 2: reviews provides username (@provides), so it must be shareable here.
    username: str | None = ffield(shareable=True)
    birthday: int | None = None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> AccountsUser | None:
        return _user(id)


def _user(id: str) -> AccountsUser | None:
    for row in USERS:
        if row["id"] == id:
            return AccountsUser(**row)
    return None


@strawberry.type(name="Query")
class AccountsQuery:
    @strawberry.field
    def me(self) -> AccountsUser | None:
        return _user("1")

    @strawberry.field
    def user(self, id: strawberry.ID) -> AccountsUser | None:
        return _user(id)

    @strawberry.field
    def users(self) -> list[AccountsUser | None] | None:
        return [AccountsUser(**row) for row in USERS]


# --- products ----------------------------------------------------------------------------------


@ftype(keys=["upc"], name="Product")
class ProductsProduct:
    upc: str
    name: str | None
    price: int | None
    weight: int | None

    @classmethod
    def resolve_reference(cls, upc: str) -> ProductsProduct | None:
        return _product(upc)


def _product(upc: str) -> ProductsProduct | None:
    for row in PRODUCTS:
        if row[0] == upc:
            return ProductsProduct(upc=row[0], name=row[1], price=row[2], weight=row[3])
    return None


@strawberry.type(name="Query")
class ProductsQuery:
    @strawberry.field(name="topProducts")
    def top_products(self, first: int | None = 5) -> list[ProductsProduct | None] | None:
        rows = PRODUCTS[: 5 if first is None else max(first, 0)]
        return [ProductsProduct(upc=r[0], name=r[1], price=r[2], weight=r[3]) for r in rows]


# --- inventory ---------------------------------------------------------------------------------


@ftype(keys=["upc"], name="Product")
class InventoryProduct:
    upc: str
    weight: int | None = ffield(external=True, default=None)
    price: int | None = ffield(external=True, default=None)
    in_stock: bool | None = strawberry.field(name="inStock", default=None)

    @ffield(name="shippingEstimate", requires=["price weight"])
    def shipping_estimate(self) -> int | None:
        if self.price is None:
            return None  # always: the quirk (see resolve_reference)
        if self.price > 1000:
            return 0
        return None if self.weight is None else self.weight // 2

    @classmethod
    def resolve_reference(cls, upc: str, **_representation: Any) -> InventoryProduct | None:
        # The quirk copied from the original: built from the key alone; the representation's
        # price and weight (sent because of @requires) are ignored.
        if upc not in IN_STOCK:
            return None
        return InventoryProduct(upc=upc, in_stock=IN_STOCK[upc])


# --- reviews -----------------------------------------------------------------------------------


@ftype(keys=["upc"], name="Product")
class ReviewsProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review | None] | None:
        return [Review(id=r[0], body=r[1], upc=r[2]) for r in REVIEWS if r[2] == self.upc]

    @classmethod
    def resolve_reference(cls, upc: str) -> ReviewsProduct:
        return ReviewsProduct(upc=upc)


@ftype(keys=["id"], name="User")
class ReviewsUser:
    id: strawberry.ID
    username: str | None = ffield(external=True, default=None)

    @strawberry.field
    def reviews(self) -> list[Review | None] | None:
        return [Review(id=r[0], body=r[1], upc=r[2]) for r in REVIEWS[:2]]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewsUser:
        return ReviewsUser(id=id, username="user")


@ftype(keys=["id"])
class Review:
    id: strawberry.ID
    body: str | None
    upc: strawberry.Private[str]

    @strawberry.field
    def product(self) -> ReviewsProduct | None:
        return ReviewsProduct(upc=self.upc)

    @ffield(provides=["username"])
    def author(self) -> ReviewsUser | None:
        return ReviewsUser(id=strawberry.ID("1"), username="urigo")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Review | None:
        for r in REVIEWS:
            if r[0] == id:
                return Review(id=r[0], body=r[1], upc=r[2])
        return None


# --- schemas -----------------------------------------------------------------------------------


# Federation v2.3: new enough for everything used here, old enough for every composer.
FEDERATION_VERSION = "2.3"


def build_schema(name: str) -> Schema:
    v = FEDERATION_VERSION
    if name == "accounts":
        return Schema(query=AccountsQuery, types=[AccountsUser], federation_version=v)
    if name == "products":
        return Schema(query=ProductsQuery, types=[ProductsProduct], federation_version=v)
    if name == "inventory":
        return Schema(types=[InventoryProduct], federation_version=v)
    if name == "reviews":
        return Schema(types=[Review, ReviewsUser, ReviewsProduct], federation_version=v)
    raise ValueError(f"unknown subgraph {name!r}; expected one of {', '.join(NAMES)}")


def sdl(name: str) -> str:
    return build_schema(name).as_str() + "\n"


# --- serving -----------------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

CACHE_LIMIT = 10_000
_JSON_HEADERS = [(b"content-type", b"application/json")]


class SubgraphApp:
    """Bare ASGI: POST /<name> or /graphql (single-subgraph mode) runs GraphQL; GET /health."""

    def __init__(self, names: Iterable[str], *, cache: bool = True, delay_ms: float = 0) -> None:
        self.schemas = {name: build_schema(name) for name in names}
        self.routes = {f"/{name}": name for name in self.schemas}
        if len(self.schemas) == 1:
            self.routes["/graphql"] = next(iter(self.schemas))
        self.cache: dict[tuple[str, bytes], bytes] | None = {} if cache else None
        self.delay = delay_ms / 1000
        self.requests = 0  # GraphQL requests answered
        self.executed = 0  # of which ran through Strawberry (cache misses)
        self.seen: dict[bytes, int] = {}  # distinct request bodies (bounded) -> response size

    def stats(self) -> bytes:
        """GET /_bench/stats: counters and the distinct bodies seen (for run.py)."""
        return orjson.dumps(
            {
                "requests": self.requests,
                "executed": self.executed,
                "cache": self.cache is not None,
                "bodies": [
                    {"body": body.decode(), "response_bytes": size}
                    for body, size in self.seen.items()
                ],
            }
        )

    def execute(self, name: str, body: bytes) -> tuple[int, bytes]:
        try:
            params = orjson.loads(body)
            query = params["query"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return 400, b'{"errors":[{"message":"expected a JSON body with a query"}]}'
        self.executed += 1
        result = self.schemas[name].execute_sync(
            query,
            variable_values=params.get("variables"),
            operation_name=params.get("operationName"),
        )
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        payload["data"] = result.data
        return 200, orjson.dumps(payload)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if method == "GET" and path == "/health":
            await _respond(send, 200, b"OK", [(b"content-type", b"text/plain")])
            return
        if path.startswith("/_bench/"):
            if method == "POST" and path == "/_bench/reset":
                self.requests = 0
                self.seen.clear()
                await _respond(send, 204, b"", [])
            elif path == "/_bench/stats":
                await _respond(send, 200, self.stats(), _JSON_HEADERS)
            else:
                await _respond(send, 404, b"", [])
            return
        name = self.routes.get(path)
        if name is None or method != "POST":
            await _respond(send, 404 if name is None else 405, b"", [])
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if self.delay:
            await asyncio.sleep(self.delay)
        key = (name, body)
        answer = self.cache.get(key) if self.cache is not None else None
        status = 200
        if answer is None:
            status, answer = self.execute(name, body)
            if self.cache is not None and status == 200 and len(self.cache) < CACHE_LIMIT:
                self.cache[key] = answer
        self.requests += 1
        if len(self.seen) < 1000 and body not in self.seen:
            self.seen[body] = len(answer)
        await _respond(send, status, answer, _JSON_HEADERS)


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve(names: list[str], host: str, port: int, *, cache: bool) -> None:
    import uvicorn

    app = SubgraphApp(names, cache=cache, delay_ms=float(os.environ.get("SUBGRAPH_DELAY_MS", 0)))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        backlog=4096,
        # Longer than any idle gap in run.py, so idle keep-alive connections are never closed
        # under a gateway about to reuse them (Node reports that race as "socket hang up").
        timeout_keep_alive=300,
        # "auto" picks uvloop and httptools when importable, else asyncio and h11.
        loop="auto",
        http="auto",
    )


# --- composing ---------------------------------------------------------------------------------


def subgraph_urls(host: str, base_port: int) -> dict[str, str]:
    return {name: f"http://{host}:{base_port + i}/{name}" for i, name in enumerate(NAMES)}


def compose_supergraph(urls: dict[str, str]) -> str:
    """Compose with our own composer (composition)."""
    sys.path.insert(0, str(HERE.parent.parent))
    from composition import SubgraphSource, compose

    result = compose([SubgraphSource(name, urls[name], sdl(name)) for name in NAMES])
    if not result.ok or result.supergraph_sdl is None:
        raise SystemExit("composition failed:\n" + "\n".join(str(e) for e in result.errors))
    return result.supergraph_sdl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p_sdl = commands.add_parser("sdl", help="print a subgraph's SDL")
    p_sdl.add_argument("name", choices=NAMES)
    p_compose = commands.add_parser("compose", help="write the supergraph (our composer)")
    p_compose.add_argument("--host", default="127.0.0.1")
    p_compose.add_argument("--base-port", type=int, default=4201)
    p_compose.add_argument("--out", default=str(HERE / "supergraph.graphql"))
    p_compose.add_argument("--sdl-dir", default=str(HERE / "sdl"), help="also write each SDL here")
    p_serve = commands.add_parser("serve", help="serve one or more subgraphs on one port")
    p_serve.add_argument("names", nargs="+", choices=NAMES)
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, required=True)
    p_serve.add_argument("--no-cache", action="store_true", help="run every request in Strawberry")
    args = parser.parse_args(argv)

    if args.command == "sdl":
        sys.stdout.write(sdl(args.name))
    elif args.command == "compose":
        if args.sdl_dir:
            Path(args.sdl_dir).mkdir(parents=True, exist_ok=True)
            for name in NAMES:
                (Path(args.sdl_dir) / f"{name}.graphql").write_text(sdl(name))
        Path(args.out).write_text(compose_supergraph(subgraph_urls(args.host, args.base_port)))
        print(f"wrote {args.out}")
    else:
        serve(args.names, args.host, args.port, cache=not args.no_cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
