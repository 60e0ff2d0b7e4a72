"""Read one subgraph's SDL into a plain model: federation directives resolved through `@link`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationType,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    parse,
    validate_schema,
    value_from_ast_untyped,
)
from graphql.language import Visitor, visit

from composition.errors import CompositionError
from composition.model import (
    DNF,
    Applied,
    ComposedDirective,
    EnumValue,
    Field,
    InputValue,
    Key,
    Kind,
    ListSize,
    Subgraph,
    SubgraphSource,
    TypeDef,
)

FEDERATION_SPEC = re.compile(r"^https://specs\.apollo\.dev/federation/v(\d+)\.(\d+)/?$")
LINK_SPEC = re.compile(r"^https://specs\.apollo\.dev/link/v\d+\.\d+/?$")
_SPEC_URL = re.compile(
    r"^(?P<base>.+)/(?P<name>[A-Za-z_][A-Za-z0-9_-]*)/v(?P<major>\d+)\.(?P<minor>\d+)/?$"
)

# Federation 2 directives and the minor version of federation/v2.x that introduced each.
FEDERATION_DIRECTIVES: dict[str, int] = {
    "key": 0,
    "requires": 0,
    "provides": 0,
    "external": 0,
    "tag": 0,
    "extends": 0,
    "shareable": 0,
    "inaccessible": 0,
    "override": 0,
    "composeDirective": 1,
    "interfaceObject": 3,
    "authenticated": 5,
    "requiresScopes": 5,
    "policy": 6,
    "context": 8,
    "fromContext": 8,
    "cost": 9,
    "listSize": 9,
}
FEDERATION_TYPES: dict[str, int] = {"FieldSet": 0, "Scope": 5, "Policy": 6, "ContextFieldValue": 8}
BUILTIN_DIRECTIVES = frozenset(
    {"deprecated", "specifiedBy", "oneOf", "include", "skip", "defer", "stream"}
)
# Types a subgraph library adds for the gateway's use; never part of the supergraph.
SUBGRAPH_MACHINERY_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"}
)
ROOT_NAMES = {
    OperationType.QUERY: "Query",
    OperationType.MUTATION: "Mutation",
    OperationType.SUBSCRIPTION: "Subscription",
}
EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)


@dataclass
class _Link:
    url: str
    name: str
    major: int
    minor: int
    prefix: str
    imports: dict[str, str]  # "@key" -> "@primaryKey", "FieldSet" -> "FieldSet"


def args_of(directive: DirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def _description(node: Any) -> str | None:
    description = getattr(node, "description", None)
    return description.value if description is not None else None


class _Reader:
    """Turns one SDL into a `Subgraph`, collecting every problem instead of stopping at the first."""

    def __init__(self, source: SubgraphSource) -> None:
        self.source = source
        self.errors: list[CompositionError] = []
        self.federation_version: tuple[int, int] | None = None
        self.directive_names: dict[str, str] = {}  # local name -> federation name
        self.machinery_types: set[str] = set(SUBGRAPH_MACHINERY_TYPES)
        self.links: list[_Link] = []
        self.composed_names: dict[str, str] = {}  # local name -> imported name ("@x")
        self.defined_directives: dict[str, DirectiveDefinitionNode] = {}

    def error(self, code: str, message: str, coordinate: str | None = None) -> None:
        self.errors.append(
            CompositionError(
                code, f"[{self.source.name}] {message}", (self.source.name,), coordinate
            )
        )

    # --- links ------------------------------------------------------------------------------

    def read_links(
        self, schema_nodes: Sequence[SchemaDefinitionNode | SchemaExtensionNode]
    ) -> None:
        for node in schema_nodes:
            for directive in node.directives or ():
                if directive.name.value != "link":
                    continue
                args = args_of(directive)
                url = args.get("url")
                if not isinstance(url, str):
                    self.error("INVALID_LINK_DIRECTIVE_USAGE", "@link needs a `url` string")
                    continue
                match = _SPEC_URL.match(url)
                if match is None:
                    self.error(
                        "INVALID_LINK_IDENTIFIER", f'@link url "{url}" is not a versioned spec URL'
                    )
                    continue
                imports: dict[str, str] = {}
                for item in args.get("import") or ():
                    if isinstance(item, str):
                        imports[item] = item
                    elif isinstance(item, dict) and isinstance(item.get("name"), str):
                        imported = item["name"]
                        local = item.get("as") or imported
                        if imported.startswith("@") != str(local).startswith("@"):
                            self.error(
                                "INVALID_LINK_DIRECTIVE_USAGE",
                                f'import of "{imported}" as "{local}": a directive must be renamed to a directive (and a type to a type)',
                            )
                            continue
                        imports[imported] = str(local)
                    else:
                        self.error(
                            "INVALID_LINK_DIRECTIVE_USAGE",
                            f"@link import item {item!r} is neither a name nor {{name, as}}",
                        )
                prefix = args.get("as") or match["name"]
                self.links.append(
                    _Link(
                        url,
                        match["name"],
                        int(match["major"]),
                        int(match["minor"]),
                        str(prefix).lstrip("@"),
                        imports,
                    )
                )

        federation = [link for link in self.links if FEDERATION_SPEC.match(link.url)]
        if len(federation) > 1:
            self.error(
                "INVALID_LINK_DIRECTIVE_USAGE", "the federation spec is linked more than once"
            )
        if not federation:
            # Federation 1: the directives have their plain names.
            for name in FEDERATION_DIRECTIVES:
                self.directive_names[name] = name
            return
        link = federation[0]
        if link.major != 2:
            self.error(
                "UNKNOWN_FEDERATION_LINK_VERSION", f'unknown federation version in "{link.url}"'
            )
            return
        self.federation_version = (link.major, link.minor)
        known = {f"@{name}" for name in FEDERATION_DIRECTIVES} | set(FEDERATION_TYPES)
        for imported in link.imports:
            if imported not in known:
                self.error(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    f'cannot import unknown federation element "{imported}"',
                )
        for name, since in FEDERATION_DIRECTIVES.items():
            local = link.imports.get(f"@{name}")
            if since > link.minor:
                if local is not None:
                    self.error(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'"@{name}" needs federation v2.{since} or later, but the subgraph links v2.{link.minor}',
                    )
                continue
            self.directive_names[(local or f"@{link.prefix}__{name}").lstrip("@")] = name
        for type_name in FEDERATION_TYPES:
            self.machinery_types.add(link.imports.get(type_name) or f"{link.prefix}__{type_name}")

    def read_composed(
        self, schema_nodes: Sequence[SchemaDefinitionNode | SchemaExtensionNode]
    ) -> None:
        for node in schema_nodes:
            for directive in node.directives or ():
                if self.directive_names.get(directive.name.value) != "composeDirective":
                    continue
                name = args_of(directive).get("name")
                if not isinstance(name, str) or not name.startswith("@"):
                    self.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        '@composeDirective needs name: "@directiveName"',
                    )
                    continue
                local = name[1:]
                if local in self.directive_names or local in BUILTIN_DIRECTIVES:
                    self.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f"@composeDirective cannot compose the built-in or federation directive {name}",
                    )
                    continue
                self.composed_names[local] = local

    def composed(self) -> dict[str, ComposedDirective]:
        result: dict[str, ComposedDirective] = {}
        for local in self.composed_names:
            definition = self.defined_directives.get(local)
            if definition is None:
                self.error(
                    "DIRECTIVE_COMPOSITION_ERROR",
                    f"@composeDirective names @{local}, which the subgraph does not define",
                )
                continue
            for link in self.links:
                if FEDERATION_SPEC.match(link.url) or LINK_SPEC.match(link.url):
                    continue
                imported = next((i for i, loc in link.imports.items() if loc == f"@{local}"), None)
                if (
                    imported is None
                    and local not in {link.prefix}
                    and not local.startswith(f"{link.prefix}__")
                ):
                    continue
                result[local] = ComposedDirective(
                    name=local,
                    spec_url=link.url,
                    spec_name=link.name,
                    major=link.major,
                    minor=link.minor,
                    imported_as=imported
                    if imported is not None and imported != f"@{local}"
                    else None,
                    definition=definition,
                )
                break
            else:
                self.error(
                    "DIRECTIVE_COMPOSITION_ERROR",
                    f"@composeDirective names @{local}, which no @link imports: a composed directive must come from a linked spec",
                )
        return result

    # --- applied directives -----------------------------------------------------------------

    def applied(
        self, node: Any, coordinate: str, location: str
    ) -> tuple[Applied, dict[str, list[dict[str, Any]]]]:
        """The carried directives of `node`, plus the federation ones by canonical name."""
        applied = Applied()
        federation: dict[str, list[dict[str, Any]]] = {}
        for directive in node.directives or ():
            name = directive.name.value
            canonical = self.directive_names.get(name)
            if canonical is not None:
                args = args_of(directive)
                federation.setdefault(canonical, []).append(args)
                if canonical == "inaccessible":
                    applied.inaccessible = True
                elif canonical == "tag":
                    tag = args.get("name")
                    if isinstance(tag, str):
                        if tag not in applied.tags:
                            applied.tags.append(tag)
                    else:
                        self.error(
                            "DIRECTIVE_DEFINITION_INVALID",
                            f'@tag on {coordinate} needs name: "…"',
                            coordinate,
                        )
                elif canonical == "authenticated":
                    applied.authenticated = True
                elif canonical in {"requiresScopes", "policy"}:
                    argument = "scopes" if canonical == "requiresScopes" else "policies"
                    dnf = _dnf(args.get(argument))
                    if dnf is None:
                        self.error(
                            "DIRECTIVE_DEFINITION_INVALID",
                            f"@{name} on {coordinate} needs {argument}: [[String!]!]!",
                            coordinate,
                        )
                    elif canonical == "requiresScopes":
                        applied.scopes = dnf
                    else:
                        applied.policies = dnf
                elif canonical == "cost":
                    weight = args.get("weight")
                    if isinstance(weight, int):
                        applied.cost = weight
                    else:
                        self.error(
                            "DIRECTIVE_DEFINITION_INVALID",
                            f"@{name} on {coordinate} needs weight: Int",
                            coordinate,
                        )
                elif canonical == "listSize":
                    applied.list_size = _list_size(args)
                elif canonical == "context":
                    context = args.get("name")
                    if not isinstance(context, str):
                        self.error(
                            "CONTEXT_NAME_INVALID",
                            f'@{name} on {coordinate} needs name: "…"',
                            coordinate,
                        )
                    elif "_" in context or not re.fullmatch(r"[A-Za-z]\w*", context):
                        self.error(
                            "CONTEXT_NAME_INVALID",
                            f'context name "{context}" on {coordinate} must be letters and digits only (no underscore)',
                            coordinate,
                        )
                    else:
                        applied.contexts.append(context)
                continue
            if name in self.composed_names:
                applied.composed.append(directive)
            elif name == "deprecated":
                applied.deprecated = True
                reason = args_of(directive).get("reason")
                applied.deprecation_reason = reason if isinstance(reason, str) else None
            elif name == "specifiedBy":
                url = args_of(directive).get("url")
                applied.specified_by = url if isinstance(url, str) else None
            elif name == "oneOf":
                applied.one_of = True
            elif name == "link" and location == "SCHEMA":
                pass
            elif name in self.defined_directives:
                pass  # a custom directive nobody asked to compose: it stays in the subgraph
            else:
                self.error(
                    "INVALID_GRAPHQL", f"unknown directive @{name} on {coordinate}", coordinate
                )
        return applied, federation

    # --- types -------------------------------------------------------------------------------

    def read(self) -> Subgraph | None:
        source = self.source
        try:
            document = parse(source.sdl, no_location=False)
        except GraphQLSyntaxError as error:
            self.error("INVALID_GRAPHQL", f"the SDL does not parse: {error.message}")
            return None
        schema_nodes = [
            d
            for d in document.definitions
            if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)
        ]
        self.read_links(schema_nodes)
        if self.errors:
            return None
        for definition in document.definitions:
            if isinstance(definition, DirectiveDefinitionNode):
                name = definition.name.value
                if name in self.directive_names or name in BUILTIN_DIRECTIVES or name == "link":
                    continue
                self.defined_directives[name] = definition
        self.read_composed(schema_nodes)
        composed = self.composed()

        roots = self.root_renames(schema_nodes, document)
        definitions = self.machinery_free(document, roots)

        types: dict[str, TypeDef] = {}
        for definition in definitions:
            if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                self.fold(types, definition)
        for applied_node in schema_nodes:
            self.applied(applied_node, "the schema", "SCHEMA")

        schema = self.build_schema(definitions, types)
        executable = {
            name: definition
            for name, definition in self.defined_directives.items()
            if name not in composed
            and {loc.value for loc in definition.locations} <= EXECUTABLE_LOCATIONS
        }
        if self.errors or schema is None:
            return None
        return Subgraph(
            name=source.name,
            url=source.url,
            federation_version=self.federation_version,
            types=types,
            schema=schema,
            executable_directives=executable,
            composed_directives=composed,
        )

    def root_renames(self, schema_nodes: Sequence[Any], document: DocumentNode) -> dict[str, str]:
        """Root types renamed to Query/Mutation/Subscription, as the supergraph names them."""
        renames: dict[str, str] = {}
        declared = False
        for node in schema_nodes:
            for operation in node.operation_types or ():
                assert isinstance(operation, OperationTypeDefinitionNode)
                declared = True
                renames[operation.type.name.value] = ROOT_NAMES[operation.operation]
        if not declared:
            return {}
        type_names = {
            d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)
        }
        for old, new in renames.items():
            if old != new and new in type_names and new not in renames:
                self.error(
                    f"ROOT_{new.upper()}_USED",
                    f'type "{new}" is not the {new.lower()} root, but the supergraph will name the root "{new}"',
                    new,
                )
        return {old: new for old, new in renames.items() if old != new}

    def machinery_free(self, document: DocumentNode, roots: dict[str, str]) -> list[Any]:
        """The SDL's own definitions: no federation/link types or directives, no `_service`."""
        kept: list[Any] = []
        query_name = next((old for old, new in roots.items() if new == "Query"), "Query")
        for definition in document.definitions:
            if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                if not isinstance(
                    definition, SchemaDefinitionNode | SchemaExtensionNode | DirectiveDefinitionNode
                ):
                    self.error(
                        "INVALID_GRAPHQL", "a subgraph SDL cannot contain operations or fragments"
                    )
                continue
            name = definition.name.value
            if name in self.machinery_types or name.startswith(("link__", "federation__")):
                continue
            if name == query_name and isinstance(
                definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode
            ):
                fields = tuple(
                    f
                    for f in definition.fields or ()
                    if f.name.value not in {"_service", "_entities"}
                )
                definition = definition.__class__(**{**_node_fields(definition), "fields": fields})
            kept.append(definition)
        if roots:
            kept = [visit(definition, _RenameTypes(roots)) for definition in kept]
        return kept

    def fold(self, types: dict[str, TypeDef], node: Any) -> None:
        name = node.name.value
        kind = _kind(node)
        is_extension = isinstance(node, TypeExtensionNode)
        typedef = types.get(name)
        if typedef is None:
            typedef = types[name] = TypeDef(name=name, kind=kind)
        elif typedef.kind != kind:
            self.error(
                "INVALID_GRAPHQL",
                f'type "{name}" is declared as both {typedef.kind} and {kind}',
                name,
            )
            return
        if not is_extension:
            if typedef.has_base:
                self.error("INVALID_GRAPHQL", f'type "{name}" is defined twice', name)
            typedef.description = _description(node)
        location = {
            "object": "OBJECT",
            "interface": "INTERFACE",
            "union": "UNION",
            "enum": "ENUM",
            "input": "INPUT_OBJECT",
            "scalar": "SCALAR",
        }[kind]
        applied, federation = self.applied(node, name, location)
        _merge_applied_into(typedef.applied, applied)
        extends = "extends" in federation
        typedef.extends_directive |= extends
        typedef.has_definition |= not is_extension
        typedef.has_extension |= is_extension
        if not is_extension and not extends:
            typedef.has_base = True
        for args in federation.get("key", ()):
            if kind not in {"object", "interface"}:
                self.error(
                    "KEY_UNSUPPORTED_ON_INTERFACE" if kind == "interface" else "INVALID_GRAPHQL",
                    f'@key is not allowed on {kind} "{name}"',
                    name,
                )
                continue
            fields = args.get("fields")
            if not isinstance(fields, str):
                self.error("KEY_INVALID_FIELDS", f'@key on "{name}" needs fields: "…"', name)
                continue
            resolvable = args.get("resolvable", True)
            typedef.keys.append(Key(fields, resolvable is not False, is_extension or extends))
        if "interfaceObject" in federation:
            if kind != "object":
                self.error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'@interfaceObject is only allowed on object types, not on "{name}"',
                    name,
                )
            typedef.interface_object = True
        for misplaced in ("requires", "provides", "override"):
            if misplaced in federation:
                self.error("INVALID_GRAPHQL", f"@{misplaced} is not allowed on type {name}", name)
        type_shareable = "shareable" in federation
        type_external = "external" in federation
        for interface in getattr(node, "interfaces", None) or ():
            if interface.name.value not in typedef.interfaces:
                typedef.interfaces.append(interface.name.value)
        if kind in {"object", "interface"}:
            for field_node in node.fields or ():
                self.read_field(typedef, field_node, type_shareable, type_external)
        elif kind == "input":
            for value_node in node.fields or ():
                coordinate = f"{name}.{value_node.name.value}"
                if value_node.name.value in typedef.input_fields:
                    self.error(
                        "INVALID_GRAPHQL", f"input field {coordinate} is defined twice", coordinate
                    )
                typedef.input_fields[value_node.name.value] = self.input_value(
                    value_node, coordinate, "INPUT_FIELD_DEFINITION"
                )
        elif kind == "union":
            for member in node.types or ():
                if member.name.value not in typedef.members:
                    typedef.members.append(member.name.value)
        elif kind == "enum":
            for value_node in node.values or ():
                coordinate = f"{name}.{value_node.name.value}"
                value_applied, _ = self.applied(value_node, coordinate, "ENUM_VALUE")
                typedef.values[value_node.name.value] = EnumValue(
                    value_node.name.value, _description(value_node), value_applied
                )

    def read_field(
        self, typedef: TypeDef, node: FieldDefinitionNode, type_shareable: bool, type_external: bool
    ) -> None:
        coordinate = f"{typedef.name}.{node.name.value}"
        if node.name.value in typedef.fields:
            self.error("INVALID_GRAPHQL", f"field {coordinate} is defined twice", coordinate)
        applied, federation = self.applied(node, coordinate, "FIELD_DEFINITION")
        args = {
            arg.name.value: self.input_value(
                arg, f"{coordinate}({arg.name.value}:)", "ARGUMENT_DEFINITION"
            )
            for arg in node.arguments or ()
        }
        result = Field(
            name=node.name.value,
            type=node.type,
            args=args,
            description=_description(node),
            applied=applied,
            shareable=type_shareable or "shareable" in federation,
            external=type_external or "external" in federation,
            external_on_type=type_external and "external" not in federation,
        )
        for directive, attribute in (("requires", "requires"), ("provides", "provides")):
            for values in federation.get(directive, ()):
                fields = values.get("fields")
                if not isinstance(fields, str):
                    self.error(
                        f"{directive.upper()}_INVALID_FIELDS",
                        f'@{directive} on {coordinate} needs fields: "…"',
                        coordinate,
                    )
                else:
                    setattr(result, attribute, fields)
        for values in federation.get("override", ()):
            source = values.get("from")
            if not isinstance(source, str):
                self.error(
                    "INVALID_GRAPHQL",
                    f'@override on {coordinate} needs from: "subgraph"',
                    coordinate,
                )
                continue
            result.override = source
            label = values.get("label")
            if label is not None:
                if not isinstance(label, str) or not _valid_label(label):
                    self.error(
                        "OVERRIDE_LABEL_INVALID",
                        f'@override on {coordinate} has label {label!r}: a label is "percent(0..100)" or starts with a letter and has only letters, digits, _-:./',
                        coordinate,
                    )
                else:
                    result.override_label = label
        if "interfaceObject" in federation or "key" in federation:
            self.error(
                "INVALID_GRAPHQL",
                f"@key/@interfaceObject are not allowed on field {coordinate}",
                coordinate,
            )
        typedef.fields[result.name] = result

    def input_value(
        self, node: InputValueDefinitionNode, coordinate: str, location: str
    ) -> InputValue:
        applied, federation = self.applied(node, coordinate, location)
        allowed = {"inaccessible", "tag", "cost"}  # @cost: ARGUMENT_ and INPUT_FIELD_DEFINITION
        if location == "ARGUMENT_DEFINITION":
            allowed.add("fromContext")
        for misplaced in federation.keys() - allowed:
            self.error(
                "INVALID_GRAPHQL", f"@{misplaced} is not allowed on {coordinate}", coordinate
            )
        from_context = None
        for args in federation.get("fromContext", ()):
            value = args.get("field")
            if isinstance(value, str):
                from_context = value
            else:
                self.error(
                    "NO_CONTEXT_IN_SELECTION",
                    f'@fromContext on {coordinate} needs field: "$context selection"',
                    coordinate,
                )
        return InputValue(
            name=node.name.value,
            type=node.type,
            default=node.default_value,
            description=_description(node),
            applied=applied,
            from_context=from_context,
        )

    def build_schema(
        self, definitions: list[Any], types: dict[str, TypeDef]
    ) -> GraphQLSchema | None:
        """The subgraph as graphql-core sees it, for validation and field-set lookups."""
        # graphql-core refuses `extend type X` without a base; in a subgraph that is normal.
        defined = {d.name.value for d in definitions if isinstance(d, TypeDefinitionNode)}
        document_definitions: list[Any] = []
        for definition in definitions:
            name = definition.name.value
            if isinstance(definition, TypeExtensionNode) and name not in defined:
                defined.add(name)
                definition = _EXTENSION_TO_DEFINITION[type(definition)](**_node_fields(definition))
            document_definitions.append(definition)
        query = types.get("Query")
        if query is None or not query.fields:
            # A subgraph may serve entities only; give the validator a root to stand on.
            document_definitions.append(
                ObjectTypeExtensionNode(
                    name=NameNode(value="Query"),
                    fields=(
                        FieldDefinitionNode(
                            name=NameNode(value="_service"),
                            type=NamedTypeNode(name=NameNode(value="String")),
                        ),
                    ),
                )
                if query is not None
                else ObjectTypeDefinitionNode(
                    name=NameNode(value="Query"),
                    fields=(
                        FieldDefinitionNode(
                            name=NameNode(value="_service"),
                            type=NamedTypeNode(name=NameNode(value="String")),
                        ),
                    ),
                )
            )
        document_definitions.extend(self.defined_directives.values())
        try:
            schema = build_ast_schema(
                DocumentNode(definitions=tuple(document_definitions)), assume_valid_sdl=True
            )
        except (GraphQLError, TypeError) as error:
            self.error("INVALID_GRAPHQL", f"the schema is invalid: {error}")
            return None
        for problem in validate_schema(schema):
            self.error("INVALID_GRAPHQL", f"the schema is invalid: {problem.message}")
        return schema


class _RenameTypes(Visitor):
    """Renames root types (and every reference to them); visiting goes on into replaced nodes."""

    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def enter_named_type(self, node: NamedTypeNode, *_: Any) -> NamedTypeNode | None:
        new = self.renames.get(node.name.value)
        return NamedTypeNode(name=NameNode(value=new)) if new else None

    def enter_object_type_definition(self, node: ObjectTypeDefinitionNode, *_: Any) -> Any:
        return self._renamed(node)

    def enter_object_type_extension(self, node: ObjectTypeExtensionNode, *_: Any) -> Any:
        return self._renamed(node)

    def _renamed(self, node: Any) -> Any:
        new = self.renames.get(node.name.value)
        if new is None:
            return None
        return node.__class__(**{**_node_fields(node), "name": NameNode(value=new)})


_EXTENSION_TO_DEFINITION: dict[type, type] = {
    ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
    InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
    UnionTypeExtensionNode: UnionTypeDefinitionNode,
    EnumTypeExtensionNode: EnumTypeDefinitionNode,
    InputObjectTypeExtensionNode: InputObjectTypeDefinitionNode,
    ScalarTypeExtensionNode: ScalarTypeDefinitionNode,
}


def _kind(node: Any) -> Kind:
    if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
        return "object"
    if isinstance(node, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode):
        return "interface"
    if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        return "union"
    if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        return "enum"
    if isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
        return "input"
    assert isinstance(node, ScalarTypeDefinitionNode | ScalarTypeExtensionNode)
    return "scalar"


def _dnf(value: Any) -> DNF | None:
    if not isinstance(value, list) or not all(isinstance(group, list) for group in value):
        return None
    if not all(isinstance(item, str) for group in value for item in group):
        return None
    return tuple(tuple(group) for group in value)


def _valid_label(label: str) -> bool:
    if re.fullmatch(r"percent\((\d{1,2}(\.\d{1,8})?|100)\)", label):
        return True
    return re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_\-:./]*", label) is not None


def _merge_applied_into(target: Applied, extra: Applied) -> None:
    target.inaccessible |= extra.inaccessible
    target.tags.extend(tag for tag in extra.tags if tag not in target.tags)
    if extra.deprecated and not target.deprecated:
        target.deprecated, target.deprecation_reason = True, extra.deprecation_reason
    target.authenticated |= extra.authenticated
    target.scopes = extra.scopes or target.scopes
    target.policies = extra.policies or target.policies
    target.composed.extend(extra.composed)
    target.specified_by = extra.specified_by or target.specified_by
    target.one_of |= extra.one_of
    target.contexts.extend(c for c in extra.contexts if c not in target.contexts)
    target.cost = extra.cost if extra.cost is not None else target.cost
    target.list_size = extra.list_size or target.list_size


def _list_size(args: dict[str, Any]) -> ListSize:
    def strings(value: Any) -> tuple[str, ...] | None:
        return tuple(str(v) for v in value) if isinstance(value, list) else None

    assumed = args.get("assumedSize")
    require = args.get("requireOneSlicingArgument")
    return ListSize(
        assumed_size=assumed if isinstance(assumed, int) else None,
        slicing_arguments=strings(args.get("slicingArguments")),
        sized_fields=strings(args.get("sizedFields")),
        require_one_slicing_argument=require if isinstance(require, bool) else None,
    )


def _node_fields(node: Any) -> dict[str, Any]:
    return {key: getattr(node, key) for key in node.keys if key != "loc"}


def read_subgraph(source: SubgraphSource) -> tuple[Subgraph | None, list[CompositionError]]:
    reader = _Reader(source)
    subgraph = reader.read()
    return subgraph, reader.errors
