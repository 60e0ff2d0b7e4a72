"""The Disdukcapil subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import SubgraphSpec
from subgraphs.disdukcapil.schema import build_schema
from subgraphs.disdukcapil.tables import metadata

SPEC = SubgraphSpec(
    name="disdukcapil",
    package="subgraphs.disdukcapil",
    build_schema=build_schema,
    metadata=metadata,
)
