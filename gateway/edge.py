"""Settings of the gateway's HTTP edge (`[edge]` in the gateway's TOML, SATU_ANAK_* variables):
rate limits, the client address behind trusted proxies, CSRF prevention and the persisted-
operation safelist. See docs/operations.md, "The edge"."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

# Headers a browser cannot add to a cross-origin request without a CORS preflight (which the
# gateway, having no CORS policy, never grants): Apollo's two, and ours — every request our
# clients send names its purpose, so they pass without anything added.
DEFAULT_CSRF_HEADERS = (
    "x-apollo-operation-name",
    "apollo-require-preflight",
    "x-satu-anak-purpose",
)

_OFF = ("0", "false", "no", "off")
_ON = ("1", "true", "yes", "on")


class EdgeConfigError(ValueError):
    """An `[edge]` setting the gateway cannot use."""


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class EdgeConfig:
    # Token buckets: `rate` requests a second on average, `burst` at once. Per client address
    # before authentication (many officers may share an office's address), per principal (the
    # token's subject) after it. `rate_limit = false` turns both off (benchmarks).
    rate_limit: bool = True
    address_rate: float = 100.0
    address_burst: int = 200
    principal_rate: float = 20.0
    principal_burst: int = 60
    # Buckets kept per table (addresses, principals); past it the least recently used goes.
    rate_limit_buckets: int = 10_000
    # Proxies (addresses or CIDR networks) whose X-Forwarded-For is believed: the client is the
    # nearest address in it that is not one of them. Empty: the header is never read.
    trusted_proxies: tuple[str, ...] = ()
    # CSRF prevention as Apollo Router does it: a GET, or a POST without a content type or with
    # one a form can send, must carry one of these headers (non-empty).
    csrf_prevention: bool = True
    csrf_required_headers: tuple[str, ...] = DEFAULT_CSRF_HEADERS
    # Safelist mode: a persisted query manifest (Apollo's format). None: off.
    persisted_operations: str | None = None
    # In safelist mode: operations only by id (true), or free text too when its body is
    # exactly one in the manifest (false).
    persisted_require_id: bool = True

    def __post_init__(self) -> None:
        if self.address_rate <= 0 or self.principal_rate <= 0:
            raise EdgeConfigError("[edge] rates must be positive (requests a second)")
        if self.address_burst < 1 or self.principal_burst < 1:
            raise EdgeConfigError("[edge] bursts must be at least 1")
        if self.rate_limit_buckets < 1:
            raise EdgeConfigError("[edge] rate_limit_buckets must be at least 1")
        self.proxy_networks()  # refuses what does not parse
        if any(not h.strip() for h in self.csrf_required_headers):
            raise EdgeConfigError("[edge] csrf_required_headers has an empty name")

    def proxy_networks(self) -> tuple[IPNetwork, ...]:
        try:
            return tuple(
                ipaddress.ip_network(p.strip(), strict=False) for p in self.trusted_proxies
            )
        except ValueError as error:
            raise EdgeConfigError(f"[edge] trusted_proxies: {error}") from None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> EdgeConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise EdgeConfigError(f"unknown [edge] settings: {', '.join(sorted(unknown))}")
        values = dict(raw)
        for name in ("trusted_proxies", "csrf_required_headers"):
            if name in values:
                if not isinstance(values[name], list | tuple):
                    raise EdgeConfigError(f"[edge] {name} must be a list")
                values[name] = tuple(str(v).strip().lower() for v in values[name])
        try:
            return cls(**values)
        except TypeError as error:
            raise EdgeConfigError(f"[edge]: {error}") from None

    def with_env(self, environ: Mapping[str, str]) -> EdgeConfig:
        """These settings overridden by the SATU_ANAK_* variables that are set."""
        changes: dict[str, Any] = {}
        for variable, setting in (
            ("SATU_ANAK_RATE_LIMIT", "rate_limit"),
            ("SATU_ANAK_CSRF_PREVENTION", "csrf_prevention"),
        ):
            value = environ.get(variable, "").strip().lower()
            if value in _OFF:
                changes[setting] = False
            elif value in _ON:
                changes[setting] = True
            elif value:
                raise EdgeConfigError(f"{variable} must be on or off, not {value!r}")
        try:
            for variable, setting, kind in (
                ("SATU_ANAK_ADDRESS_RATE", "address_rate", float),
                ("SATU_ANAK_ADDRESS_BURST", "address_burst", int),
                ("SATU_ANAK_PRINCIPAL_RATE", "principal_rate", float),
                ("SATU_ANAK_PRINCIPAL_BURST", "principal_burst", int),
            ):
                if environ.get(variable):
                    changes[setting] = kind(environ[variable])
        except ValueError as error:
            raise EdgeConfigError(f"invalid number in the environment: {error}") from None
        if "SATU_ANAK_TRUSTED_PROXIES" in environ:
            changes["trusted_proxies"] = tuple(
                p.strip() for p in environ["SATU_ANAK_TRUSTED_PROXIES"].split(",") if p.strip()
            )
        if "SATU_ANAK_PERSISTED_OPERATIONS" in environ:
            changes["persisted_operations"] = environ["SATU_ANAK_PERSISTED_OPERATIONS"] or None
        return replace(self, **changes) if changes else self
