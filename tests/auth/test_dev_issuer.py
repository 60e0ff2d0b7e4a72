"""The development issuer end to end over real HTTP: its key made once in the data folder, its
discovery document and public key set served, and its tokens — from the library and from
`satu-anak token` — verified by TokenVerifier through discovery."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from auth.dev_issuer import (
    DEV_AUDIENCE,
    KEY_FILE,
    TOKEN_LIFETIME,
    DevIssuer,
    load_signing_key,
)
from auth.errors import InvalidToken
from auth.purposes import Role
from auth.sample_users import SAMPLE_USERS, sample_user
from auth.tokens import TokenVerifier, VerifierConfig
from satu_anak.cli import main
from tests.auth.auth_support import serving_dev_issuer

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    issuer: DevIssuer
    data_dir: Path


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with serving_dev_issuer(tmp_path) as issuer:
        yield Running(issuer, tmp_path)


def _discovering_verifier(issuer_url: str) -> TokenVerifier:
    # Given only the issuer, as a production gateway would be configured.
    return TokenVerifier(VerifierConfig(issuer=issuer_url, audience=DEV_AUDIENCE))


def test_the_key_is_made_once_private_to_its_owner_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    first = load_signing_key(folder)
    path = folder / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(folder).kid == first.kid
    assert first.curve_name == "Ed25519" and first.is_private
    assert sorted(p.name for p in folder.iterdir()) == [KEY_FILE]


def test_processes_starting_together_share_one_key(tmp_path: Path) -> None:
    kids: list[str | None] = []
    barrier = threading.Barrier(8)

    def load() -> None:
        barrier.wait()
        kids.append(load_signing_key(tmp_path).kid)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(kids)) == 1 and len(kids) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]


async def test_discovery_and_the_public_key_set_are_served(running: Running) -> None:
    url = running.issuer.url
    async with httpx.AsyncClient() as http:
        discovery = (await http.get(url + "/.well-known/openid-configuration")).json()
        jwks = (await http.get(discovery["jwks_uri"])).json()
        health = await http.get(url + "/health")
    assert discovery["issuer"] == url
    assert discovery["jwks_uri"] == url + "/jwks.json"
    assert health.status_code == 200
    [key] = jwks["keys"]
    assert key["kid"] == running.issuer.key.kid
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "Ed25519", "sig")
    assert "d" not in key  # the public half only


async def test_every_sample_users_token_verifies_through_discovery(running: Running) -> None:
    verifier = _discovering_verifier(running.issuer.url)
    try:
        for user in SAMPLE_USERS:
            token = running.issuer.issue(user)
            claims = await verifier.verify(token)
            assert claims["exp"] - claims["iat"] == TOKEN_LIFETIME
            principal = await verifier.authenticate(token)
            assert (principal.subject, principal.role, principal.regions) == (
                user.id,
                user.role,
                user.regions,
            )
            assert (principal.unit, principal.staff_id) == (user.unit, user.staff_id)
    finally:
        await verifier.aclose()


async def test_its_verifier_config_accepts_its_tokens(running: Running) -> None:
    verifier = TokenVerifier(running.issuer.verifier_config())
    try:
        principal = await verifier.authenticate(running.issuer.issue(sample_user("auditor")))
        assert principal.role is Role.AUDITOR
    finally:
        await verifier.aclose()


async def test_tokens_of_another_issuer_or_key_are_refused(
    running: Running, tmp_path: Path
) -> None:
    verifier = _discovering_verifier(running.issuer.url)
    user = sample_user("balai_supervisor")
    elsewhere = DevIssuer.from_data_dir(running.data_dir, "http://127.0.0.1:1")
    other_key = DevIssuer.from_data_dir(tmp_path / "other", running.issuer.url)
    expired = running.issuer.issue(user, now=1_000_000_000)
    try:
        for token in (elsewhere.issue(user), other_key.issue(user), expired):
            with pytest.raises(InvalidToken):
                await verifier.authenticate(token)
    finally:
        await verifier.aclose()


async def test_the_token_command_prints_a_token_that_verifies(
    running: Running, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SATU_ANAK_DATA_DIR", str(running.data_dir))
    verifier = _discovering_verifier(running.issuer.url)
    try:
        assert main(["token", "sakti_peksos", "--issuer", running.issuer.url]) == 0
        principal = await verifier.authenticate(capsys.readouterr().out.strip())
        assert (principal.subject, principal.role) == ("peksos-pekanbaru", Role.SAKTI_PEKSOS)

        monkeypatch.setenv("SATU_ANAK_DEV_ISSUER_URL", running.issuer.url)
        assert main(["token", "pkh_facilitator", "--user", "pkh-fac-padang"]) == 0
        principal = await verifier.authenticate(capsys.readouterr().out.strip())
        assert principal.subject == "pkh-fac-padang"
    finally:
        await verifier.aclose()


async def test_the_token_command_as_a_process(running: Running) -> None:
    env = {**os.environ, "SATU_ANAK_DATA_DIR": str(running.data_dir)}
    command = [sys.executable, "-m", "satu_anak.cli", "token", "balai_caseworker"]
    result = await asyncio.to_thread(
        subprocess.run,
        [*command, "--user", "balai-rumbai-unassigned", "--issuer", running.issuer.url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    verifier = _discovering_verifier(running.issuer.url)
    try:
        principal = await verifier.authenticate(result.stdout.strip())
        assert (principal.staff_id, principal.unit) == ("2", "RUMBAI")
    finally:
        await verifier.aclose()


def test_the_token_command_makes_the_key_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SATU_ANAK_DATA_DIR", str(tmp_path / "fresh"))
    assert main(["token", "auditor"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.count(".") == 2
    kid = json.loads((tmp_path / "fresh" / KEY_FILE).read_text())["kid"]
    assert kid == load_signing_key(tmp_path / "fresh").kid


def test_the_token_command_lists_users_and_refuses_unknown_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SATU_ANAK_DATA_DIR", str(tmp_path))
    assert main(["token"]) == 0
    listing = capsys.readouterr().out
    assert all(user.id in listing for user in SAMPLE_USERS)
    assert main(["token", "auditor", "--user", "pkh-fac-padang"]) == 2
    assert main(["token", "minister"]) == 2
    assert "minister" in capsys.readouterr().err
    assert not (tmp_path / KEY_FILE).exists()  # listing and refusing need no key
