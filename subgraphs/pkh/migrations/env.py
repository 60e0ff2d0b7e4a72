"""Alembic environment for the PKH database."""

from subgraphs.common.migrations import run_env
from subgraphs.pkh.tables import metadata

run_env(metadata)
