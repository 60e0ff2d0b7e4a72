"""The access log as part of the consent service: its settings, its database, the gateway's append
endpoint and the checkpoint timer.

`POST /audit/append` takes `{"records": [...]}` from the gateway alone — a request under a
*service* grant the gateway signed for this body (subgraphs/common/grants.py); a user's grant, or
none, is refused — and answers `{"first": N, "last": M}` once the records are durable, 400 for
records the store will not take, 503 when they could not be written (the gateway then answers
its client 503 with no data: it fails closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from auth.audit.chain import ChainError, load_signing_key
from subgraphs.common.database import Database
from subgraphs.common.grants import GRANT_KIND_SCOPE_KEY
from subgraphs.common.migrations import upgrade
from subgraphs.common.settings import data_dir, normalize_database_url
from subgraphs.consent.audit.store import (
    AuditRecordError,
    AuditStore,
    AuditStoreUnavailable,
    durable_sqlite,
)

log = logging.getLogger("satu_anak.audit")

PACKAGE: Final = "subgraphs.consent.audit"
DATABASE_URL_VARIABLE: Final = "SATU_ANAK_AUDIT_DATABASE_URL"
KEY_VARIABLE: Final = "SATU_ANAK_AUDIT_KEY"
CHECKPOINT_SECONDS_VARIABLE: Final = "SATU_ANAK_AUDIT_CHECKPOINT_SECONDS"
KEY_FILE: Final = "audit-key.pem"
PUBLIC_KEY_FILE: Final = "audit-key.pub.pem"
APPEND_PATH: Final = "/audit/append"
# Whether the access log works, and nothing else: the consent pod's readiness and the gateway's
# check. The consent agency's own database is not asked: it down is one agency down, which must
# neither take the access log out of the Service nor make every gateway unready.
READY_PATH: Final = "/audit/ready"
READY_SECONDS: Final = 1.0
MAX_APPEND_BYTES: Final = 64_000_000


@dataclass(frozen=True)
class AuditSettings:
    database_url: str
    key_path: str | None  # the checkpoint signing key (Ed25519, PEM); None: no checkpoints
    checkpoint_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> AuditSettings:
        url = environ.get(DATABASE_URL_VARIABLE) or (
            f"sqlite+aiosqlite:///{data_dir(environ) / 'audit.db'}"
        )
        key = environ.get(KEY_VARIABLE) or None
        if key is None and (data_dir(environ) / KEY_FILE).exists():
            key = str(data_dir(environ) / KEY_FILE)
        try:
            seconds = float(environ.get(CHECKPOINT_SECONDS_VARIABLE, "60"))
        except ValueError:
            seconds = 60.0
        return cls(normalize_database_url(url), key, max(1.0, seconds))


class AuditService:
    """The store, its append route and its checkpoint timer, started and stopped with the app
    (an `Attachment` of the consent service: subgraphs/common/service.py)."""

    name = "audit"
    service_paths: tuple[str, ...] = (APPEND_PATH,)
    open_paths: tuple[str, ...] = (READY_PATH,)  # probes: no grant (an orchestrator cannot sign)

    def __init__(self, settings: AuditSettings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        durable_sqlite(self.db)
        key = None
        if settings.key_path is not None:
            try:
                key = load_signing_key(settings.key_path)
            except ChainError as error:
                raise AuditStoreUnavailable(str(error)) from None
        self.store = AuditStore(self.db, key)
        self._timer: asyncio.Task[None] | None = None

    def routes(self) -> list[Route]:
        return [
            Route(APPEND_PATH, self.append, methods=["POST"]),
            Route(READY_PATH, self.ready_answer, methods=["GET"]),
        ]

    def service(self) -> AuditStore:
        return self.store

    async def start(self) -> None:
        # Migrating at start keeps the embedded start one command; in Kubernetes the migration
        # Job has run first, and this finds nothing to do.
        await upgrade(PACKAGE, self.db.engine)
        if self.store.signing_key is not None:
            self._timer = asyncio.create_task(self._checkpoints())

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        await self.store.close()
        # A last checkpoint, so that what was appended before a shutdown is covered.
        with contextlib.suppress(Exception):
            await self.store.checkpoint()
        await self.db.dispose()

    async def ready(self) -> bool:
        """Whether the access-log database answers (the consent service's /ready)."""
        return await self.db.ping()

    async def ready_answer(self, _request: Request) -> Response:
        """GET /audit/ready: 200 while the access-log database answers, else 503."""
        try:
            async with asyncio.timeout(READY_SECONDS):
                ok = await self.ready()
        except TimeoutError:
            ok = False
        return Response(
            orjson.dumps({"status": "ok" if ok else "unavailable"}),
            200 if ok else 503,
            media_type="application/json",
        )

    async def _checkpoints(self) -> None:
        while True:
            await asyncio.sleep(self.settings.checkpoint_seconds)
            try:
                await self.store.checkpoint()
            except Exception as error:  # the next tick tries again
                log.error("audit checkpoint failed: %s", error)

    async def append(self, request: Request) -> Response:
        if request.scope.get(GRANT_KIND_SCOPE_KEY) != "service":
            return _json({"error": "only the gateway appends to the access log"}, 403)
        body = await request.body()
        if len(body) > MAX_APPEND_BYTES:
            return _json({"error": "too large"}, 413)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _json({"error": "not JSON"}, 400)
        records = payload.get("records") if isinstance(payload, dict) else None
        if not isinstance(records, list):
            return _json({"error": 'expected {"records": [...]}'}, 400)
        try:
            first, last = await self.store.append(records)
        except AuditRecordError as error:
            return _json({"error": str(error)}, 400)
        except AuditStoreUnavailable:
            return _json({"error": "the access log could not be written"}, 503)
        return _json({"first": first, "last": last}, 200)


def served() -> AuditService:
    """The access log of a served consent service, from the environment: it signs checkpoints,
    so it needs its key (`satu-anak up` makes one in the data folder)."""
    settings = AuditSettings.from_env()
    if settings.key_path is None:
        raise AuditStoreUnavailable(
            f"the access log signs checkpoints: set {KEY_VARIABLE} to its Ed25519 private key "
            f"(PEM), or put one at {data_dir() / KEY_FILE}"
        )
    return AuditService(settings)


def _json(content: object, status: int) -> Response:
    return Response(orjson.dumps(content), status, media_type="application/json")


def key_pair(folder: Path) -> tuple[Path, Path]:
    """The development audit key pair's files in `folder`, made when absent."""
    from auth.audit.chain import generate_signing_key

    private, public = folder / KEY_FILE, folder / PUBLIC_KEY_FILE
    if not private.exists():
        generate_signing_key(private, public)
    return private, public
