"""The `satu-anak` command: serve, migrate, seed, up, sdl, compose, gateway, plan, issuer, token,
audit, identity."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satu_anak.ports import BASE_PORT, issuer_port, subgraph_ports
from subgraphs import SUBGRAPH_NAMES, load_spec

if TYPE_CHECKING:
    import uvicorn

    from gateway.config import GatewayConfig
    from gateway.engine import Gateway

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
# The development issuer's URL (`iss`) for `satu-anak token`, when not the default port's.
DEV_ISSUER_URL_VARIABLE = "SATU_ANAK_DEV_ISSUER_URL"


def _observe(service: str, log_level: str, metrics_port: int | None, metrics_host: str) -> bool:
    """A server's observability, at process start: logs (SATU_ANAK_LOG_FORMAT), traces (the
    OTEL_* variables; off without an exporter), and `/metrics` on its own port when one is set.
    False (after saying why) when the settings cannot be used."""
    from observability.setup import TracingConfigError, configure_tracing
    from subgraphs.common.logs import configure_logging

    try:
        configure_logging(service, log_level.upper())
        configure_tracing(f"satu-anak-{service}")
        if metrics_port is not None:
            from observability.metrics import serve_metrics

            serve_metrics(metrics_port, metrics_host)
    except (ValueError, TracingConfigError, OSError) as error:
        print(f"{service}: {error}", file=sys.stderr)
        return False
    return True


def _metrics_address() -> tuple[int | None, str]:
    """A subgraph's metrics port and host: SATU_ANAK_METRICS_PORT / SATU_ANAK_METRICS_HOST."""
    port = os.environ.get("SATU_ANAK_METRICS_PORT")
    return (int(port) if port else None), os.environ.get("SATU_ANAK_METRICS_HOST", "127.0.0.1")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from auth.grant import GrantKeyError
    from subgraphs.common.service import create_app
    from subgraphs.common.settings import SubgraphSettings

    try:
        metrics_port, metrics_host = _metrics_address()
    except ValueError:
        print("SATU_ANAK_METRICS_PORT must be a port number", file=sys.stderr)
        return 2
    if not _observe(args.subgraph, args.log_level, metrics_port, metrics_host):
        return 2
    from subgraphs.consent.audit.store import AuditStoreUnavailable

    spec = load_spec(args.subgraph)
    try:
        attachments = (spec.attach(),) if spec.attach is not None else ()
        app = create_app(spec, SubgraphSettings.from_env(spec.name), attachments=attachments)
    except (GrantKeyError, AuditStoreUnavailable) as error:
        print(error, file=sys.stderr)  # served subgraphs answer only the gateway's grants
        return 2
    port = args.port or subgraph_ports()[spec.name]
    uvicorn.run(
        app,
        host=args.host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


async def _migrate_all(names: Sequence[str]) -> None:
    from subgraphs.common.database import Database
    from subgraphs.common.migrations import upgrade
    from subgraphs.common.settings import SubgraphSettings
    from subgraphs.consent.audit.service import PACKAGE as AUDIT_PACKAGE
    from subgraphs.consent.audit.service import AuditSettings

    for name in names:
        if name == "audit":  # the access log: the consent service's second database
            package, url = AUDIT_PACKAGE, AuditSettings.from_env().database_url
        else:
            package, url = load_spec(name).package, SubgraphSettings.from_env(name).database_url
        db = Database(url)
        try:
            await upgrade(package, db.engine)
        finally:
            await db.dispose()
        print(f"{name}: migrated to head")


def _migrate(args: argparse.Namespace) -> int:
    names = (*SUBGRAPH_NAMES, "audit") if args.subgraph == "all" else (args.subgraph,)
    asyncio.run(_migrate_all(names))
    return 0


def _audit_database(args: argparse.Namespace) -> str:
    from subgraphs.common.settings import normalize_database_url
    from subgraphs.consent.audit.service import AuditSettings

    return normalize_database_url(args.database or AuditSettings.from_env().database_url)


def _audit_verify(args: argparse.Namespace) -> int:
    from auth.audit.chain import ChainError, load_verifier_key
    from subgraphs.common.database import Database
    from subgraphs.common.settings import data_dir
    from subgraphs.consent.audit.service import PUBLIC_KEY_FILE
    from subgraphs.consent.audit.verify import verify

    key_path = args.key or (
        str(data_dir() / PUBLIC_KEY_FILE) if (data_dir() / PUBLIC_KEY_FILE).exists() else None
    )
    try:
        key = load_verifier_key(key_path) if key_path else None
        external = Path(args.checkpoint).read_text() if args.checkpoint else None
    except (ChainError, OSError) as error:
        print(f"audit verify: {error}", file=sys.stderr)
        return 2
    if external is not None and key is None:
        print("audit verify: --checkpoint needs the audit public key (--key)", file=sys.stderr)
        return 2

    async def run() -> int:
        db = Database(_audit_database(args))
        try:
            result = await verify(db, key, start=args.start, external=external)
        except Exception as error:  # an unreachable or unmigrated store
            print(f"audit verify: cannot read the access log: {error}", file=sys.stderr)
            return 2
        finally:
            await db.dispose()
        for note in result.skipped:
            print(f"note: {note}", file=sys.stderr)
        if not result.ok:
            print(f"audit verify: FAILED: {result.problem}", file=sys.stderr)
            return 1
        print(
            f"audit verify: ok — records {args.start}..{result.size} checked "
            f"({result.checked}), {result.checkpoints} signed checkpoint(s) match"
        )
        return 0

    return asyncio.run(run())


def _audit_checkpoint(args: argparse.Namespace) -> int:
    from auth.audit.chain import ChainError, load_signing_key
    from subgraphs.common.database import Database
    from subgraphs.consent.audit.service import AuditSettings
    from subgraphs.consent.audit.store import AuditStore

    key_path = args.key or AuditSettings.from_env().key_path
    if key_path is None:
        print(
            "audit checkpoint: no audit signing key (--key or SATU_ANAK_AUDIT_KEY)", file=sys.stderr
        )
        return 2
    try:
        key = load_signing_key(key_path)
    except ChainError as error:
        print(f"audit checkpoint: {error}", file=sys.stderr)
        return 2

    async def run() -> tuple[int, str] | None:
        db = Database(_audit_database(args))
        try:
            return await AuditStore(db, key).checkpoint()
        finally:
            await db.dispose()

    made = asyncio.run(run())
    assert made is not None  # a store with a signing key always checkpoints
    size, note = made
    if args.out:
        Path(args.out).write_text(note)
        print(f"checkpoint at {size} written to {args.out}")
    else:
        print(note, end="")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from satu_anak.synthetic.loader import seed

    report = asyncio.run(seed(args.children, args.seed, only_if_empty=not args.force))
    print(report.summary())
    return 0


def _up(args: argparse.Namespace) -> int:
    from satu_anak.up import run_all

    return run_all(children=args.children, seed=args.seed, host=args.host, base_port=args.base_port)


def _sdl(args: argparse.Namespace) -> int:
    drifted = []
    for name in SUBGRAPH_NAMES:
        path = SCHEMA_DIR / f"{name}.graphql"
        sdl = load_spec(name).sdl()
        if args.check:
            if not path.exists() or path.read_text() != sdl:
                drifted.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(sdl)
            print(f"wrote {path}")
    if drifted:
        print(
            f"schema files out of date: {', '.join(drifted)}; run `satu-anak sdl`", file=sys.stderr
        )
        return 1
    return 0


def compose_supergraph() -> tuple[str | None, list[str]]:
    """Our subgraphs' checked-in SDL composed, with the local ports as their URLs."""
    from composition import compose_files

    ports = subgraph_ports()
    result = compose_files(
        {name: SCHEMA_DIR / f"{name}.graphql" for name in SUBGRAPH_NAMES},
        {name: f"http://127.0.0.1:{ports[name]}/graphql" for name in SUBGRAPH_NAMES},
    )
    return result.supergraph_sdl, [f"{e.code}: {e.message}" for e in result.errors]


def _compose(args: argparse.Namespace) -> int:
    sdl, errors = compose_supergraph()
    if errors or sdl is None:
        for error in errors:
            print(error, file=sys.stderr)
        return 1
    path = SCHEMA_DIR / "supergraph.graphql"
    if args.check:
        if not path.exists() or path.read_text() != sdl:
            print(
                "schema/supergraph.graphql is out of date; run `satu-anak compose`", file=sys.stderr
            )
            return 1
        return 0
    path.write_text(sdl)
    print(f"wrote {path}")
    return 0


def _gateway_config(args: argparse.Namespace) -> GatewayConfig:
    """Defaults, then --config FILE, then SATU_ANAK_* variables, then command-line flags."""
    from dataclasses import replace

    from gateway.config import GatewayConfig

    config = GatewayConfig.load(getattr(args, "config", None))
    flags = {
        "supergraph": args.supergraph,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "development": True if getattr(args, "dev", False) else None,
        "grant_key": getattr(args, "grant_key", None),
    }
    config = replace(config, **{k: v for k, v in flags.items() if v is not None})
    if config.supergraph is None:
        config = replace(config, supergraph=str(SCHEMA_DIR / "supergraph.graphql"))
    return config


def _load_gateway(config: GatewayConfig) -> Gateway:
    from gateway.engine import Gateway
    from gateway.supergraph import parse_supergraph

    assert config.supergraph is not None
    return Gateway(parse_supergraph(Path(config.supergraph).read_text()), config)


def _gateway(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.http import create_gateway_app

    config = _gateway_config(args)
    if not _observe("gateway", args.log_level, config.metrics_port, config.metrics_host):
        return 2
    if config.grant_key and not config.auth_issuer:
        # Grants name the signed-in user: without authentication there is nobody to sign for.
        print("a grant key needs an access-token issuer (SATU_ANAK_AUTH_ISSUER)", file=sys.stderr)
        return 2
    from auth.grant import GrantKeyError
    from gateway.audit.config import AuditConfigError
    from gateway.audit.stage import AuditConfigMissing
    from gateway.supergraph import SupergraphError

    try:
        gateway = _load_gateway(config)
    except SupergraphError as error:  # one that does not parse, or that we cannot serve
        print(f"{config.supergraph}: {error}", file=sys.stderr)
        return 2
    except (GrantKeyError, AuditConfigError, AuditConfigMissing) as error:
        print(error, file=sys.stderr)
        return 2
    from gateway.config import ConfigError

    try:
        app = create_gateway_app(gateway, development=config.development)
    except ConfigError as error:  # e.g. a persisted operation manifest that cannot be read
        print(error, file=sys.stderr)
        return 2
    uvicorn.Server(gateway_server_config(app, config)).run()
    return 0


def gateway_server_config(app: Any, config: GatewayConfig) -> uvicorn.Config:
    """How the gateway is served. uvicorn's proxy headers are off: by default uvicorn believes
    X-Forwarded-For from 127.0.0.1, which would let any local process pick its rate-limit
    address; the gateway reads the header itself, from `[edge] trusted_proxies` only."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=False,
    )


def _plan(args: argparse.Namespace) -> int:
    from gateway.errors import RequestError
    from gateway.supergraph import SupergraphError

    query = Path(args.file).read_text() if args.file else args.query
    if not query:
        print("give a query, or --file", file=sys.stderr)
        return 2
    config = _gateway_config(args)
    try:
        gateway = _load_gateway(config)
    except SupergraphError as error:
        print(f"{config.supergraph}: {error}", file=sys.stderr)
        return 2
    try:
        print(gateway.plan_text(query, args.operation_name))
    except RequestError as error:
        for item in error.errors:
            print(item["message"], file=sys.stderr)
        return 1
    return 0


def _issuer(args: argparse.Namespace) -> int:
    import uvicorn

    from auth.dev_issuer import DevIssuer, create_issuer_app, dev_issuer_url
    from subgraphs.common.logs import configure_logging
    from subgraphs.common.settings import data_dir

    configure_logging("dev-issuer", args.log_level.upper())
    port = args.port or issuer_port()
    issuer = DevIssuer.from_data_dir(data_dir(), args.url or dev_issuer_url(args.host, port))
    uvicorn.run(
        create_issuer_app(issuer),
        host=args.host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def _token(args: argparse.Namespace) -> int:
    from auth.dev_issuer import DevIssuer, dev_issuer_url
    from auth.sample_users import SAMPLE_USERS, sample_user
    from subgraphs.common.settings import data_dir

    if args.role is None:
        for user in SAMPLE_USERS:
            print(f"{user.role.value:<26} {user.id:<25} {user.story}")
        return 0
    try:
        user = sample_user(args.role, args.user)
    except LookupError as error:
        print(error, file=sys.stderr)
        return 2
    url = (
        args.issuer
        or os.environ.get(DEV_ISSUER_URL_VARIABLE)
        or dev_issuer_url("127.0.0.1", issuer_port())
    )
    print(DevIssuer.from_data_dir(data_dir(), url).issue(user, lifetime=args.lifetime))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="satu-anak", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve one subgraph over HTTP")
    serve.add_argument("subgraph", choices=SUBGRAPH_NAMES)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring subgraph databases to the latest schema")
    migrate.add_argument(
        "subgraph", choices=(*SUBGRAPH_NAMES, "audit", "all"), nargs="?", default="all"
    )
    migrate.set_defaults(run=_migrate)

    seed = commands.add_parser("seed", help="load deterministic synthetic data into every subgraph")
    seed.add_argument("--children", type=int, default=2000)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--force", action="store_true", help="seed even when data exists")
    seed.set_defaults(run=_seed)

    up = commands.add_parser("up", help="migrate, seed when empty, and serve every subgraph")
    up.add_argument(
        "--children",
        type=int,
        help="children to seed when the databases are empty (default 2000; "
        "existing data is kept: `seed --force` replaces it)",
    )
    up.add_argument("--seed", type=int, help="the seed of that synthetic world (default 42)")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument(
        "--base-port", type=int, default=BASE_PORT, help="subgraphs listen on the next ports"
    )
    up.set_defaults(run=_up)

    compose = commands.add_parser(
        "compose", help="compose schema/<subgraph>.graphql into schema/supergraph.graphql"
    )
    compose.add_argument("--check", action="store_true", help="fail if the file is out of date")
    compose.set_defaults(run=_compose)

    gateway = commands.add_parser("gateway", help="serve the federation gateway over a supergraph")
    gateway.add_argument("--config", help="a TOML file (see gateway.example.toml)")
    gateway.add_argument("--supergraph", help="default: schema/supergraph.graphql")
    gateway.add_argument("--host", help="default: 127.0.0.1")
    gateway.add_argument("--port", type=int, help=f"default: {BASE_PORT}")
    gateway.add_argument("--dev", action="store_true", help="GraphiQL and the plan header")
    gateway.add_argument(
        "--grant-key",
        help="the Ed25519 private key (PEM or JWK file) that signs subgraph grants "
        "(default: $SATU_ANAK_GRANT_KEY; none: no grants)",
    )
    gateway.add_argument("--log-level", default="info")
    gateway.set_defaults(run=_gateway)

    plan = commands.add_parser("plan", help="print the query plan for an operation")
    plan.add_argument("query", nargs="?")
    plan.add_argument("--file", "-f")
    plan.add_argument("--operation-name")
    plan.add_argument("--config", help="a TOML file (see gateway.example.toml)")
    plan.add_argument("--supergraph", help="default: schema/supergraph.graphql")
    plan.set_defaults(run=_plan)

    issuer = commands.add_parser(
        "issuer", help="serve the development OIDC issuer (discovery and public keys)"
    )
    issuer.add_argument("--host", default="127.0.0.1")
    issuer.add_argument("--port", type=int, default=None, help=f"default: {issuer_port()}")
    issuer.add_argument("--url", help="the issuer URL in tokens (default: http://HOST:PORT)")
    issuer.add_argument("--log-level", default="info")
    issuer.set_defaults(run=_issuer)

    token = commands.add_parser(
        "token",
        help="print a signed access token of a sample user of the development issuer",
        description="Without ROLE, list the sample users. The signing key is the one in the data "
        "folder (SATU_ANAK_DATA_DIR), made there if missing.",
    )
    token.add_argument("role", nargs="?", help="e.g. pkh_facilitator; the role's first user")
    token.add_argument("--user", help="a sample user id of that role, e.g. pkh-fac-padang")
    token.add_argument(
        "--issuer",
        help=f"the issuer URL (default: ${DEV_ISSUER_URL_VARIABLE}, else "
        f"http://127.0.0.1:{issuer_port()})",
    )
    token.add_argument("--lifetime", type=int, default=8 * 3600, help="seconds (default: 8 h)")
    token.set_defaults(run=_token)

    audit = commands.add_parser("audit", help="the access log: verify the chain, checkpoint it")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_verify = audit_commands.add_parser(
        "verify",
        help="walk the chain and its signed checkpoints; exit 1 naming the first bad record",
    )
    audit_verify.add_argument(
        "--from", dest="start", type=int, default=1, help="the first record to check (default 1)"
    )
    audit_verify.add_argument(
        "--checkpoint", help="a signed checkpoint kept elsewhere (the chain must reach it)"
    )
    audit_verify.add_argument(
        "--key", help="the audit public key, PEM (default: audit-key.pub.pem in the data folder)"
    )
    audit_verify.add_argument(
        "--database", help="the access log's URL (default: $SATU_ANAK_AUDIT_DATABASE_URL)"
    )
    audit_verify.set_defaults(run=_audit_verify)
    audit_checkpoint = audit_commands.add_parser(
        "checkpoint", help="sign a checkpoint of the chain now and print it (or --out FILE)"
    )
    audit_checkpoint.add_argument("--out", help="write the signed checkpoint to this file")
    audit_checkpoint.add_argument(
        "--key", help="the audit signing key (default: $SATU_ANAK_AUDIT_KEY)"
    )
    audit_checkpoint.add_argument("--database", help="the access log's URL")
    audit_checkpoint.set_defaults(run=_audit_checkpoint)

    persisted = commands.add_parser(
        "persisted", help="persisted operations: build a safelist manifest from .graphql files"
    )
    persisted_commands = persisted.add_subparsers(dest="persisted_command", required=True)
    persisted_build = persisted_commands.add_parser(
        "build", help="write Apollo's persisted query manifest of the operations in FILES"
    )
    persisted_build.add_argument("files", nargs="+", help=".graphql files (named operations)")
    persisted_build.add_argument("--out", help="the manifest file (default: standard output)")
    persisted_build.set_defaults(run=_persisted_build)

    _add_identity(commands)

    sdl = commands.add_parser("sdl", help="write each subgraph's SDL to schema/ (or --check drift)")
    sdl.add_argument("--check", action="store_true")
    sdl.set_defaults(run=_sdl)
    return parser


def _disdukcapil_url(args: argparse.Namespace) -> str:
    from subgraphs.common.settings import SubgraphSettings, normalize_database_url

    if args.database_url:
        return normalize_database_url(args.database_url)
    return SubgraphSettings.from_env("disdukcapil").database_url


def _identity_import(args: argparse.Namespace) -> int:
    from resolution.bulk import run_import

    code, _report = run_import(
        Path(args.file),
        _disdukcapil_url(args),
        Path(args.rejects) if args.rejects else None,
        workers=args.workers,
    )
    return code


def _identity_match(args: argparse.Namespace) -> int:
    from resolution.batch import run_match

    return run_match(
        Path(args.input),
        Path(args.output),
        _disdukcapil_url(args),
        top=args.top,
        as_of=args.as_of,
        workers=args.workers,
    )


def _identity_train(args: argparse.Namespace) -> int:
    import importlib

    try:  # the matcher's module: re-learns resolution/weights.json
        train = importlib.import_module("resolution.train")
    except ModuleNotFoundError as error:
        print(f"identity train: resolution.train cannot be loaded: {error}", file=sys.stderr)
        return 2
    code: int = train.main(list(args.passed_on))
    return code


def _identity_calibrate(args: argparse.Namespace) -> int:
    from resolution import calibration

    code: int = calibration.main(list(args.passed_on))
    return code


def _identity_export_labels(args: argparse.Namespace) -> int:
    from resolution.labels import run_export

    try:
        url = _disdukcapil_url(args)
    except ValueError as error:  # e.g. an unreadable SATU_ANAK_DATA_DIR
        print(f"export-labels: --database-url: {error}", file=sys.stderr)
        return 2
    return run_export(Path(args.out), url, args.model_version, args.since)


def _add_identity(commands: Any) -> None:
    identity = commands.add_parser(
        "identity",
        help="identity resolution: import a registry, match records, retrain, export the officers' "
        "decisions as labels, calibrate",
    )
    sub = identity.add_subparsers(dest="identity_command", required=True)
    database = "Disdukcapil's database (default: $SATU_ANAK_DISDUKCAPIL_DATABASE_URL, else the "
    database += "SQLite file in the data folder)"

    load = sub.add_parser(
        "import-registry",
        help="load a registry (SIAK) extract CSV into Disdukcapil's person table, all or nothing",
        description="Columns: nik, full_name, sex (L/P), birth_date (YYYY-MM-DD), birth_place, "
        "region_code (PP.KK.CC.DDDD), kk_number, mother_name, father_name; optional "
        "relationship; others ignored. Invalid rows are reported by line and skipped.",
    )
    load.add_argument("file", help="the CSV file (UTF-8, a header row)")
    load.add_argument("--database-url", help=database)
    load.add_argument("--rejects", help="also write the skipped rows' lines and reasons here")
    load.add_argument("--workers", type=int, help="parsing processes (default: 2)")
    load.set_defaults(run=_identity_import)

    match = sub.add_parser(
        "match",
        help="registry candidates for each record of a CSV file",
        description="Input columns: record_id, name, nickname, sex (L/P or M/F), birth_date "
        "(YYYY-MM-DD or YYYY), age_estimate (years at --as-of), birth_place, region_code "
        "(PP.KK.CC.DDDD or PP.KK), mother_name, father_name; any may be blank. Output: "
        "record_id, rank, nik, score, band, one row per candidate.",
    )
    match.add_argument("--in", dest="input", required=True, help="RECORDS.csv")
    match.add_argument("--out", dest="output", required=True, help="CANDIDATES.csv")
    match.add_argument("--top", type=int, default=5, help="candidates per record (default 5)")
    match.add_argument("--as-of", help="the date ages are estimated at (default: today)")
    match.add_argument("--database-url", help=database)
    match.add_argument("--workers", type=int, help="matching processes (default: 2)")
    match.set_defaults(run=_identity_match)

    train = sub.add_parser(
        "train",
        help="re-learn the matcher's weights (resolution.train); arguments passed on",
        add_help=False,  # --help is the training's own
    )
    train.set_defaults(run=_identity_train, passes_arguments_on=True)

    calibrate = sub.add_parser(
        "calibrate",
        help="fit the score's calibration map on labelled pairs (resolution.calibration); "
        "arguments passed on",
        add_help=False,  # --help is the calibration's own
    )
    calibrate.set_defaults(run=_identity_calibrate, passes_arguments_on=True)

    labels = sub.add_parser(
        "export-labels",
        help="write the officers' decisions in force (LINK / NOT_THIS_PERSON) as the label file "
        "`identity calibrate --labels` reads",
        description="One label per child and registry person: the latest LINK or "
        "NOT_THIS_PERSON decision still in force (undone ones and new registrations are not "
        "labels), with the model's raw (uncalibrated) score recovered from the decision's "
        "explanation. Columns: model_version, raw_score, decision, decision_id, decided_at. "
        "Decisions whose raw score cannot be recovered are counted on stderr.",
    )
    labels.add_argument("--out", required=True, help="LABELS.csv (written whole or not at all)")
    labels.add_argument("--database-url", help=database)
    labels.add_argument(
        "--model-version",
        help="the raw model whose labels to write (default: the shipped weights' raw version; "
        "a calibrated version <raw>-cal-<digest> stands for its raw model)",
    )
    labels.add_argument(
        "--since", help="only decisions decided on or after this day (YYYY-MM-DD, UTC)"
    )
    labels.set_defaults(run=_identity_export_labels)


def _persisted_build(args: argparse.Namespace) -> int:
    import json

    from gateway.http.persisted import ManifestError, manifest_of_documents

    try:
        documents = [(name, Path(name).read_text()) for name in args.files]
        manifest = manifest_of_documents(documents)
    except (OSError, ManifestError) as failure:
        print(failure, file=sys.stderr)
        return 2
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text)
        print(f"{len(manifest)} operation(s) written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "passes_arguments_on", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.passed_on = rest
    if argv is None:  # run as a program: stop with the parent that passed a lifeline (`up`)
        from satu_anak.lifeline import watch_parent

        watch_parent()
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
