"""Alembic environment for the Balai database."""

from subgraphs.balai.tables import metadata
from subgraphs.common.migrations import run_env

run_env(metadata)
