"""The Balai subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.balai.schema import build_schema
from subgraphs.balai.tables import metadata
from subgraphs.common.service import SubgraphSpec

SPEC = SubgraphSpec(
    name="balai", package="subgraphs.balai", build_schema=build_schema, metadata=metadata
)
