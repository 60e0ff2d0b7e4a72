"""`[audit]` in the gateway's configuration."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AuditConfigError(ValueError):
    """`[audit]` holds something the gateway cannot use."""


@dataclass(frozen=True)
class AuditConfig:
    """Where records go and what an argument value may be recorded as.

    url                   the access log's append endpoint (the consent service's /audit/append;
                          or SATU_ANAK_AUDIT_URL)
    audience              the service the append grant is signed for (default "consent")
    timeout               seconds to wait for a batch to be durable before answering 503
    identifying_arguments "Type.field.argument" names whose values identify a person (a NIK,
                          a KK number): recorded as a keyed hash, never as they are
    lookup_key            a file holding the key of that hash (HMAC-SHA-256); without one, such
                          values are not recorded at all
    subject_arguments     "Type.field.argument" names whose values are subject ids (Query.child.id):
                          a subject asked for and not found is recorded as such — when the value
                          looks like an id (`subject_id_pattern`); otherwise as a keyed hash
    """

    url: str
    audience: str = "consent"
    timeout: float = 5.0
    max_batch: int = 500
    identifying_arguments: frozenset[str] = frozenset()
    lookup_key: str | None = None
    subject_arguments: frozenset[str] = frozenset()
    # Must not match a NIK (16 digits): an id starts with a letter unless configured otherwise.
    subject_id_pattern: str = r"[A-Za-z][A-Za-z0-9_-]{0,63}"
    shown_identifiers: frozenset[str] = frozenset()
    max_shown: int = 100

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> AuditConfig:
        known = {
            "url",
            "audience",
            "timeout",
            "max_batch",
            "identifying_arguments",
            "lookup_key",
            "subject_arguments",
            "subject_id_pattern",
            "shown_identifiers",
            "max_shown",
        }
        unknown = set(raw) - known
        if unknown:
            raise AuditConfigError(f"unknown [audit] settings: {', '.join(sorted(unknown))}")
        url = raw.get("url", "")  # may come from SATU_ANAK_AUDIT_URL instead
        if not isinstance(url, str) or (url and not url.startswith(("http://", "https://"))):
            raise AuditConfigError("[audit].url must be the access log's http(s) URL")
        arguments = _names(raw, "identifying_arguments")
        subjects = _names(raw, "subject_arguments")
        shown = _names(raw, "shown_identifiers", "Type.field")
        pattern = raw.get("subject_id_pattern", cls.subject_id_pattern)
        try:
            re.compile(str(pattern))
        except re.error as error:
            raise AuditConfigError(f"[audit].subject_id_pattern: {error}") from None
        try:
            timeout = float(raw.get("timeout", 5.0))
            max_batch = int(raw.get("max_batch", 500))
            max_shown = int(raw.get("max_shown", 100))
        except (TypeError, ValueError) as error:
            raise AuditConfigError(f"[audit]: {error}") from None
        if timeout <= 0 or not 1 <= max_batch <= 1000:
            raise AuditConfigError("[audit]: timeout > 0, 1 <= max_batch <= 1000")
        if not 1 <= max_shown <= 1000:
            raise AuditConfigError("[audit]: 1 <= max_shown <= 1000")
        key = raw.get("lookup_key")
        return cls(
            url=url,
            audience=str(raw.get("audience", "consent")),
            timeout=timeout,
            max_batch=max_batch,
            identifying_arguments=arguments,
            lookup_key=str(key) if key else None,
            subject_arguments=subjects,
            subject_id_pattern=str(pattern),
            shown_identifiers=shown,
            max_shown=max_shown,
        )

    def lookup_key_bytes(self) -> bytes | None:
        if self.lookup_key is None:
            return None
        try:
            key = Path(self.lookup_key).read_bytes().strip()
        except OSError as error:
            raise AuditConfigError(f"cannot read [audit].lookup_key: {error.strerror}") from None
        if len(key) < 16:
            raise AuditConfigError("[audit].lookup_key holds fewer than 16 bytes")
        return key


def _names(
    raw: Mapping[str, Any], setting: str, form: str = "Type.field.argument"
) -> frozenset[str]:
    names = raw.get(setting, [])
    dots = form.count(".")
    if not isinstance(names, list) or not all(
        isinstance(n, str) and n.count(".") == dots and all(n.split(".")) for n in names
    ):
        raise AuditConfigError(f'[audit].{setting}: a list of "{form}"')
    return frozenset(names)
