"""The audit stage: one record per GraphQL request — answered, partial or refused — written
durably to the access log before the response leaves; when it cannot be written, the client gets
503 and no data (fail closed). Active when `[audit]` is configured.

- `record`: the record, built from the request context (who, why, what operation, which
  children, which categories disclosed and withheld on which legal basis, what changed);
- `writer`: group commit to the access log's append endpoint (the consent service) under a
  service grant;
- `middleware`: holds each response until its record is durable.
"""

from gateway.audit.config import AuditConfig
from gateway.audit.middleware import AuditMiddleware
from gateway.audit.writer import AuditUnavailable, AuditWriter

__all__ = ["AuditConfig", "AuditMiddleware", "AuditUnavailable", "AuditWriter"]
