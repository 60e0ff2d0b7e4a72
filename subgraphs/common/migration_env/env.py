"""Alembic's environment for every subgraph's database: alembic_config() says whose tables."""

from subgraphs.common.migrations import run_env

run_env()
