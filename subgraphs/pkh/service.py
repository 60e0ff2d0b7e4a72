"""The PKH subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import SubgraphSpec
from subgraphs.pkh.schema import schema
from subgraphs.pkh.tables import metadata

SPEC = SubgraphSpec(name="pkh", package="subgraphs.pkh", schema=schema, metadata=metadata)
