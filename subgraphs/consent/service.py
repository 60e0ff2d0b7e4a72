"""The consent subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import SubgraphSpec
from subgraphs.consent.schema import build_schema
from subgraphs.consent.tables import metadata

SPEC = SubgraphSpec(
    name="consent", package="subgraphs.consent", build_schema=build_schema, metadata=metadata
)
