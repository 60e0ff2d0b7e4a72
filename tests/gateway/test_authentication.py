"""Identity and purpose at the gateway's edge, with real tokens from the development issuer over
real HTTP: refused requests get 401/403 with a typed code and reach no subgraph; accepted ones
carry the principal and purpose in the request context, and no client-sent internal header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.dev_issuer import DevIssuer
from auth.sample_users import sample_user
from gateway.config import GatewayConfig
from gateway.engine import Gateway
from gateway.http import create_gateway_app
from tests.auth.auth_support import serving_dev_issuer
from tests.gateway.gateway_support import FakeSubgraphs, supergraph

pytestmark = pytest.mark.anyio

QUERY = {"query": "{ products { upc name } }"}


@dataclass
class Edge:
    client: httpx.AsyncClient
    issuer: DevIssuer
    subgraphs: FakeSubgraphs

    def token(self, role: str, user: str | None = None) -> str:
        return self.issuer.issue(sample_user(role, user))

    async def post(self, body: dict[str, Any] = QUERY, **headers: str) -> httpx.Response:
        return await self.client.post("/graphql", json=body, headers=headers)


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    fakes = FakeSubgraphs(
        {"products": lambda _d, _v: {"data": {"products": [{"upc": "1", "name": "Sepatu"}]}}}
    )
    async with serving_dev_issuer(tmp_path) as issuer:
        config = GatewayConfig(
            auth_issuer=issuer.url,
            forward_headers=frozenset({"traceparent", "x-satu-anak-grant"}),
        )
        gateway = Gateway(supergraph("shop.graphql"), config, client=fakes)
        app = create_gateway_app(gateway, development=True)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway"
            ) as client,
        ):
            yield Edge(client, issuer, fakes)


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_no_token_is_401_with_the_bearer_challenge_and_reaches_no_subgraph(
    edge: Edge,
) -> None:
    response = await edge.post()
    _refused(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert edge.subgraphs.sent == []


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not.a.token", "Basic dXNlcjpwYXNz", "Bearer", "bearer a b"],
)
async def test_a_malformed_or_foreign_credential_is_401(edge: Edge, authorization: str) -> None:
    _refused(await edge.post(authorization=authorization), 401, "UNAUTHENTICATED")
    assert edge.subgraphs.sent == []


async def test_a_tampered_token_is_401(edge: Edge) -> None:
    header, payload, signature = edge.token("dinsos_officer").split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    _refused(await edge.post(authorization=f"Bearer {tampered}"), 401, "UNAUTHENTICATED")


async def test_a_valid_token_without_a_purpose_is_403_purpose_not_allowed(edge: Edge) -> None:
    token = edge.token("pkh_facilitator")
    _refused(await edge.post(authorization=f"Bearer {token}"), 403, "PURPOSE_NOT_ALLOWED")
    assert edge.subgraphs.sent == []


async def test_a_purpose_outside_the_roles_mandate_is_403(edge: Edge) -> None:
    token = edge.token("pkh_facilitator")
    response = await edge.post(
        authorization=f"Bearer {token}", **{"x-satu-anak-purpose": "identity.resolution"}
    )
    _refused(response, 403, "PURPOSE_NOT_ALLOWED")
    assert edge.subgraphs.sent == []


async def test_acting_as_a_role_the_token_lacks_is_403_forbidden(edge: Edge) -> None:
    token = edge.token("pkh_facilitator")
    response = await edge.post(
        authorization=f"Bearer {token}",
        **{"x-satu-anak-purpose": "child.protection", "x-satu-anak-role": "dinsos_officer"},
    )
    _refused(response, 403, "FORBIDDEN")


async def test_an_accepted_request_carries_principal_and_purpose_and_no_internal_header(
    edge: Edge,
) -> None:
    token = edge.token("balai_caseworker", "balai-rumbai-assigned")
    response = await edge.post(
        authorization=f"Bearer {token}",
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        **{"x-satu-anak-purpose": "case.management", "x-satu-anak-grant": "forged"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"products": [{"upc": "1", "name": "Sepatu"}]}}
    (context,) = edge.subgraphs.contexts
    assert context.principal is not None
    assert context.principal.subject == "balai-rumbai-assigned"
    assert context.principal.role == "balai_caseworker"
    assert context.purpose == "case.management"
    # Even a header on the forwarding allowlist is dropped when it is one of ours.
    assert "x-satu-anak-grant" not in context.headers
    assert "traceparent" in context.headers


async def test_health_and_the_console_page_need_no_token(edge: Edge) -> None:
    assert (await edge.client.get("/health")).status_code == 200
    page = await edge.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text
    # A query over GET is no console page: it needs a token like any other.
    query = await edge.client.get(
        "/graphql",
        params={"query": "{ products { upc } }"},
        headers={"accept": "text/html", "apollo-require-preflight": "true"},
    )
    _refused(query, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("key", ["%71uery", "q%75ery", "%71%75ery"])
async def test_a_query_under_an_encoded_name_is_no_console_page(edge: Edge, key: str) -> None:
    # The app decodes `%71uery` to `query` and would run it: the edge must see a query too.
    response = await edge.client.get(
        f"/graphql?{key}=%7B%20products%20%7B%20upc%20%7D%20%7D",
        headers={"accept": "text/html", "apollo-require-preflight": "true"},
    )
    _refused(response, 401, "UNAUTHENTICATED")
    assert edge.subgraphs.sent == []


async def test_a_head_request_runs_nothing(edge: Edge) -> None:
    response = await edge.client.head(
        "/graphql",
        params={"query": "{ products { upc } }"},
        headers={
            "authorization": f"Bearer {edge.token('dinsos_officer')}",
            "x-satu-anak-purpose": "child.protection",
        },
    )
    assert response.status_code == 405
    assert edge.subgraphs.sent == []


async def test_a_root_path_prefix_does_not_pass_the_edge(tmp_path: Path) -> None:
    fakes = FakeSubgraphs({"products": lambda _d, _v: {"data": {"products": []}}})
    async with serving_dev_issuer(tmp_path) as issuer:
        gateway = Gateway(
            supergraph("shop.graphql"), GatewayConfig(auth_issuer=issuer.url), client=fakes
        )
        app = create_gateway_app(gateway)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, root_path="/api"), base_url="http://gateway"
            ) as client,
        ):
            response = await client.post("/api/graphql", json=QUERY)
    _refused(response, 401, "UNAUTHENTICATED")
    assert fakes.sent == []


async def test_without_an_issuer_configured_the_gateway_asks_for_no_token() -> None:
    fakes = FakeSubgraphs({"products": lambda _d, _v: {"data": {"products": []}}})
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), client=fakes))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        response = await client.post("/graphql", json=QUERY)
    assert response.status_code == 200
    assert fakes.contexts[0].principal is None
