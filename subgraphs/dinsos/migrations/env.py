"""Alembic environment for the Dinsos database."""

from subgraphs.common.migrations import run_env
from subgraphs.dinsos.tables import metadata

run_env(metadata)
