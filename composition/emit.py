"""Print the composed model as a supergraph SDL (link v1.0, join v0.5), built as AST for `print_ast`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from graphql import (
    BooleanValueNode,
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstListValueNode,
    ConstObjectFieldNode,
    ConstObjectValueNode,
    ConstValueNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    IntValueNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    OperationType,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    StringValueNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)

from composition.model import (
    Applied,
    Composed,
    MergedField,
    MergedInputValue,
    MergedType,
)
from gateway.supergraph.join import FieldJoin

LINK_URL = "https://specs.apollo.dev/link/v1.0"
JOIN_URL = "https://specs.apollo.dev/join/v0.5"

# The machinery definitions, as the link v1.0 and join v0.5 specs define them.
_LINK_AND_JOIN = '''
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
input join__ContextArgument { name: String! type: String! context: String! selection: join__FieldValue! }
scalar join__DirectiveArguments
scalar join__FieldSet
scalar join__FieldValue
scalar link__Import
enum link__Purpose {
  """`SECURITY` features provide metadata necessary to securely resolve fields."""
  SECURITY
  """`EXECUTION` features provide metadata necessary for operation execution."""
  EXECUTION
}
'''

_ALL_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
_AUTH_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"

# Optional features: (url, purpose, definitions), in the order their @link is written.
_FEATURES: dict[str, tuple[str, str | None, str]] = {
    "tag": (
        "https://specs.apollo.dev/tag/v0.3",
        None,
        f"directive @tag(name: String!) repeatable on {_ALL_LOCATIONS} | SCHEMA",
    ),
    "inaccessible": (
        "https://specs.apollo.dev/inaccessible/v0.2",
        "SECURITY",
        f"directive @inaccessible on {_ALL_LOCATIONS}",
    ),
    "authenticated": (
        "https://specs.apollo.dev/authenticated/v0.1",
        "SECURITY",
        f"directive @authenticated on {_AUTH_LOCATIONS}",
    ),
    "requiresScopes": (
        "https://specs.apollo.dev/requiresScopes/v0.1",
        "SECURITY",
        f"directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {_AUTH_LOCATIONS}\nscalar requiresScopes__Scope",
    ),
    "policy": (
        "https://specs.apollo.dev/policy/v0.1",
        "SECURITY",
        f"directive @policy(policies: [[policy__Policy!]!]!) on {_AUTH_LOCATIONS}\nscalar policy__Policy",
    ),
    "context": (
        "https://specs.apollo.dev/context/v0.1",
        "SECURITY",
        "directive @context(name: String!) repeatable on OBJECT | INTERFACE | UNION\n"
        "directive @context__fromContext(field: context__ContextFieldValue) on ARGUMENT_DEFINITION\n"
        "scalar context__ContextFieldValue",
    ),
    "cost": (
        "https://specs.apollo.dev/cost/v0.1",
        None,
        "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR\n"
        "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
    ),
}


class _Enum(str):
    """A directive argument printed as an enum value (join__Graph members, link__Purpose)."""


class _Int(int):
    """A directive argument printed as an Int (plain ints would be ambiguous with booleans)."""


def graph_enum_names(names: Iterable[str]) -> dict[str, str]:
    """Subgraph name -> join__Graph value, sanitised the way Apollo's composition does it."""

    def sanitise(name: str) -> str:
        value = re.sub(r"\W", "_", name)
        if re.match(r"\d", value):
            value = f"_{value}"
        if re.search(r"_\d+$", value):
            value = f"{value}_"
        return value.upper()

    names = list(names)
    sanitised = {name: sanitise(name) for name in names}
    counts: dict[str, int] = {}
    for value in sanitised.values():
        counts[value] = counts.get(value, 0) + 1
    seen: dict[str, int] = {}
    result: dict[str, str] = {}
    for name in names:
        value = sanitised[name]
        if counts[value] > 1:
            seen[value] = seen.get(value, 0) + 1
            value = f"{value}_{seen[value]}"
        result[name] = value
    return result


def _value(value: Any) -> ConstValueNode:
    if isinstance(value, _Enum):
        return EnumValueNode(value=str(value))
    if isinstance(value, _Int):
        return IntValueNode(value=str(int(value)))
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, str):
        return StringValueNode(value=value)
    if isinstance(value, dict):
        return ConstObjectValueNode(
            fields=tuple(
                ConstObjectFieldNode(name=NameNode(value=k), value=_value(v))
                for k, v in value.items()
            )
        )
    assert isinstance(value, list | tuple)
    return ConstListValueNode(values=tuple(_value(item) for item in value))


def _directive(directive_name: str, /, **arguments: Any) -> ConstDirectiveNode:
    return ConstDirectiveNode(
        name=NameNode(value=directive_name),
        arguments=tuple(
            ConstArgumentNode(name=NameNode(value=key.rstrip("_")), value=_value(value))
            for key, value in arguments.items()
            if value is not None
        ),
    )


def _description(text: str | None) -> StringValueNode | None:
    return StringValueNode(value=text, block=True) if text else None


def _name(value: str) -> NameNode:
    return NameNode(value=value)


class _Emitter:
    def __init__(self, composed: Composed) -> None:
        self.composed = composed
        self.graphs = graph_enum_names(s.name for s in composed.subgraphs)
        self.features: set[str] = set()

    def graph(self, name: str) -> _Enum:
        return _Enum(self.graphs[name])

    def applied(self, applied: Applied) -> list[ConstDirectiveNode]:
        directives: list[ConstDirectiveNode] = []
        if applied.deprecated:
            directives.append(_directive("deprecated", reason=applied.deprecation_reason))
        if applied.specified_by:
            directives.append(_directive("specifiedBy", url=applied.specified_by))
        if applied.one_of:
            directives.append(_directive("oneOf"))
        for tag in applied.tags:
            self.features.add("tag")
            directives.append(_directive("tag", name=tag))
        if applied.inaccessible:
            self.features.add("inaccessible")
            directives.append(_directive("inaccessible"))
        if applied.authenticated:
            self.features.add("authenticated")
            directives.append(_directive("authenticated"))
        if applied.scopes is not None:
            self.features.add("requiresScopes")
            directives.append(
                _directive("requiresScopes", scopes=[list(g) for g in applied.scopes])
            )
        if applied.policies is not None:
            self.features.add("policy")
            directives.append(_directive("policy", policies=[list(g) for g in applied.policies]))
        if applied.cost is not None:
            self.features.add("cost")
            directives.append(_directive("cost", weight=_Int(applied.cost)))
        if applied.list_size is not None:
            self.features.add("cost")
            size = applied.list_size
            directives.append(
                _directive(
                    "listSize",
                    assumedSize=_Int(size.assumed_size) if size.assumed_size is not None else None,
                    slicingArguments=list(size.slicing_arguments)
                    if size.slicing_arguments is not None
                    else None,
                    sizedFields=list(size.sized_fields) if size.sized_fields is not None else None,
                    requireOneSlicingArgument=size.require_one_slicing_argument,
                )
            )
        for context in applied.contexts:
            self.features.add("context")
            directives.append(_directive("context", name=context))
        directives.extend(applied.composed)  # type: ignore[arg-type]
        return directives

    def join_field(self, join: FieldJoin) -> ConstDirectiveNode:
        return _directive(
            "join__field",
            graph=self.graph(join.graph) if join.graph is not None else None,
            requires=join.requires,
            provides=join.provides,
            type=join.type,
            external=True if join.external else None,
            override=join.override,
            usedOverridden=True if join.used_overridden else None,
            overrideLabel=join.override_label,
            contextArguments=[
                {"context": c.context, "name": c.name, "type": c.type, "selection": c.selection}
                for c in join.context_arguments
            ]
            or None,
        )

    def input_value(
        self, value: MergedInputValue | MergedField, default: Any
    ) -> InputValueDefinitionNode:
        directives = [self.join_field(j) for j in (getattr(value, "joins", None) or ())]
        return InputValueDefinitionNode(
            name=_name(value.name),
            description=_description(value.description),
            type=value.type,
            default_value=default,
            directives=(*directives, *self.applied(value.applied)),
        )

    def field(self, merged: MergedField) -> FieldDefinitionNode:
        joins = [self.join_field(j) for j in merged.joins or ()]
        return FieldDefinitionNode(
            name=_name(merged.name),
            description=_description(merged.description),
            arguments=tuple(self.input_value(a, a.default) for a in merged.args.values()),
            type=merged.type,
            directives=(*joins, *self.applied(merged.applied)),
        )

    def type_joins(self, merged: MergedType) -> list[ConstDirectiveNode]:
        directives = [
            _directive(
                "join__type",
                graph=self.graph(j.graph),
                key=j.key,
                extension=True if j.extension else None,
                resolvable=False if not j.resolvable else None,
                isInterfaceObject=True if j.is_interface_object else None,
            )
            for j in merged.joins
        ]
        directives.extend(
            _directive("join__implements", graph=self.graph(g), interface=i)
            for g, i in merged.implements
        )
        directives.extend(
            _directive("join__unionMember", graph=self.graph(g), member=m)
            for g, m in merged.member_joins
        )
        return directives

    def type_definition(self, merged: MergedType) -> Any:
        common: dict[str, Any] = {
            "name": _name(merged.name),
            "description": _description(merged.description),
            "directives": (*self.type_joins(merged), *self.applied(merged.applied)),
        }
        if merged.kind in {"object", "interface"}:
            node_class = (
                ObjectTypeDefinitionNode if merged.kind == "object" else InterfaceTypeDefinitionNode
            )
            return node_class(
                **common,
                interfaces=tuple(NamedTypeNode(name=_name(i)) for i in merged.interfaces),
                fields=tuple(self.field(f) for f in merged.fields.values()),
            )
        if merged.kind == "input":
            return InputObjectTypeDefinitionNode(
                **common,
                fields=tuple(self.input_value(f, f.default) for f in merged.fields.values()),
            )
        if merged.kind == "enum":
            return EnumTypeDefinitionNode(
                **common,
                values=tuple(
                    EnumValueDefinitionNode(
                        name=_name(v.name),
                        description=_description(v.description),
                        directives=(
                            *(_directive("join__enumValue", graph=self.graph(g)) for g in v.graphs),
                            *self.applied(v.applied),
                        ),
                    )
                    for v in merged.values.values()
                ),
            )
        if merged.kind == "union":
            return UnionTypeDefinitionNode(
                **common, types=tuple(NamedTypeNode(name=_name(m)) for m in merged.members)
            )
        return ScalarTypeDefinitionNode(**common)

    def document(self) -> DocumentNode:
        composed = self.composed
        types = [self.type_definition(composed.types[name]) for name in sorted(composed.types)]
        graph_enum = EnumTypeDefinitionNode(
            name=_name("join__Graph"),
            values=tuple(
                EnumValueDefinitionNode(
                    name=_name(self.graphs[s.name]),
                    directives=(_directive("join__graph", name=s.name, url=s.url),),
                )
                for s in sorted(composed.subgraphs, key=lambda s: self.graphs[s.name])
            ),
        )
        links = [
            _directive("link", url=LINK_URL),
            _directive("link", url=JOIN_URL, for_=_Enum("EXECUTION")),
        ]
        machinery = list(parse(_LINK_AND_JOIN, no_location=True).definitions)
        for feature in _FEATURES:
            if feature not in self.features:
                continue
            url, purpose, definitions = _FEATURES[feature]
            imports = ["@listSize"] if feature == "cost" else None
            links.append(
                _directive(
                    "link", url=url, for_=_Enum(purpose) if purpose else None, import_=imports
                )
            )
            machinery.extend(parse(definitions, no_location=True).definitions)
        for directive in composed.composed_directives:
            imported: Any = f"@{directive.name}"
            if directive.imported_as is not None:
                imported = {"name": directive.imported_as, "as": f"@{directive.name}"}
            links.append(_directive("link", url=directive.spec_url, import_=[imported]))
            machinery.append(directive.definition)
        machinery.extend(composed.executable_directives)
        operations = [
            OperationTypeDefinitionNode(operation=operation, type=NamedTypeNode(name=_name(root)))
            for operation, root in (
                (OperationType.QUERY, "Query"),
                (OperationType.MUTATION, "Mutation"),
                (OperationType.SUBSCRIPTION, "Subscription"),
            )
            if root in composed.types
        ]
        schema = SchemaDefinitionNode(directives=tuple(links), operation_types=tuple(operations))
        return DocumentNode(definitions=(schema, *machinery, graph_enum, *types))


def emit_supergraph(composed: Composed) -> str:
    emitter = _Emitter(composed)
    document = emitter.document()  # collects the features used, so links come out right
    return print_ast(document) + "\n"
