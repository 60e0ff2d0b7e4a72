"""Alembic per subgraph, driven from code: no alembic.ini, one environment for all, versions per subgraph.

Every subgraph's migrations run in the one environment in migration_env/ (its env.py, and the
template of a new revision); each subgraph keeps its own history in <package>/migrations/versions.
"""

from __future__ import annotations

import asyncio
import importlib
from importlib import resources
from typing import Any, Literal

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from subgraphs.common.tables import UtcDateTime

ENVIRONMENT = "subgraphs.common:migration_env"


def alembic_config(package: str, url: str, connection: Connection | None = None) -> Config:
    """Alembic's configuration for the subgraph `package` (e.g. "subgraphs.pkh")."""
    config = Config()
    config.set_main_option("script_location", ENVIRONMENT)
    # One location, and a path may hold the characters Alembic would otherwise split on.
    config.set_main_option("path_separator", "newline")
    config.set_main_option(
        "version_locations", str(resources.files(package).joinpath("migrations", "versions"))
    )
    # Percent signs in passwords would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["metadata"] = importlib.import_module(f"{package}.tables").metadata
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(package: str, engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database behind `engine` to `revision`, sharing the engine's connection."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(package, str(engine.url), connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Autogenerate writes our column types as the SQLAlchemy types they store as.

    A migration must not import application code, which changes after it is written;
    UtcDateTime is DateTime(timezone=True) in the database, which is all a migration needs.
    """
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_env() -> None:
    """Body of migration_env/env.py: migrates the subgraph whose tables alembic_config() gave."""
    config = context.config
    metadata: MetaData = config.attributes["metadata"]

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    shared: Any = config.attributes.get("connection")
    if shared is not None:
        do_run(shared)
        return

    async def standalone() -> None:
        engine = create_async_engine(
            config.get_main_option("sqlalchemy.url") or "", poolclass=NullPool
        )
        async with engine.begin() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(standalone())


def make_revision(package: str, url: str, message: str, revision_id: str) -> None:
    """Autogenerate a revision by comparing the tables with a database at head (development use)."""

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)

        def generate(connection: Connection) -> None:
            config = alembic_config(package, url, connection)
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True, rev_id=revision_id)

        async with engine.begin() as connection:
            await connection.run_sync(generate)
        await engine.dispose()

    asyncio.run(run())
