"""A served subgraph trusts only the gateway: every request but /health needs a grant signed for
this subgraph and this exact body (else 401), and a categorized field outside the grant's
categories is null with FORBIDDEN. In process and over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
import uvicorn
from conftest import (
    HARNESS_SIGNER,
    MakeClient,
    MakeDatabase,
    grantee_of,
    harness_public_key_file,
)
from joserfc.jwk import OKPKey
from sqlalchemy import insert

from auth.grant import GRANT_ALGORITHM, GRANT_HEADER, GrantKeyError, GrantSigner
from resolution.names import normalize_name
from subgraphs.common.context import Context, Info
from subgraphs.common.grants import selects_only_service_fields
from subgraphs.common.guard import POLICY_FACTS, require_facts_access
from subgraphs.common.identity import Identity
from subgraphs.common.service import create_app
from subgraphs.common.settings import SubgraphSettings
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.service import SPEC
from tests.ports import free_port

pytestmark = pytest.mark.anyio

OFFICER = Identity(
    subject="capil-pekanbaru",
    role="disdukcapil_officer",
    agency="disdukcapil",
    unit="DISDUKCAPIL-14.71",
    regions=("14.71",),
    purpose="civil.registration",
    name="Dewi Petugas",
    staff_id="CAPIL-0001",
    categories=frozenset({"identity.basic"}),
)
CHILD_QUERY = '{ child(id: "ANK000000001") { id name nik } }'
UNAUTHENTICATED = {
    "errors": [
        {
            "message": "This subgraph answers only requests the gateway signed for it.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


def _body(query: str, **variables: Any) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def _grant(
    body: bytes,
    identity: Identity | None = OFFICER,
    *,
    audience: str = "disdukcapil",
    signer: GrantSigner = HARNESS_SIGNER,
) -> dict[str, str]:
    grantee = None if identity is None else grantee_of(identity)
    return {GRANT_HEADER: signer.sign(audience, grantee, body)}


async def _seed(db: Any) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.child),
            {
                "id": "ANK000000001",
                "nik": "1471027007120002",
                "full_name": "Siti Aisyah",
                "normalized_name": normalize_name("Siti Aisyah"),
                "sex": "F",
                "birth_date": date(2012, 7, 30),
                "birth_date_approximate": False,
                "region_code": "14.71.02.1001",
                "kia_status": "NONE",
                "registered_by": "BALAI",
                "registered_at": datetime(2026, 1, 1, tzinfo=UTC),
            },
        )


@pytest.fixture
async def served(make_database: MakeDatabase, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Disdukcapil served as in a deployment (grants required), in process."""
    db = await make_database(SPEC)
    await _seed(db)
    settings = SubgraphSettings(SPEC.name, db.url, (str(harness_public_key_file(tmp_path)),))
    app = create_app(SPEC, settings, db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://disdukcapil"
    ) as http:
        yield http


async def _post(http: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await http.post(
        "/graphql", content=body, headers={"content-type": "application/json", **headers}
    )


async def test_a_signed_request_is_answered_within_its_categories(
    served: httpx.AsyncClient,
) -> None:
    body = _body(CHILD_QUERY)
    response = await _post(served, body, _grant(body))
    assert response.status_code == 200
    answer = response.json()
    # identity.basic (name) is in the grant; identity.full (nik) is not: null with FORBIDDEN.
    assert answer["data"]["child"] == {"id": "ANK000000001", "name": "Siti Aisyah", "nik": None}
    [error] = answer["errors"]
    assert error["path"] == ["child", "nik"]
    assert error["extensions"] == {"code": "FORBIDDEN", "category": "identity.full"}
    assert "1471027007120002" not in response.text

    body = _body(CHILD_QUERY + " ")
    wider = replace(OFFICER, categories=frozenset({"identity.basic", "identity.full"}))
    answer = (await _post(served, body, _grant(body, wider))).json()
    assert "errors" not in answer
    assert answer["data"]["child"]["nik"] == "1471027007120002"


async def test_unsigned_requests_are_refused_entities_included(served: httpx.AsyncClient) -> None:
    for query in (
        CHILD_QUERY,
        '{ _entities(representations: [{__typename: "Child", id: "ANK000000001"}])'
        " { ... on Child { nik } } }",
        "{ __typename }",
    ):
        response = await _post(served, _body(query), {})
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED
    assert (await served.get("/graphql?query={__typename}")).status_code == 401


async def test_health_needs_no_grant(served: httpx.AsyncClient) -> None:
    response = await served.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "subgraph": "disdukcapil"}


async def test_an_altered_body_is_refused(served: httpx.AsyncClient) -> None:
    body = _body(CHILD_QUERY)
    altered = body.replace(b"name nik", b"name nik birthDate")
    response = await _post(served, altered, _grant(body))
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


async def test_a_replayed_grant_is_refused(served: httpx.AsyncClient) -> None:
    body = _body(CHILD_QUERY)
    headers = _grant(body)
    assert (await _post(served, body, headers)).status_code == 200
    again = await _post(served, body, headers)
    assert again.status_code == 401
    assert again.json() == UNAUTHENTICATED


async def test_expired_wrong_audience_and_wrong_key_grants_are_refused(
    served: httpx.AsyncClient,
) -> None:
    body = _body(CHILD_QUERY)
    an_hour_ago = GrantSigner(
        HARNESS_SIGNER.key, clock=lambda: datetime.now(UTC).timestamp() - 3600
    )
    stranger = GrantSigner(OKPKey.generate_key(GRANT_ALGORITHM, private=True))
    for headers in (
        _grant(body, signer=an_hour_ago),
        _grant(body, audience="pkh"),
        _grant(body, signer=stranger),
        {GRANT_HEADER: "not.a.grant"},
    ):
        response = await _post(served, body, headers)
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED


async def test_a_service_grant_reads_only_the_sdl_and_typename(served: httpx.AsyncClient) -> None:
    for query in ("{ _service { sdl } }", "{ __typename }", "query Probe { __typename }"):
        body = _body(query)
        response = await _post(served, body, _grant(body, None))
        assert response.status_code == 200, query
        assert "errors" not in response.json()
    sdl = (await _post(served, b := _body("{ _service { sdl } }"), _grant(b, None))).json()
    assert "type Child" in sdl["data"]["_service"]["sdl"]
    for query in (
        CHILD_QUERY,
        "{ _service { sdl } " + CHILD_QUERY[1:],
        '{ _entities(representations: [{__typename: "Child", id: "ANK000000001"}])'
        " { ... on Child { name } } }",
        "{ ...F } fragment F on Query { _service { sdl } }",
        "{ ... on Query { _service { sdl } } }",
        'mutation { linkNik(childId: "ANK000000001", nik: "1471027007120002") { id } }',
    ):
        body = _body(query)
        response = await _post(served, body, _grant(body, None))
        assert response.status_code == 401, query
        assert response.json() == UNAUTHENTICATED


def test_service_documents_are_recognised_without_executing_them() -> None:
    assert selects_only_service_fields(_body("{ _service { sdl } __typename }"))
    assert not selects_only_service_fields(b"not json")
    assert not selects_only_service_fields(b'{"query": "{ _service { "}')
    assert not selects_only_service_fields(b'{"query": 3}')
    assert not selects_only_service_fields(b"[]")


def test_a_served_subgraph_needs_the_gateways_public_key(tmp_path: Path) -> None:
    with pytest.raises(GrantKeyError, match="SATU_ANAK_GATEWAY_PUBLIC_KEY"):
        create_app(SPEC, SubgraphSettings(SPEC.name, "sqlite+aiosqlite://"))
    private = tmp_path / "private.pem"
    private.write_bytes(HARNESS_SIGNER.key.as_pem(private=True))
    with pytest.raises(GrantKeyError, match="private key"):
        create_app(SPEC, SubgraphSettings(SPEC.name, "sqlite+aiosqlite://", (str(private),)))
    settings = SubgraphSettings.from_env(
        "pkh", {"SATU_ANAK_GATEWAY_PUBLIC_KEY": "/a.pem, /b.pem", "SATU_ANAK_DATA_DIR": "/d"}
    )
    assert settings.gateway_public_keys == ("/a.pem", "/b.pem")  # two during a key rotation


async def test_the_harness_signs_real_grants(make_client: MakeClient) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    # Acting as nobody (no grant): reads as before grants.
    assert (await client.data(CHILD_QUERY))["child"]["nik"] == "1471027007120002"
    # Acting as an officer: a real grant, verified; the category it lacks is FORBIDDEN.
    answer = await client.acting(OFFICER).execute(CHILD_QUERY)
    assert answer["data"]["child"]["name"] == "Siti Aisyah"
    assert answer["data"]["child"]["nik"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]


# --- require_facts_access ---------------------------------------------------------------------


@strawberry.type
class _FactsQuery:
    @strawberry.field
    def policy_region(self, info: Info) -> str | None:
        require_facts_access(info)
        return "14.71.02.1001"


async def test_facts_answer_only_grants_carrying_policy_facts() -> None:
    schema = strawberry.Schema(query=_FactsQuery)

    async def ask(identity: Identity | None) -> Any:
        return await schema.execute(
            "{ policyRegion }",
            context_value=Context(db=None, identity=identity),  # type: ignore[arg-type]
        )

    facts = replace(OFFICER, categories=frozenset({POLICY_FACTS}))
    assert (await ask(facts)).data == {"policyRegion": "14.71.02.1001"}
    for identity in (OFFICER, None):
        refused = await ask(identity)
        assert refused.data == {"policyRegion": None}
        assert refused.errors is not None
        assert refused.errors[0].extensions == {"code": "FORBIDDEN"}


# --- over real HTTP -------------------------------------------------------------------------


async def test_over_real_http(make_database: MakeDatabase, tmp_path: Path) -> None:
    db = await make_database(SPEC)
    await _seed(db)
    settings = SubgraphSettings(SPEC.name, db.url, (str(harness_public_key_file(tmp_path)),))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(SPEC, settings, db),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            body = _body(CHILD_QUERY)
            headers = _grant(body)
            assert (await _post(http, body, {})).status_code == 401
            assert (await _post(http, body + b" ", headers)).status_code == 401
            first = await _post(http, body, headers)
            assert first.status_code == 200
            assert first.json()["data"]["child"]["name"] == "Siti Aisyah"
            replayed = await _post(http, body, headers)
            assert replayed.status_code == 401
            assert replayed.json() == UNAUTHENTICATED
            assert (await http.get("/health")).status_code == 200
    finally:
        server.should_exit = True
        await task


def test_satu_anak_serve_refuses_to_start_without_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from satu_anak.cli import main as satu_anak

    monkeypatch.delenv("SATU_ANAK_GATEWAY_PUBLIC_KEY", raising=False)
    monkeypatch.setenv("SATU_ANAK_DATA_DIR", str(tmp_path))
    assert satu_anak(["serve", "pkh", "--port", str(free_port())]) == 2
    assert "SATU_ANAK_GATEWAY_PUBLIC_KEY" in capsys.readouterr().err


async def test_websockets_are_refused() -> None:
    from subgraphs.common.grants import GrantMiddleware

    sent: list[Any] = []

    async def never(*_args: Any) -> None:
        raise AssertionError("the app must not be reached")

    async def receive() -> Any:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(message)

    gate = GrantMiddleware(never, verifier=None)  # type: ignore[arg-type]
    await gate({"type": "websocket", "path": "/graphql", "headers": []}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]
