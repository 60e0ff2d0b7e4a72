"""The consent subgraph as a service: its name, schema, tables and migrations."""

from subgraphs.common.service import Attachment, SubgraphSpec
from subgraphs.consent.schema import build_schema
from subgraphs.consent.tables import metadata


def _access_log() -> Attachment:
    from subgraphs.consent.audit.service import served

    return served()


SPEC = SubgraphSpec(
    name="consent",
    package="subgraphs.consent",
    build_schema=build_schema,
    metadata=metadata,
    attach=_access_log,
)
