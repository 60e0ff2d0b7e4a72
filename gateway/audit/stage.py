"""The audit stage as the gateway holds it: the writer (started and closed with the gateway) and
what is noted of an operation once it is prepared."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from graphql import GraphQLObjectType, GraphQLSchema
from graphql.validation import ASTValidationRule

from gateway.audit.config import AuditConfig
from gateway.audit.record import SubjectIds, argument_values, document_hash, keyed_hash
from gateway.audit.required import IDENTIFIER_REQUIRED, identifier_rule
from gateway.audit.shown import check_identifiers, mentions, shown_values
from gateway.audit.writer import AuditWriter
from gateway.context import RequestContext

if TYPE_CHECKING:
    from gateway.prepare import PreparedOperation


class AuditConfigMissing(ValueError):
    """The audit stage cannot run as configured."""


class AuditStage:
    def __init__(self, config: AuditConfig, grant_key: str | None, schema: GraphQLSchema):
        if not config.url:
            raise AuditConfigMissing("[audit] needs the access log's url (or SATU_ANAK_AUDIT_URL)")
        if not grant_key:
            # Only the gateway may append: the access log takes appends under its service grant.
            raise AuditConfigMissing("[audit] needs the gateway's grant key (grant_key)")
        from auth.grant import GrantSigner

        signer = GrantSigner.from_file(grant_key)
        audience = config.audience
        self.config = config
        self.writer = AuditWriter(config, lambda body: signer.sign(audience, None, body))
        self._arguments = config.identifying_arguments | config.subject_arguments
        self.ids = SubjectIds(re.compile(config.subject_id_pattern), config.lookup_key_bytes())
        # operation type -> root type (of the API the clients see)
        self._roots: dict[str, GraphQLObjectType] = {
            kind: root
            for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type))
            if root is not None
        }
        self._root_types = {kind: root.name for kind, root in self._roots.items()}
        check_identifiers(schema, config.shown_identifiers)  # a name it cannot find stops the start
        self._schema = schema
        self._shown_fields = frozenset(n.split(".")[1] for n in config.shown_identifiers)
        # What the preparer checks for this stage: an operation that shows a configured type
        # selects its identifier, or is refused (gateway/audit/required.py).
        self.rules: tuple[tuple[type[ASTValidationRule], str], ...] = (
            ((identifier_rule(config.shown_identifiers), IDENTIFIER_REQUIRED),)
            if config.shown_identifiers
            else ()
        )

    def note_operation(
        self,
        prepared: PreparedOperation,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        context: RequestContext,
    ) -> None:
        kind = prepared.kind.value
        name = operation_name or prepared.operation.name
        context.operation = (kind, name, document_hash(query))
        if not self._arguments:
            return
        config = self.config
        for argument, value in argument_values(
            prepared.operation, self._root_types.get(kind, ""), variables, self._arguments
        ):
            if argument in config.subject_arguments and self.ids.accepts(value):
                context.asked_subjects.append(value)
            else:
                # A NIK, or something else where an id was expected: never as it is.
                hashed = self.ids.hashed(argument, value)
                if hashed is not None:
                    context.lookups.append(hashed)

    def note_shown(self, prepared: PreparedOperation, data: Any, context: RequestContext) -> None:
        """After execution: the person identifiers the answer's data showed
        (`shown_identifiers`), each value once, as keyed hashes in `lookups` — at most
        `max_shown`, the number of the others in `shown_omitted`. Without a lookup key nothing
        is recorded, as for identifying arguments."""
        key = self.ids.key
        root = self._roots.get(prepared.kind.value)
        if key is None or root is None or not isinstance(data, Mapping):
            return
        selections = prepared.operation.selections
        if not mentions(selections, self._shown_fields):
            return
        seen: set[str] = set()
        limit = self.config.max_shown
        for name, value in shown_values(
            self._schema, root, selections, data, self.config.shown_identifiers
        ):
            if value in seen:
                continue
            seen.add(value)
            if len(seen) > limit:
                context.shown_omitted += 1
            else:
                context.lookups.append({"shown": name, "hmac": keyed_hash(key, value)})
