"""A subgraph's log lines carry the trace and the request id the gateway sent it."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import httpx
import orjson
import pytest

from auth.grant import generate_key_pair
from subgraphs import load_spec
from subgraphs.common.logs import JsonFormatter
from subgraphs.common.service import create_app
from subgraphs.common.settings import SubgraphSettings

pytestmark = pytest.mark.anyio


async def test_a_refused_request_s_log_line_carries_its_trace_and_request_ids(
    tmp_path: Path,
) -> None:
    generate_key_pair(tmp_path / "grant.pem", tmp_path / "grant.pub.pem")
    settings = SubgraphSettings(
        "pkh",
        f"sqlite+aiosqlite:///{tmp_path / 'pkh.db'}",
        gateway_public_keys=(str(tmp_path / "grant.pub.pem"),),
    )
    app = create_app(load_spec("pkh"), settings)  # the real grant gate
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("pkh"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://pkh"
        ) as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={
                    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                    "x-request-id": "gw-req-9",
                },
            )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert response.status_code == 401  # no grant
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    refused = [line for line in lines if line["message"].startswith("subgraph request refused")]
    assert refused, lines
    assert refused[0]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert refused[0]["request_id"] == "gw-req-9"
