"""Gateway settings: defaults, then a TOML file, then SATU_ANAK_* environment variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.edge import EdgeConfig, EdgeConfigError

if TYPE_CHECKING:
    from gateway.audit.config import AuditConfig
    from gateway.consent.config import ConsentConfig

ALWAYS_FORWARDED = frozenset({"traceparent", "tracestate"})  # W3C trace context


class ConfigError(ValueError):
    """The configuration file or environment holds something the gateway cannot use."""


@dataclass(frozen=True)
class GatewayConfig:
    supergraph: str | None = None  # path of the supergraph SDL file
    host: str = "127.0.0.1"
    port: int = 4000
    development: bool = False  # the console and the query-plan header
    subgraph_timeout: float = 30.0
    max_tokens: int = 20_000
    # Operation limits, checked before validation and planning, fragments counted as written
    # out (docs/limits.md).
    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 20
    max_selections: int = 2_000
    # The plan cache's budget: the estimated bytes of its entries (documents, plans, answers'
    # field lists), least recently used first out.
    plan_cache_bytes: int = 64 * 1024 * 1024
    # `__schema` and `__type` answered; None: in development mode only. Outside development
    # mode, validation errors carry no "Did you mean ...?" suggestions either way.
    introspection: bool | None = None
    # Demand control (gateway/demand, docs/limits.md): an operation whose estimated cost is over
    # `max_cost` is refused before any fetch ("enforce"), or only measured ("measure"); lists
    # without @listSize are assumed to hold `cost_list_size` items.
    max_cost: int = 50_000
    cost_mode: str = "enforce"
    cost_list_size: int = 10
    # Request headers forwarded to subgraphs (lower case); W3C trace context always is.
    forward_headers: frozenset[str] = ALWAYS_FORWARDED
    subgraph_urls: Mapping[str, str] = field(default_factory=dict)  # name -> URL override
    subgraph_timeouts: Mapping[str, float] = field(default_factory=dict)  # name -> seconds
    # Fault isolation (docs/operations.md): each subgraph has its own connection pool of at most
    # this many connections (`[subgraphs.NAME] max_connections` overrides), so that one hanging
    # agency cannot hold the connections the others need.
    subgraph_max_connections: int = 64
    subgraph_connections: Mapping[str, int] = field(default_factory=dict)  # name -> connections
    # A subgraph answer larger than this is cut off while it streams in (`[subgraphs.NAME]
    # max_response_bytes` overrides).
    max_subgraph_response_bytes: int = 8_000_000
    subgraph_response_limits: Mapping[str, int] = field(default_factory=dict)  # name -> bytes
    # The circuit breaker of each subgraph: open after this many failures in a row (connection
    # errors, timeouts, HTTP 5xx), failing fast for `breaker_cooldown` seconds, then one probe.
    breaker_failures: int = 5
    breaker_cooldown: float = 10.0
    # Queries (never mutations) are sent again at most this many times after a connection
    # failure or HTTP 502/503/429, after a jittered back-off from `retry_backoff` seconds (or the
    # subgraph's Retry-After, when it fits in what is left of the timeout).
    subgraph_retries: int = 1
    retry_backoff: float = 0.05
    # Identical subgraph queries in flight at the same time share one request.
    deduplicate: bool = True
    max_body_bytes: int = 1_000_000  # larger request bodies are refused with 413
    body_timeout: float = 10.0  # seconds a request body may take to arrive, else 408
    # Prometheus metrics (`/metrics`) on a port of their own, never on the public one; None: not
    # served. Bound to `metrics_host` (loopback unless the scraper is elsewhere).
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # Access tokens: the OIDC issuer whose tokens the gateway accepts (None: no authentication,
    # for conformance runs and benchmarks only), the audience they must name, and where its
    # key set is (None: from the issuer's discovery document).
    auth_issuer: str | None = None
    auth_audience: str = "satu-anak"
    auth_jwks_url: str | None = None
    # Consent-aware planning (`[consent]`): None — no policy, every field to every caller, as
    # the federation audit and the benchmarks run it. Needs `auth_issuer` (decisions are about
    # who asks).
    consent: ConsentConfig | None = None
    # Keep only the fields each fetch asked for in a subgraph's answer (a subgraph cannot write
    # what another owns). None: on exactly when `[consent]` is configured.
    keep_only_asked: bool | None = None
    # Subgraph grants: the gateway's Ed25519 private key (a PEM or JWK file). With it, every
    # subgraph request carries a grant signed for it (auth/grant.py); without it (conformance
    # runs, benchmarks) none does, and subgraphs that require grants refuse the gateway.
    grant_key: str | None = None
    # The audit trail (`[audit]`): None — requests are not recorded (conformance runs,
    # benchmarks). Set, every GraphQL request is recorded in the access log before it is
    # answered, and none is answered with data when that fails. Needs `grant_key`.
    audit: AuditConfig | None = None
    # The HTTP edge (`[edge]`): rate limits, trusted proxies, CSRF prevention, the persisted-
    # operation safelist (gateway/edge.py, docs/operations.md).
    edge: EdgeConfig = field(default_factory=EdgeConfig)

    def __post_init__(self) -> None:
        positive = {
            "subgraph_max_connections": self.subgraph_max_connections,
            "max_subgraph_response_bytes": self.max_subgraph_response_bytes,
            "breaker_failures": self.breaker_failures,
            **{f"{n}.max_connections": v for n, v in self.subgraph_connections.items()},
            **{f"{n}.max_response_bytes": v for n, v in self.subgraph_response_limits.items()},
        }
        bad = sorted(name for name, value in positive.items() if value < 1)
        if bad or self.subgraph_retries < 0 or self.breaker_cooldown < 0 or self.retry_backoff < 0:
            raise ConfigError(
                "fault-isolation settings out of range: "
                + ", ".join(bad or ["subgraph_retries, breaker_cooldown or retry_backoff"])
            )

    @classmethod
    def load(
        cls, path: str | Path | None = None, environ: Mapping[str, str] = os.environ
    ) -> GatewayConfig:
        base = cls.from_file(path) if path else cls()
        return base.with_env(environ)

    @classmethod
    def from_file(cls, path: str | Path) -> GatewayConfig:
        try:
            raw = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"cannot read gateway configuration {path}: {error}") from error
        subgraphs: dict[str, Any] = raw.pop("subgraphs", {})
        headers = raw.pop("forward_headers", [])
        consent_section = raw.pop("consent", None)
        audit_section = raw.pop("audit", None)
        edge_section = raw.pop("edge", {})
        known = {f for f in cls.__dataclass_fields__ if f not in _DERIVED}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"unknown gateway settings in {path}: {', '.join(sorted(unknown))}")
        consent = None
        if consent_section is not None:
            from gateway.consent.config import ConsentConfig

            if not isinstance(consent_section, dict):
                raise ConfigError(f"[consent] in {path} must be a table")
            consent = ConsentConfig.from_mapping(consent_section)
        audit = None
        if audit_section is not None:
            from gateway.audit.config import AuditConfig, AuditConfigError

            if not isinstance(audit_section, dict):
                raise ConfigError(f"[audit] in {path} must be a table")
            try:
                audit = AuditConfig.from_mapping(audit_section)
            except AuditConfigError as error:
                raise ConfigError(f"{path}: {error}") from None
        if not isinstance(edge_section, dict):
            raise ConfigError(f"[edge] in {path} must be a table")
        try:
            edge = EdgeConfig.from_mapping(edge_section)
        except EdgeConfigError as error:
            raise ConfigError(f"{path}: {error}") from None
        try:
            return cls(
                **raw,
                consent=consent,
                audit=audit,
                edge=edge,
                forward_headers=ALWAYS_FORWARDED | {str(h).lower() for h in headers},
                subgraph_urls={n: str(s["url"]) for n, s in subgraphs.items() if "url" in s},
                subgraph_timeouts={
                    n: float(s["timeout"]) for n, s in subgraphs.items() if "timeout" in s
                },
                subgraph_connections={
                    n: int(s["max_connections"])
                    for n, s in subgraphs.items()
                    if "max_connections" in s
                },
                subgraph_response_limits={
                    n: int(s["max_response_bytes"])
                    for n, s in subgraphs.items()
                    if "max_response_bytes" in s
                },
            )
        except (TypeError, ValueError) as error:
            raise ConfigError(f"invalid gateway settings in {path}: {error}") from error

    def with_env(self, environ: Mapping[str, str]) -> GatewayConfig:
        """The same settings, overridden by whatever SATU_ANAK_* variables are set."""

        def per_subgraph(suffix: str) -> dict[str, str]:
            found = {
                key[len("SATU_ANAK_") : -len(suffix)].lower(): value
                for key, value in environ.items()
                if key.startswith("SATU_ANAK_") and key.endswith(suffix)
            }
            return {name: value for name, value in found.items() if name}

        changes: dict[str, Any] = {}
        try:
            if "SATU_ANAK_SUBGRAPH_TIMEOUT" in environ:
                changes["subgraph_timeout"] = float(environ["SATU_ANAK_SUBGRAPH_TIMEOUT"])
            if "SATU_ANAK_MAX_BODY_BYTES" in environ:
                changes["max_body_bytes"] = int(environ["SATU_ANAK_MAX_BODY_BYTES"])
            for setting in _OPERATION_LIMITS:
                if f"SATU_ANAK_{setting.upper()}" in environ:
                    changes[setting] = int(environ[f"SATU_ANAK_{setting.upper()}"])
            if environ.get("SATU_ANAK_METRICS_PORT"):
                changes["metrics_port"] = int(environ["SATU_ANAK_METRICS_PORT"])
            if "SATU_ANAK_MAX_COST" in environ:
                changes["max_cost"] = int(environ["SATU_ANAK_MAX_COST"])
            for variable, setting, kind in _FAULT_VARIABLES:
                if variable in environ:
                    changes[setting] = kind(environ[variable])
            timeouts = {n: float(v) for n, v in per_subgraph("_SUBGRAPH_TIMEOUT").items()}
        except ValueError as error:
            raise ConfigError(f"invalid number in the environment: {error}") from error
        for variable, setting in (
            ("SATU_ANAK_AUTH_ISSUER", "auth_issuer"),
            ("SATU_ANAK_AUTH_AUDIENCE", "auth_audience"),
            ("SATU_ANAK_AUTH_JWKS_URL", "auth_jwks_url"),
            ("SATU_ANAK_GRANT_KEY", "grant_key"),
            ("SATU_ANAK_METRICS_HOST", "metrics_host"),
            ("SATU_ANAK_COST_MODE", "cost_mode"),
        ):
            if environ.get(variable):
                changes[setting] = environ[variable]
        if environ.get("SATU_ANAK_AUDIT_URL"):
            from gateway.audit.config import AuditConfig

            url = environ["SATU_ANAK_AUDIT_URL"]
            changes["audit"] = (
                AuditConfig(url) if self.audit is None else replace(self.audit, url=url)
            )
        audit: AuditConfig | None = changes.get("audit") or self.audit
        if environ.get("SATU_ANAK_AUDIT_LOOKUP_KEY") and audit is not None:
            changes["audit"] = replace(audit, lookup_key=environ["SATU_ANAK_AUDIT_LOOKUP_KEY"])
        if environ.get("SATU_ANAK_INTROSPECTION"):
            changes["introspection"] = environ["SATU_ANAK_INTROSPECTION"] not in (
                "0",
                "false",
                "no",
            )
        try:
            edge = self.edge.with_env(environ)
        except EdgeConfigError as error:
            raise ConfigError(str(error)) from None
        if edge is not self.edge:
            changes["edge"] = edge
        if "SATU_ANAK_DEDUPLICATE" in environ:
            changes["deduplicate"] = environ["SATU_ANAK_DEDUPLICATE"] not in ("0", "false", "no")
        extra = {
            h.strip().lower()
            for h in environ.get("SATU_ANAK_FORWARD_HEADERS", "").split(",")
            if h.strip()
        }
        if extra:
            changes["forward_headers"] = self.forward_headers | extra
        urls = per_subgraph("_SUBGRAPH_URL")
        if urls:
            changes["subgraph_urls"] = {**self.subgraph_urls, **urls}
        if timeouts:
            changes["subgraph_timeouts"] = {**self.subgraph_timeouts, **timeouts}
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> GatewayConfig:
        return cls().with_env(environ)


_OPERATION_LIMITS = (
    "max_tokens",
    "max_depth",
    "max_aliases",
    "max_root_fields",
    "max_selections",
    "plan_cache_bytes",
)
_DERIVED = frozenset(
    {
        "forward_headers",
        "subgraph_urls",
        "subgraph_timeouts",
        "subgraph_connections",
        "subgraph_response_limits",
        "consent",
        "audit",
        "edge",
    }
)
# Fault-isolation settings an operator may set from the environment: variable, setting, type.
_FAULT_VARIABLES: tuple[tuple[str, str, type[int] | type[float]], ...] = (
    ("SATU_ANAK_SUBGRAPH_MAX_CONNECTIONS", "subgraph_max_connections", int),
    ("SATU_ANAK_MAX_SUBGRAPH_RESPONSE_BYTES", "max_subgraph_response_bytes", int),
    ("SATU_ANAK_BREAKER_FAILURES", "breaker_failures", int),
    ("SATU_ANAK_BREAKER_COOLDOWN", "breaker_cooldown", float),
    ("SATU_ANAK_SUBGRAPH_RETRIES", "subgraph_retries", int),
)
