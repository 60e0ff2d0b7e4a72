"""Alembic environment for the Disdukcapil database."""

from subgraphs.common.migrations import run_env
from subgraphs.disdukcapil.tables import metadata

run_env(metadata)
