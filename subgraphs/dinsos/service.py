"""The Dinsos subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import SubgraphSpec
from subgraphs.dinsos.schema import build_schema
from subgraphs.dinsos.tables import metadata

SPEC = SubgraphSpec(
    name="dinsos", package="subgraphs.dinsos", build_schema=build_schema, metadata=metadata
)
