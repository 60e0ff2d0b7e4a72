"""The Dinsos subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import SubgraphSpec
from subgraphs.dinsos.schema import schema
from subgraphs.dinsos.tables import metadata

SPEC = SubgraphSpec(name="dinsos", package="subgraphs.dinsos", schema=schema, metadata=metadata)
