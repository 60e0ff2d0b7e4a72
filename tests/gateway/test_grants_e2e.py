"""End to end with subgraph grants: the gateway signs every subgraph request (real Ed25519 key),
our four subgraphs are served as in a deployment (grants required), over real HTTP; identical
in-flight requests are shared only under the same grant."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.grant import GRANT_HEADER, body_hash, generate_key_pair
from auth.principal import Principal
from auth.purposes import Agency, Role
from gateway.client.grants import GrantMaker
from gateway.client.http import HttpSubgraphClient
from gateway.config import ALWAYS_FORWARDED
from gateway.consent import ConsentConfig
from gateway.context import RequestContext
from gateway.engine import Gateway, GatewayConfig
from gateway.http import create_gateway_app
from gateway.planner.plan import fetch_nodes
from gateway.supergraph import parse_supergraph
from satu_anak.synthetic.loader import seed
from subgraphs import SUBGRAPH_NAMES, load_spec
from subgraphs.common.service import create_app
from subgraphs.common.settings import SubgraphSettings
from tests.gateway.gateway_support import FakeSubgraphs
from tests.gateway.test_gateway_e2e import CHILD_PICTURE, _serve
from tests.ports import free_port

pytestmark = pytest.mark.anyio

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"


def _principal(subject: str, staff_id: str) -> Principal:
    return Principal(
        subject=subject,
        name=subject.title(),
        roles=(Role.PKH_FACILITATOR,),
        role=Role.PKH_FACILITATOR,
        agency=Agency.PKH,
        unit="PKH-14.71.10",
        regions=("14.71",),
        staff_id=staff_id,
    )


RINA = _principal("pkh-fac-pekanbaru", "PKH-0007")
BUDI = _principal("pkh-fac-pekanbaru-2", "PKH-0008")
TOKENS = {"rina": RINA, "budi": BUDI}


class TokenNames:
    """Authenticates the test's tokens ("rina", "budi"): token verification is tested elsewhere."""

    async def authenticate(self, token: str, requested_role: str | None = None) -> Principal:
        from auth.errors import InvalidToken

        if token not in TOKENS:
            raise InvalidToken("unknown")
        return TOKENS[token]


@dataclass
class Recorded:
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """In front of a served subgraph: records what reached it, and can hold each request a moment
    (so that concurrent requests are in flight together)."""

    app: ASGIApp
    delay: float = 0.0
    requests: list[Recorded] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Recorded(headers, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@dataclass
class SignedStack:
    client: httpx.AsyncClient  # the gateway app (with authentication), in process
    gateway: Gateway
    urls: dict[str, str]
    recorders: dict[str, Recorder]
    grant_key: Path

    def reset(self) -> None:
        for recorder in self.recorders.values():
            recorder.requests.clear()
            recorder.delay = 0.0


@pytest.fixture(scope="module")
async def signed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SignedStack]:
    folder = tmp_path_factory.mktemp("signed")
    private, public = folder / "grant.pem", folder / "grant.pub.pem"
    generate_key_pair(private, public)
    settings = {
        name: SubgraphSettings(name, f"sqlite+aiosqlite:///{folder / f'{name}.db'}", (str(public),))
        for name in SUBGRAPH_NAMES
    }
    await seed(300, 42, settings, ground_truth_dir=folder)
    servers, tasks, urls, recorders = [], [], {}, {}
    for name in SUBGRAPH_NAMES:
        port = free_port()
        recorders[name] = Recorder(create_app(load_spec(name), settings[name]))
        server, task = await _serve(recorders[name], port)
        servers.append(server)
        tasks.append(task)
        urls[name] = f"http://127.0.0.1:{port}/graphql"
    gateway = Gateway(
        parse_supergraph(SUPERGRAPH.read_text()),
        GatewayConfig(
            subgraph_urls=urls,
            subgraph_timeout=5,
            grant_key=str(private),
            # Even when an operator lists it, a client's grant header is never forwarded.
            forward_headers=ALWAYS_FORWARDED | {GRANT_HEADER, "x-request-id"},
        ),
    )
    app = create_gateway_app(gateway, authenticator=TokenNames())
    await gateway.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    try:
        yield SignedStack(client, gateway, urls, recorders, private)
    finally:
        await client.aclose()
        await gateway.close()
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks)


def _claims(grant: str) -> dict[str, Any]:
    payload = grant.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _context(
    principal: Principal | None, purpose: str | None = "pkh.verification"
) -> RequestContext:
    context = RequestContext.internal()
    context.principal = principal
    context.purpose = purpose
    return context


async def test_the_four_agency_picture_under_signed_grants(signed: SignedStack) -> None:
    signed.reset()
    response = await signed.client.post(
        "/graphql",
        json={"query": CHILD_PICTURE, "variables": {"id": "ANK000000001"}},
        headers={
            "authorization": "Bearer rina",
            "x-satu-anak-purpose": "pkh.verification",
            GRANT_HEADER: "forged-by-the-client",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    child = body["data"]["child"]
    assert child["name"] and child["pkh"]["compliance"]["latestCompliant"] is False
    assert child["welfare"]["decile"] >= 1
    assert child["cases"][0]["stage"] == "INTERVENTION"
    asked = {name for name, r in signed.recorders.items() if r.requests}
    assert asked == set(SUBGRAPH_NAMES) - {"consent"}  # the picture asks no consent data
    for name, recorder in signed.recorders.items():
        for request in recorder.requests:
            grant = request.headers[GRANT_HEADER]
            assert grant != "forged-by-the-client"
            claims = _claims(grant)
            assert claims["aud"] == name and claims["iss"] == "satu-anak-gateway"
            assert claims["sub"] == "pkh-fac-pekanbaru" and claims["role"] == "pkh_facilitator"
            assert claims["purpose"] == "pkh.verification" and claims["regions"] == ["14.71"]
            assert claims["bh"] == body_hash(request.body)  # over the exact bytes sent
            assert claims["exp"] - claims["iat"] == 30
    # The categories are those of the fields each fetch selects, nested ones included.
    balai = [_claims(r.headers[GRANT_HEADER])["cats"] for r in signed.recorders["balai"].requests]
    assert ["protection.flag", "protection.summary"] in balai


async def test_readiness_probes_use_the_service_grant(signed: SignedStack) -> None:
    signed.reset()
    response = await signed.client.get("/health")
    assert response.status_code == 200
    assert response.json()["subgraphs"] == {name: True for name in SUBGRAPH_NAMES}
    for recorder in signed.recorders.values():
        [probe] = recorder.requests
        claims = _claims(probe.headers[GRANT_HEADER])
        assert claims["kind"] == "service" and "sub" not in claims


async def test_without_a_principal_nothing_is_sent(signed: SignedStack) -> None:
    signed.reset()
    prepared = signed.gateway.prepare('{ child(id: "ANK000000001") { name } }', None)
    result = await signed.gateway.execute(prepared, None, _context(None, None))
    assert result["data"] == {"child": None}
    assert {e["extensions"]["code"] for e in result["errors"]} == {"UNAUTHENTICATED"}
    assert all(not r.requests for r in signed.recorders.values())


REGISTER = """mutation($input: RegisterChildInput!) { registerChild(input: $input) {
  __typename } }"""


async def test_the_context_records_the_subgraphs_asked_and_what_a_mutation_changed(
    signed: SignedStack,
) -> None:
    signed.reset()
    gateway = signed.gateway
    # A query: every subgraph sent a request is recorded, and no change.
    context = _context(RINA)
    picture = gateway.prepare(CHILD_PICTURE, None)
    result = await gateway.execute(picture, {"id": "ANK000000001"}, context)
    assert "errors" not in result, result["errors"]
    assert context.subgraphs == {name for name, r in signed.recorders.items() if r.requests}
    assert context.subgraphs == set(SUBGRAPH_NAMES) - {"consent"}
    assert context.changes == []
    # A mutation: the change as disdukcapil reported it, whatever the client selected (no id).
    context = _context(RINA)
    prepared = gateway.prepare(REGISTER, None)
    variables = {"input": {"fullName": "Udin", "sex": "M", "regionCode": "14.71"}}
    result = await gateway.execute(prepared, variables, context)
    assert result == {"data": {"registerChild": {"__typename": "Child"}}}
    assert context.subgraphs == {"disdukcapil"}
    [change] = context.changes
    assert change.pop("id").startswith("ANK")
    assert change == {"subgraph": "disdukcapil", "entity": "Child", "action": "registered"}
    # The HTTP client itself records them: a fetch of the same mutation, no executor around it.
    [node] = fetch_nodes(prepared.plan.node)
    context = _context(RINA)
    answer = await gateway.client.fetch(node, variables, context)
    assert answer.data == {"registerChild": {"__typename": "Child"}}
    assert [c["entity"] for c in answer.changes] == ["Child"]
    assert context.changes == [{"subgraph": "disdukcapil", **answer.changes[0]}]
    assert context.subgraphs == {"disdukcapil"}
    # Refused (an empty name): nothing changed, nothing recorded but the subgraph asked.
    context = _context(RINA)
    refused = await gateway.execute(
        prepared, {"input": {**variables["input"], "fullName": " "}}, context
    )
    assert refused["data"] is None and refused["errors"]
    assert context.changes == [] and context.subgraphs == {"disdukcapil"}


async def test_in_flight_requests_are_shared_only_under_the_same_grant(
    signed: SignedStack,
) -> None:
    signed.reset()
    signed.recorders["disdukcapil"].delay = 0.3
    gateway = signed.gateway
    prepared = gateway.prepare('{ child(id: "ANK000000001") { name } }', None)
    # One principal twice at once: one subgraph request, both answered.
    same = await asyncio.gather(
        gateway.execute(prepared, None, _context(RINA)),
        gateway.execute(prepared, None, _context(RINA)),
    )
    assert len(signed.recorders["disdukcapil"].requests) == 1
    assert same[0] == same[1] and same[0]["data"]["child"]["name"]
    # Two principals at once: two requests, each under its own grant.
    signed.recorders["disdukcapil"].requests.clear()
    await asyncio.gather(
        gateway.execute(prepared, None, _context(RINA)),
        gateway.execute(prepared, None, _context(BUDI)),
    )
    grants = [_claims(r.headers[GRANT_HEADER]) for r in signed.recorders["disdukcapil"].requests]
    assert sorted(g["sub"] for g in grants) == ["pkh-fac-pekanbaru", "pkh-fac-pekanbaru-2"]
    # One principal, two purposes, or two category sets: not shared either.
    signed.recorders["disdukcapil"].requests.clear()
    await asyncio.gather(
        gateway.execute(prepared, None, _context(RINA)),
        gateway.execute(prepared, None, _context(RINA, "child.protection")),
    )
    assert len(signed.recorders["disdukcapil"].requests) == 2
    signed.recorders["disdukcapil"].requests.clear()
    [node] = fetch_nodes(prepared.plan.node)
    answers = await asyncio.gather(
        gateway.client.fetch(node, {}, _context(RINA), frozenset({"identity.basic"})),
        gateway.client.fetch(node, {}, _context(RINA), frozenset()),
    )
    assert len(signed.recorders["disdukcapil"].requests) == 2
    assert answers[0].data == {"child": {"name": same[0]["data"]["child"]["name"]}}
    # A fetch without the field's category: the subgraph answers null with FORBIDDEN.
    assert answers[1].data == {"child": {"name": None}}
    assert answers[1].errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_gateway_without_a_key_signs_nothing_and_forwards_no_internal_header(
    signed: SignedStack,
) -> None:
    signed.reset()
    unsigned = Gateway(
        signed.gateway.supergraph,
        GatewayConfig(
            subgraph_urls=signed.urls,
            subgraph_timeout=5,
            forward_headers=ALWAYS_FORWARDED
            | {GRANT_HEADER, "x-satu-anak-role", "x-satu-anak-deadline-ms"},
        ),
    )
    app = create_gateway_app(unsigned)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as c:
        response = await c.post(
            "/graphql",
            json={"query": '{ child(id: "ANK000000001") { name } }'},
            headers={
                GRANT_HEADER: "forged",
                "x-satu-anak-role": "balai_supervisor",
                "x-satu-anak-deadline-ms": "99999999",
            },
        )
    await unsigned.close()
    [request] = signed.recorders["disdukcapil"].requests
    # The only internal header is the gateway's own deadline (what is left of its 5 s timeout),
    # never the client's.
    internal = {n: v for n, v in request.headers.items() if n.startswith("x-satu-anak-")}
    assert list(internal) == ["x-satu-anak-deadline-ms"]
    assert 0 < int(internal["x-satu-anak-deadline-ms"]) <= 5000
    # The served subgraph refuses the unsigned request: the answer is an error, not data.
    assert response.json()["data"] == {"child": None}
    assert response.json()["errors"][0]["extensions"]["serviceName"] == "disdukcapil"


def test_the_executor_passes_the_categories_of_each_fetchs_fields() -> None:
    fakes = FakeSubgraphs(
        {
            "disdukcapil": lambda _q, _v: {"data": {"child": None}},
        }
    )
    gateway = Gateway(parse_supergraph(SUPERGRAPH.read_text()), client=fakes)
    prepared = gateway.prepare(
        '{ child(id: "ANK000000001") { id name family { members { nik } } } }', None
    )
    asyncio.run(gateway.execute(prepared, None))
    assert fakes.categories == [frozenset({"identity.basic", "identity.full"})]


def test_grant_key_setting_from_file_environment_and_flag(tmp_path: Path) -> None:
    from satu_anak.cli import _gateway_config, build_parser

    example = Path(__file__).resolve().parents[2] / "gateway.example.toml"
    assert GatewayConfig.load(example, {}).grant_key == "data/gateway-grant-key.pem"
    assert GatewayConfig.load(example, {"SATU_ANAK_GRANT_KEY": "/k.pem"}).grant_key == "/k.pem"
    assert GatewayConfig.from_env({}).grant_key is None
    args = build_parser().parse_args(["gateway", "--grant-key", "/flag.pem"])
    assert _gateway_config(args).grant_key == "/flag.pem"


def test_the_gateway_command_refuses_a_grant_key_without_an_issuer_or_a_bad_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from satu_anak.cli import main as satu_anak

    for name in ("SATU_ANAK_AUTH_ISSUER", "SATU_ANAK_GRANT_KEY"):
        monkeypatch.delenv(name, raising=False)
    key = tmp_path / "grant.pem"
    generate_key_pair(key, tmp_path / "grant.pub.pem")
    assert satu_anak(["gateway", "--grant-key", str(key)]) == 2
    assert "SATU_ANAK_AUTH_ISSUER" in capsys.readouterr().err
    monkeypatch.setenv("SATU_ANAK_AUTH_ISSUER", "http://127.0.0.1:1")
    assert satu_anak(["gateway", "--grant-key", str(tmp_path / "grant.pub.pem")]) == 2
    assert "public key" in capsys.readouterr().err


async def test_a_per_record_restriction_reaches_the_subgraph_in_the_grant(
    signed: SignedStack,
) -> None:
    # A client for a gateway whose consent configuration decides AtensiCase per record.
    consent = ConsentConfig("Child", "auth.policy.gateway:load", records={"AtensiCase": "id"})
    config = GatewayConfig(
        subgraph_urls=signed.urls, subgraph_timeout=5, grant_key=str(signed.grant_key),
        consent=consent,
    )  # fmt: skip
    client = HttpSubgraphClient(signed.gateway.supergraph, config)
    await client.start()
    try:
        prepared = signed.gateway.prepare(
            '{ child(id: "ANK000000003") { cases { id caseNumber } } }', None
        )
        [node] = [n for n in fetch_nodes(prepared.plan.node) if n.service == "balai"]
        variables = {"representations": [{"__typename": "Child", "id": "ANK000000003"}]}
        summary = frozenset({"protection.summary"})
        signed.reset()
        whole = await client.fetch(node, variables, _context(RINA), summary)
        cases = whole.data["_entities"][0]["cases"]  # type: ignore[index]
        assert len(cases) >= 2 and all(c["caseNumber"] for c in cases)
        first = cases[0]["id"]
        restricted = await client.fetch(
            node, variables, _context(RINA), summary, {"protection.summary": frozenset({first})}
        )
    finally:
        await client.close()
    grants = [_claims(r.headers[GRANT_HEADER]) for r in signed.recorders["balai"].requests]
    assert "recs" not in grants[0]
    assert grants[1]["recs"] == {"protection.summary": [first]}
    assert grants[1]["rtypes"] == ["AtensiCase"]
    answered = restricted.data["_entities"][0]["cases"]  # type: ignore[index]
    assert [c["id"] for c in answered] == [c["id"] for c in cases]  # the list is not a record
    assert answered[0]["caseNumber"] == cases[0]["caseNumber"]
    assert all(c["caseNumber"] is None for c in answered[1:])
    assert {(e["extensions"]["code"], e["extensions"]["category"]) for e in restricted.errors} == {
        ("FORBIDDEN", "protection.summary")
    }


def test_the_grant_maker_signs_a_restriction_in_its_canonical_form(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    generate_key_pair(private, public)
    maker = GrantMaker.from_file(private, ["AtensiCase"])
    context = _context(RINA)
    plain = maker.grantee(context, frozenset({"protection.summary"}))
    assert plain is not None and plain.records == () and plain.record_types == ()
    one = maker.grantee(
        context, frozenset({"protection.summary"}), {"protection.summary": frozenset({"9", "10"})}
    )
    two = maker.grantee(
        context, frozenset({"protection.summary"}), {"protection.summary": frozenset({"10", "9"})}
    )
    assert one == two and hash(one) == hash(two)  # the same in-flight sharing key
    assert one is not None and one.records == (("protection.summary", ("10", "9")),)
    assert one.record_types == ("AtensiCase",)
    assert one != plain  # a restricted fetch never shares a wider one's answer
