"""Where a subgraph finds its database and data folder: the environment, with embedded defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_VARIABLE = "SATU_ANAK_DATA_DIR"
# The gateway's grant-signing public key(s): a path, or several separated by commas (rotation).
GATEWAY_PUBLIC_KEY_VARIABLE = "SATU_ANAK_GATEWAY_PUBLIC_KEY"


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder for the embedded SQLite databases and seed artefacts (default: ./data)."""
    return Path(environ.get(DATA_DIR_VARIABLE, "data")).resolve()


def database_url_variable(subgraph: str) -> str:
    return f"SATU_ANAK_{subgraph.upper()}_DATABASE_URL"


def normalize_database_url(url: str) -> str:
    """Accept plain driver-less URLs (as CloudNativePG's secrets carry) and pick our async driver."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class SubgraphSettings:
    name: str
    database_url: str
    # Paths of the gateway's public key(s) that grants must verify against (None: not set; a
    # served subgraph then refuses to start).
    gateway_public_keys: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, name: str, environ: Mapping[str, str] = os.environ) -> SubgraphSettings:
        url = environ.get(database_url_variable(name))
        if not url:
            url = f"sqlite+aiosqlite:///{data_dir(environ) / f'{name}.db'}"
        keys = tuple(
            p.strip() for p in environ.get(GATEWAY_PUBLIC_KEY_VARIABLE, "").split(",") if p.strip()
        )
        return cls(name=name, database_url=normalize_database_url(url), gateway_public_keys=keys)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
