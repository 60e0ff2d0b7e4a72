"""The Disdukcapil subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import SubgraphSpec
from subgraphs.disdukcapil.schema import schema
from subgraphs.disdukcapil.tables import metadata

SPEC = SubgraphSpec(
    name="disdukcapil", package="subgraphs.disdukcapil", schema=schema, metadata=metadata
)
