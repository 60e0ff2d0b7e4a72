"""The Balai subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.balai.schema import schema
from subgraphs.balai.tables import metadata
from subgraphs.common.service import SubgraphSpec

SPEC = SubgraphSpec(name="balai", package="subgraphs.balai", schema=schema, metadata=metadata)
