"""The gateway variants and how each is started: its command line, the source tree it must import
from (a git revision extracted as the baseline), and the check of its answer before it is loaded."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import workload
from paths import HERE, PEERS, RESULTS, ROOT, SUPERGRAPH, VENV
from processes import Proc, http, loaded_modules, pinned, port_in_use, wait_until
from subgraph_servers import reset_subgraphs, subgraph_stats

ALL_GATEWAYS = (
    "ours",
    "ours-nodedup",
    "ours-asyncio",
    "ours-uvloop",
    "ours-baseline",
    "ours-baseline-nodedup",
    "apollo",
    "hive",
    "hive-nodedup",
    "hive-dedup",
)
DEFAULT_GATEWAYS = "ours,ours-nodedup,apollo,hive,hive-nodedup"
NODE_ENV = {
    "NODE_ENV": "production",
    # Loopback only: Apollo Gateway otherwise reports usage telemetry to Apollo and its resource
    # detectors probe cloud metadata endpoints.
    "APOLLO_TELEMETRY_DISABLED": "true",
    "METADATA_SERVER_DETECTION": "none",
    "OTEL_SDK_DISABLED": "true",
}
BASELINE_GATEWAYS = ("ours-baseline", "ours-baseline-nodedup")


@dataclass
class Gateway:
    name: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    description: str = ""
    # For `satu-anak gateway` variants: the source tree its `gateway` package must come from.
    tree: Path | None = None


def gateway_specs(args: argparse.Namespace) -> dict[str, Gateway]:
    sg = str(SUPERGRAPH)
    ours = [
        str(VENV / "bin/satu-anak"),
        "gateway",
        "--supergraph",
        sg,
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--port",
    ]
    serve = [str(VENV / "bin/python"), str(HERE / "serve_ours.py"), "--supergraph", sg, "--port"]
    # `ours` and `ours-nodedup`: this checkout (the editable install), or --tree via PYTHONPATH.
    tree = args.tree or ROOT
    tree_env = {"PYTHONPATH": str(args.tree)} if args.tree else {}
    tree_text = f" [from {args.tree}]" if args.tree else ""
    baseline_env = {"PYTHONPATH": str(args.baseline_path)} if args.baseline_path else {}
    baseline_text = f"`satu-anak gateway` from the baseline tree ({args.baseline_label})"
    hive_bin = str(PEERS / "node_modules/@graphql-hive/gateway/dist/bin.js")
    hive = [args.node, hive_bin, "supergraph", sg, "--host", "127.0.0.1", "--fork", "1"]
    return {
        "ours": Gateway(
            "ours",
            [*ours, "4100"],
            4100,
            tree_env,
            "`satu-anak gateway` as shipped (uvicorn loop/http = auto: uvloop/httptools if the "
            "venv has them)" + tree_text,
            tree,
        ),
        "ours-nodedup": Gateway(
            "ours-nodedup",
            [*ours, "4107"],
            4107,
            {**tree_env, "SATU_ANAK_DEDUPLICATE": "0"},
            "`satu-anak gateway` with SATU_ANAK_DEDUPLICATE=0: no outbound in-flight dedup "
            "(like Apollo Gateway and hive-nodedup)" + tree_text,
            tree,
        ),
        "ours-asyncio": Gateway(
            "ours-asyncio",
            [*serve, "4106", "--loop", "asyncio", "--http", "h11"],
            4106,
            {},
            "our gateway on uvicorn --loop asyncio --http h11 (serve_ours.py)",
        ),
        "ours-uvloop": Gateway(
            "ours-uvloop",
            [*serve, "4103", "--loop", "uvloop", "--http", "httptools"],
            4103,
            {}
            if importable("uvloop") and importable("httptools")
            else {"PYTHONPATH": args.uvloop_path},
            "our gateway on uvicorn --loop uvloop --http httptools (serve_ours.py; from "
            + (
                "the venv"
                if importable("uvloop") and importable("httptools")
                else f"PYTHONPATH={args.uvloop_path}"
            )
            + ")",
        ),
        "ours-baseline": Gateway(
            "ours-baseline",
            [*ours, "4108"],
            4108,
            baseline_env,
            baseline_text + ", otherwise as `ours`",
            args.baseline_path,
        ),
        "ours-baseline-nodedup": Gateway(
            "ours-baseline-nodedup",
            [*ours, "4109"],
            4109,
            {**baseline_env, "SATU_ANAK_DEDUPLICATE": "0"},
            baseline_text + " with SATU_ANAK_DEDUPLICATE=0, otherwise as `ours-nodedup`",
            args.baseline_path,
        ),
        "apollo": Gateway(
            "apollo",
            [args.node, str(PEERS / "apollo.mjs"), sg, "4101", "127.0.0.1"],
            4101,
            NODE_ENV,
            "@apollo/gateway + @apollo/server standalone, 1 process",
        ),
        "hive": Gateway(
            "hive",
            [*hive, "--port", "4102"],
            4102,
            NODE_ENV,
            "hive-gateway supergraph --fork 1, defaults (no JIT, no inbound dedup; outbound "
            "dedup of identical in-flight subgraph requests is on by default)",
        ),
        "hive-nodedup": Gateway(
            "hive-nodedup",
            [*hive, "--port", "4105", "-c", str(PEERS / "hive-nodedup.config.mjs")],
            4105,
            NODE_ENV,
            "hive-gateway --fork 1 with outbound in-flight dedup turned off "
            "(like Apollo Gateway and ours-nodedup: every planned fetch is sent)",
        ),
        "hive-dedup": Gateway(
            "hive-dedup",
            [*hive, "--port", "4104", "--jit", "-c", str(PEERS / "hive-dedup.config.mjs")],
            4104,
            NODE_ENV,
            "hive-gateway --fork 1 --jit + inbound in-flight request dedup (+ default outbound "
            "dedup): The Guild's benchmark settings",
        ),
    }


def importable(module: str) -> bool:
    """Whether the project's venv can import `module` (run.py itself runs in that venv)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def code_origin(env: dict[str, str]) -> Path | None:
    """The source tree a `satu-anak gateway` started with `env` imports `gateway` and `satu_anak`
    from (None when they come from different trees or do not import)."""
    out = subprocess.run(
        [
            str(VENV / "bin/python"),
            "-c",
            "import gateway, satu_anak; print(gateway.__file__); print(satu_anak.__file__)",
        ],
        env={**os.environ, **env},
        cwd="/",  # `python -c` puts the working directory first on sys.path; the script does not
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    trees = {Path(line).resolve().parent.parent for line in out.stdout.split()}
    return trees.pop() if out.returncode == 0 and len(trees) == 1 else None


def diff_paths(a: Any, b: Any, path: str = "$") -> list[str]:
    if type(a) is not type(b):
        return [f"{path}: {a!r:.80} != {b!r:.80}"]
    if isinstance(a, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: missing on one side")
            else:
                out += diff_paths(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in diff_paths(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r:.80} != {b!r:.80}"]


def start_checked(
    gw: Gateway, args: argparse.Namespace, urls: dict[str, str], expected: dict[str, Any]
) -> tuple[Proc | None, dict[str, Any]]:
    """Starts `gw` on the gateway core, waits until it answers and checks its answer to the
    query (and counts the subgraph fetches it makes). Returns (the process, or None when it
    failed or must not be loaded; the result so far, with "failure" set when it failed)."""
    result: dict[str, Any] = {"name": gw.name, "description": gw.description, "port": gw.port}
    if port_in_use(gw.port):
        result["failure"] = f"port {gw.port} is already in use"
        return None, result
    if gw.tree is not None:
        origin = code_origin(gw.env)
        result["code"] = str(origin)
        if origin != gw.tree.resolve():
            result["failure"] = f"imports gateway/satu_anak from {origin}, not from {gw.tree}"
            return None, result
    proc = Proc(f"gateway-{gw.name}", pinned(args.gateway_core, gw.argv), gw.env)
    url = f"http://127.0.0.1:{gw.port}/graphql"
    ready = wait_until(
        lambda: http("POST", url, b'{"query":"{ __typename }"}', timeout=5)[0] == 200, 90, proc
    )
    if not ready:
        result["failure"] = f"did not become ready:\n{proc.tail()}"
        proc.stop()
        return None, result
    if gw.name.startswith("ours"):
        result["runtime"] = loaded_modules(proc.pid)
    # Correctness, once, and how many subgraph fetches one request makes.
    reset_subgraphs(urls)
    status, body = http("POST", url, workload.BODY)
    fetches = {n: s["requests"] for n, s in subgraph_stats(urls).items()}
    result["fetches"] = fetches
    answer = (
        json.loads(body)
        if body[:1] == b"{"
        else {"unparsable": body[:200].decode(errors="replace")}
    )
    diffs = diff_paths(answer, expected)
    result["correct"] = status == 200 and not diffs
    if not result["correct"]:
        (RESULTS / f"answer-{gw.name}.json").write_text(json.dumps(answer, indent=1))
        result["failure"] = f"wrong answer (HTTP {status}): " + "; ".join(diffs[:5])
        if not args.force:
            proc.stop()
            return None, result
    return proc, result


def code_state(root: Path = ROOT) -> str:
    """The code under test: HEAD, and a digest of gateway/ when the work tree differs from it."""
    import hashlib

    def git(*argv: str) -> str:
        out = subprocess.run(["git", *argv], cwd=root, capture_output=True, text=True, check=False)
        return out.stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "?"
    # --no-optional-locks: a read-only look that never takes the index lock.
    status = git("--no-optional-locks", "status", "--porcelain", "--", "gateway", "satu_anak")
    dirty = [line[3:] for line in status.splitlines() if len(line) > 3]
    if not dirty:
        return f"git {head} (gateway/ and satu_anak/ clean)"
    digest = hashlib.sha256()
    for path in sorted((root / "gateway").rglob("*.py")):
        digest.update(path.read_bytes())
    return (
        f"git {head} + uncommitted changes in {len(dirty)} paths "
        f"({', '.join(sorted(dirty)[:6])}{', ...' if len(dirty) > 6 else ''}) "
        f"(sha256 of gateway/**/*.py: {digest.hexdigest()[:12]})"
    )


def prepare_baseline(args: argparse.Namespace, names: list[str]) -> Path | None:
    """Sets args.baseline_path / args.baseline_label for the ours-baseline* gateways; returns a
    temp dir to remove at the end (--baseline-rev) or None."""
    args.baseline_path, args.baseline_label = None, ""
    if not any(n in BASELINE_GATEWAYS for n in names):
        if args.baseline_tree or args.baseline_rev:
            raise SystemExit("--baseline-tree/--baseline-rev need ours-baseline in --gateways")
        return None
    if bool(args.baseline_tree) == bool(args.baseline_rev):
        raise SystemExit(
            "ours-baseline needs exactly one of --baseline-tree DIR, --baseline-rev REV"
        )
    if args.baseline_tree:
        tree = Path(args.baseline_tree).resolve()
        if not (tree / "gateway" / "__init__.py").exists() or not (tree / "satu_anak").is_dir():
            raise SystemExit(f"--baseline-tree {tree} has no gateway/ and satu_anak/ packages")
        args.baseline_path, args.baseline_label = tree, f"{tree}: {code_state(tree)}"
        return None

    def git(*argv: str) -> str:
        return subprocess.run(
            ["git", *argv], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        sha = git("rev-parse", "--verify", "--end-of-options", f"{args.baseline_rev}^{{commit}}")
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"--baseline-rev {args.baseline_rev}: {error.stderr.strip()}") from None
    subject = git("log", "-1", "--format=%s", sha)
    tmp = Path(tempfile.mkdtemp(prefix=f"satu-bench-{sha[:9]}-"))
    # `git archive` reads the object database only: the work tree, index and refs stay as they are.
    archive = subprocess.Popen(
        ["git", "archive", "--format=tar", sha], cwd=ROOT, stdout=subprocess.PIPE
    )
    untar = subprocess.run(["tar", "-x", "-C", str(tmp)], stdin=archive.stdout, check=False)
    assert archive.stdout is not None
    archive.stdout.close()
    if archive.wait() != 0 or untar.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SystemExit(f"could not extract {sha} with git archive")
    args.baseline_path = tmp
    args.baseline_label = f"git {sha[:9]} «{subject}», extracted to {tmp}"
    return tmp
