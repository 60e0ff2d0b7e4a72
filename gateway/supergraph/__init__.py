"""The supergraph the gateway serves: read from its SDL (join metadata, @policy), and its API schema.

One stage per module: `links` resolves `@link` names, `join` is the join model (shared with the
build-time `composition` package), `fieldset` parses field sets, `reader` reads the join
metadata, `api_schema` builds what clients see, `metadata` holds each field's `@policy`.
"""

from __future__ import annotations

from gateway.supergraph.api_schema import build_api_schema
from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.fieldset import FieldSetError, parse_field_set
from gateway.supergraph.join import ContextArgument, FieldJoin, TypeJoin
from gateway.supergraph.links import (
    CORE_SPEC,
    INACCESSIBLE_SPEC,
    JOIN_SPEC,
    LINK_SPEC,
    POLICY_SPEC,
    LinkedSpec,
)
from gateway.supergraph.metadata import FieldMetadata, Policies
from gateway.supergraph.reader import Graph, Supergraph, parse_supergraph

__all__ = [
    "CORE_SPEC",
    "INACCESSIBLE_SPEC",
    "JOIN_SPEC",
    "LINK_SPEC",
    "POLICY_SPEC",
    "ContextArgument",
    "FieldJoin",
    "FieldMetadata",
    "FieldSetError",
    "Graph",
    "LinkedSpec",
    "Policies",
    "Supergraph",
    "SupergraphError",
    "TypeJoin",
    "build_api_schema",
    "parse_field_set",
    "parse_supergraph",
]
