"""The PKH subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import SubgraphSpec
from subgraphs.pkh.schema import build_schema
from subgraphs.pkh.tables import metadata

SPEC = SubgraphSpec(
    name="pkh", package="subgraphs.pkh", build_schema=build_schema, metadata=metadata
)
