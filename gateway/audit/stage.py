"""The audit stage as the gateway holds it: the writer (started and closed with the gateway) and
what is noted of an operation once it is prepared."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gateway.audit.config import AuditConfig
from gateway.audit.record import SubjectIds, argument_values, document_hash
from gateway.audit.writer import AuditWriter
from gateway.context import RequestContext

if TYPE_CHECKING:
    from gateway.prepare import PreparedOperation


class AuditConfigMissing(ValueError):
    """The audit stage cannot run as configured."""


class AuditStage:
    def __init__(self, config: AuditConfig, grant_key: str | None, root_types: Mapping[str, str]):
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
        self._root_types = dict(root_types)  # operation type -> root type name

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
