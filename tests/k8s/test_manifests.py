"""The Kubernetes manifests under k8s/: they parse, reference what exists, and keep their promises.

Every property is checked on the base as written and, when `kubectl` or `kustomize` is on the
PATH, again on each rendered overlay (an overlay's patch must not undo a probe or a limit).
Network policies are evaluated, not just looked at: a small model of NetworkPolicy semantics
answers "may pod A reach pod B on port P?".
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.config import GatewayConfig
from subgraphs import SUBGRAPH_NAMES
from subgraphs.consent.audit.service import APPEND_PATH, READY_PATH

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
BASE = K8S / "base"
OVERLAYS = {"dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}
NAMESPACE = "satu-anak"
SUBGRAPH_PORT = 8000
GATEWAY_PORT = 4000
CNPG_API = "postgresql.cnpg.io/v1"
# The access log: the consent service's second database, which only it (and the audit Jobs) reach.
AUDIT_CLUSTER = "audit-db"
AUDIT_DATABASE = "audit"
AUDIT_OWNER = "consent"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

Doc = dict[str, Any]


# ---- loading -----------------------------------------------------------------------------------


def load_documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def is_remote(reference: str) -> bool:
    return "://" in reference or reference.startswith(("github.com/", "git@"))


def referenced_paths(kustomization: Path) -> list[tuple[str, Path]]:
    """(field, path) for every local file or folder a kustomization refers to."""
    (spec,) = load_documents(kustomization)
    here = kustomization.parent
    found: list[tuple[str, str]] = []
    for key in ("resources", "components", "crds", "patchesStrategicMerge"):
        found += [(key, ref) for ref in spec.get(key) or [] if isinstance(ref, str)]
    for key in ("patches", "patchesJson6902"):
        found += [(key, item["path"]) for item in spec.get(key) or [] if "path" in item]
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in spec.get(key) or []:
            for source in (generator.get("files") or []) + (generator.get("envs") or []):
                found.append((key, source.split("=", 1)[-1]))
    return [(key, (here / ref).resolve()) for key, ref in found if not is_remote(ref)]


def base_resources(directory: Path) -> list[Doc]:
    """The resources a kustomization lists, recursively, as written (no patches applied)."""
    kustomization = kustomization_file(directory)
    assert kustomization is not None, f"{directory} has no kustomization"
    docs: list[Doc] = []
    for key, path in referenced_paths(kustomization):
        if key != "resources":
            continue
        docs += base_resources(path) if path.is_dir() else load_documents(path)
    return docs


def kustomize_command() -> list[str] | None:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def render(directory: Path) -> list[Doc]:
    command = kustomize_command()
    if command is None:
        pytest.skip("neither kubectl nor kustomize on PATH: overlays not rendered")
    result = subprocess.run(
        [*command, str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"kustomize failed for {directory}:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


@dataclass
class Manifests:
    name: str
    docs: list[Doc]

    def of_kind(self, kind: str) -> list[Doc]:
        return [doc for doc in self.docs if doc.get("kind") == kind]

    def named(self, kind: str, name: str) -> Doc:
        matches = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.name}: expected one {kind} {name!r}, found {len(matches)}"
        return matches[0]

    def deployments(self) -> list[Doc]:
        return self.of_kind("Deployment")

    def workloads(self) -> list[Doc]:
        """Everything that runs pods from a template: Deployments, Jobs and CronJobs."""
        return self.of_kind("Deployment") + self.of_kind("Job") + self.of_kind("CronJob")


_rendered: dict[str, Manifests] = {}


def manifests_for(variant: str) -> Manifests:
    if variant not in _rendered:
        docs = base_resources(BASE) if variant == "base" else render(OVERLAYS[variant])
        _rendered[variant] = Manifests(variant, docs)
    return _rendered[variant]


@pytest.fixture(params=["base", "dev", "prod"])
def manifests(request: pytest.FixtureRequest) -> Manifests:
    return manifests_for(request.param)


# ---- pod helpers -------------------------------------------------------------------------------


def pod_template(workload: Doc) -> Doc:
    """The pod template of a Deployment or Job, or of the Jobs a CronJob makes."""
    spec = workload["spec"]
    template: Doc = (
        spec["jobTemplate"]["spec"]["template"]
        if workload["kind"] == "CronJob"
        else spec["template"]
    )
    return template


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = pod_template(workload)["spec"]
    return spec


def pod_labels(workload: Doc) -> dict[str, str]:
    labels: dict[str, str] = pod_template(workload)["metadata"]["labels"]
    return labels


def containers(workload: Doc) -> list[Doc]:
    spec = pod_spec(workload)
    return list(spec.get("initContainers") or []) + list(spec["containers"])


def main_container(workload: Doc) -> Doc:
    (container,) = pod_spec(workload)["containers"]
    return container


def container_ports(container: Doc) -> dict[str, int]:
    return {
        port.get("name", str(port["containerPort"])): port["containerPort"]
        for port in container.get("ports") or []
    }


def resolve_port(container: Doc, port: int | str) -> int | None:
    ports = container_ports(container)
    if isinstance(port, int):
        return port if port in ports.values() else None
    return ports.get(port)


def option(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None


def selector_matches(selector: Doc | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics; an empty selector matches everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


# ---- a model of NetworkPolicy ingress ------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a connection comes from: a pod (labels, namespace labels) or an outside address."""

    pod: dict[str, str] = field(default_factory=dict)
    namespace: dict[str, str] = field(
        default_factory=lambda: {"kubernetes.io/metadata.name": NAMESPACE}
    )
    external: bool = False


def peer_matches(peer: Doc, source: Source) -> bool:
    if "ipBlock" in peer:
        return source.external  # an ipBlock stands for addresses outside the cluster's pods
    if source.external:
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], source.namespace):
            return False
    elif source.namespace.get("kubernetes.io/metadata.name") != NAMESPACE:
        return False  # a bare podSelector means pods of the policy's own namespace
    return "podSelector" not in peer or selector_matches(peer["podSelector"], source.pod)


def rule_allows_port(rule: Doc, port: int) -> bool:
    """An absent port list admits every port; a port range is `port` to `endPort`."""
    ports = rule.get("ports") or []
    return not ports or any(
        entry.get("port") is None
        or entry["port"] == port
        or entry["port"] <= port <= entry.get("endPort", -1)
        for entry in ports
    )


def ingress_policies_for(manifests: Manifests, labels: dict[str, str]) -> list[Doc]:
    return [
        policy
        for policy in manifests.of_kind("NetworkPolicy")
        if "Ingress" in (policy["spec"].get("policyTypes") or ["Ingress"])
        and selector_matches(policy["spec"].get("podSelector"), labels)
    ]


METRICS_PORT = 9464


def may_reach(manifests: Manifests, target: dict[str, str], source: Source, port: int) -> bool:
    """Would `source` be let in to a pod labelled `target` on `port`?"""
    policies = ingress_policies_for(manifests, target)
    if not policies:
        return True  # a pod no policy selects is open: exactly what default deny must prevent
    return any(
        rule_allows_port(rule, port)
        and (not rule.get("from") or any(peer_matches(peer, source) for peer in rule["from"]))
        for policy in policies
        for rule in policy["spec"].get("ingress") or []
    )


def gateway(manifests: Manifests) -> Doc:
    return manifests.named("Deployment", "gateway")


def subgraph(manifests: Manifests, name: str) -> Doc:
    return manifests.named("Deployment", name)


def cnpg_pod(cluster: str) -> dict[str, str]:
    """Labels CloudNativePG puts on every instance pod of a cluster."""
    return {"cnpg.io/cluster": cluster, "cnpg.io/podRole": "instance"}


CNPG_OPERATOR = Source(
    pod={"app.kubernetes.io/name": "cloudnative-pg"},
    namespace={"kubernetes.io/metadata.name": "cnpg-system"},
)


def outsiders(manifests: Manifests) -> Iterator[tuple[str, Source]]:
    """Sources that must never reach a subgraph or a database they do not own."""
    yield "unlabelled pod in the namespace", Source(pod={})
    yield (
        "pod in another namespace",
        Source(
            pod=pod_labels(gateway(manifests)), namespace={"kubernetes.io/metadata.name": "default"}
        ),
    )
    yield (
        "ingress controller",
        Source(
            pod={"app.kubernetes.io/name": "ingress-nginx"},
            namespace={"kubernetes.io/metadata.name": "ingress-nginx"},
        ),
    )
    yield "outside address", Source(external=True)


# ---- files and kustomizations ------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def kustomizations() -> list[Path]:
    return sorted(p for p in K8S.rglob("*") if p.name in KUSTOMIZATION_NAMES)


def test_there_is_a_base_and_both_overlays() -> None:
    assert kustomization_file(BASE) is not None
    for overlay in OVERLAYS.values():
        assert kustomization_file(overlay) is not None, overlay


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_yaml_file_parses_into_kubernetes_objects(path: Path) -> None:
    docs = load_documents(path)
    assert docs, f"{path} is empty"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: a document is not a mapping"
        assert doc.get("apiVersion") and doc.get("kind"), (
            f"{path}: document without apiVersion/kind"
        )
        if doc["kind"] != "Kustomization":
            assert doc.get("metadata", {}).get("name"), f"{path}: {doc['kind']} without a name"


@pytest.mark.parametrize("kustomization", kustomizations(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_kustomization_references_files_that_exist(kustomization: Path) -> None:
    references = referenced_paths(kustomization)
    assert references, f"{kustomization} references nothing"
    for key, path in references:
        assert path.exists(), f"{kustomization}: {key} entry {path} does not exist"
        if path.is_dir():
            assert kustomization_file(path), f"{kustomization}: {path} is not a kustomization"


def test_every_manifest_file_is_used_by_a_kustomization() -> None:
    used = {path for k in kustomizations() for _, path in referenced_paths(k)}
    unused = [p for p in yaml_files() if p.name not in KUSTOMIZATION_NAMES and p not in used]
    assert not unused, f"files no kustomization includes: {unused}"


# ---- workloads -----------------------------------------------------------------------------------


def test_one_deployment_per_service(manifests: Manifests) -> None:
    names = sorted(
        d["metadata"]["name"]
        for d in manifests.deployments()
        if pod_labels(d).get("app.kubernetes.io/component") != "telemetry"
    )
    assert names == sorted(["gateway", *SUBGRAPH_NAMES])


def test_every_service_exports_traces_to_the_collector_and_serves_metrics_apart(
    manifests: Manifests,
) -> None:
    if manifests.name == "base":
        # The base's kustomization patches the services' Deployments: read it rendered.
        manifests = Manifests("base (rendered)", render(BASE))
    collector = manifests.named("Deployment", "otel-collector")
    assert manifests.named("Service", "otel-collector")
    source = Source(pod=pod_labels(gateway(manifests)))
    assert may_reach(manifests, pod_labels(collector), source, 4318)
    assert not may_reach(manifests, pod_labels(collector), Source(external=True), 4318)
    for name in ["gateway", *SUBGRAPH_NAMES]:
        deployment = manifests.named("Deployment", name)
        container = main_container(deployment)
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318", name
        assert env["OTEL_SERVICE_NAME"] == "satu-anak-$(SATU_ANAK_SERVICE)", name
        assert env["SATU_ANAK_METRICS_PORT"] == "9464", name
        assert resolve_port(container, "metrics") == 9464, name
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == "9464", name
        # Metrics only from the monitoring namespace, only on the metrics port.
        monitoring = Source(
            pod={"app.kubernetes.io/name": "prometheus"},
            namespace={"kubernetes.io/metadata.name": "monitoring"},
        )
        assert may_reach(manifests, pod_labels(deployment), monitoring, 9464), name
        assert not may_reach(manifests, pod_labels(deployment), monitoring, 8000), name
        assert not may_reach(manifests, pod_labels(deployment), monitoring, 4000), name
        assert not may_reach(manifests, pod_labels(deployment), Source(external=True), 9464)


def test_deployments_have_readiness_on_ready_and_liveness_on_live(manifests: Manifests) -> None:
    # Liveness asks the process alone (an agency or database down never restarts a pod);
    # readiness says what the pod can serve. (The OpenTelemetry collector has its own.)
    for deployment in manifests.deployments():
        if pod_labels(deployment).get("app.kubernetes.io/component") == "telemetry":
            continue
        container = main_container(deployment)
        # The consent pod also serves the access log every gateway needs: its readiness is the
        # access log's alone (the consent agency's data down must not empty its Service).
        ready = READY_PATH if deployment["metadata"]["name"] == AUDIT_OWNER else "/ready"
        for probe, path in (
            ("readinessProbe", ready),
            ("livenessProbe", "/live"),
            ("startupProbe", "/live"),
        ):
            check = container.get(probe, {}).get("httpGet")
            where = f"{manifests.name}: {deployment['metadata']['name']} {probe}"
            assert check is not None, f"{where} is not an HTTP probe"
            assert check["path"] == path, where
            assert resolve_port(container, check["port"]) is not None, f"{where}: unknown port"


def test_containers_have_cpu_and_memory_requests_and_limits(manifests: Manifests) -> None:
    for workload in manifests.workloads():
        for container in containers(workload):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind) or {}), (
                    f"{manifests.name}: {workload['metadata']['name']}/{container['name']} {kind}"
                )


def test_pods_run_as_non_root_read_only_without_capabilities(manifests: Manifests) -> None:
    for workload in manifests.workloads():
        pod = pod_spec(workload).get("securityContext") or {}
        for container in containers(workload):
            where = f"{manifests.name}: {workload['metadata']['name']}/{container['name']}"
            security = container.get("securityContext") or {}
            assert security.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
            assert security.get("runAsUser", pod.get("runAsUser", 1)) != 0, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert "ALL" in (security.get("capabilities") or {}).get("drop", []), where
            assert not (security.get("capabilities") or {}).get("add"), where
        assert pod_spec(workload).get("automountServiceAccountToken") is False, workload["metadata"]


def test_subgraphs_serve_their_own_subgraph_on_all_interfaces(manifests: Manifests) -> None:
    for name in SUBGRAPH_NAMES:
        container = main_container(subgraph(manifests, name))
        args = container["args"]
        assert args[:2] == ["serve", name], args
        assert option(args, "--host") == "0.0.0.0", f"{name} must not listen on loopback only"
        assert option(args, "--port") == str(SUBGRAPH_PORT)
        assert resolve_port(container, SUBGRAPH_PORT) is not None


def test_gateway_serves_the_supergraph(manifests: Manifests) -> None:
    container = main_container(gateway(manifests))
    args = container["args"]
    assert args[0] == "gateway"
    assert option(args, "--supergraph")
    assert option(args, "--port") == str(GATEWAY_PORT)
    assert resolve_port(container, GATEWAY_PORT) is not None


def test_one_migration_job_per_subgraph_and_one_for_the_access_log(manifests: Manifests) -> None:
    migrations = {
        tuple(main_container(job)["args"]): job
        for job in manifests.of_kind("Job")
        if main_container(job)["args"][0] == "migrate"
    }
    assert set(migrations) == {("migrate", name) for name in (*SUBGRAPH_NAMES, AUDIT_DATABASE)}
    for job in migrations.values():
        assert pod_spec(job)["restartPolicy"] in ("Never", "OnFailure")
        assert job["spec"].get("backoffLimit", 6) > 0, "must retry while PostgreSQL starts"


# ---- databases -----------------------------------------------------------------------------------


def database_secret(workload: Doc, name: str) -> Doc:
    variable = f"SATU_ANAK_{name.upper()}_DATABASE_URL"
    env = {entry["name"]: entry for entry in main_container(workload).get("env") or []}
    assert variable in env, f"{workload['metadata']['name']} lacks {variable}"
    assert "value" not in env[variable], f"{variable} must not be written into the manifest"
    reference: Doc = env[variable]["valueFrom"]["secretKeyRef"]
    return reference


def test_one_cloudnativepg_cluster_per_subgraph_and_one_for_the_access_log(
    manifests: Manifests,
) -> None:
    clusters = manifests.of_kind("Cluster")
    assert all(c["apiVersion"] == CNPG_API for c in clusters)
    databases = {c["spec"]["bootstrap"]["initdb"]["database"] for c in clusters}
    assert len(clusters) == len(SUBGRAPH_NAMES) + 1
    assert databases == {*SUBGRAPH_NAMES, AUDIT_DATABASE}


def test_subgraphs_and_migrations_read_database_url_from_their_cnpg_app_secret(
    manifests: Manifests,
) -> None:
    clusters = {c["metadata"]["name"]: c for c in manifests.of_kind("Cluster")}
    jobs = {main_container(job)["args"][1]: job for job in manifests.of_kind("Job")}
    owners: dict[str, str] = {}
    for name in SUBGRAPH_NAMES:
        for workload in (subgraph(manifests, name), jobs[name]):
            secret = database_secret(workload, name)
            # CloudNativePG names the application secret <cluster>-app; key `uri` holds the URL.
            assert secret["name"].endswith("-app"), secret
            assert secret["key"] == "uri", secret
            cluster = secret["name"].removesuffix("-app")
            assert cluster in clusters, f"{name}: no CloudNativePG Cluster {cluster!r}"
            assert clusters[cluster]["spec"]["bootstrap"]["initdb"]["database"] == name
            assert owners.setdefault(cluster, name) == name, f"{cluster} shared by two subgraphs"


def test_only_its_own_subgraph_and_the_operator_reach_a_database(manifests: Manifests) -> None:
    jobs = {main_container(job)["args"][1]: job for job in manifests.of_kind("Job")}
    for name in SUBGRAPH_NAMES:
        cluster = database_secret(subgraph(manifests, name), name)["name"].removesuffix("-app")
        target = cnpg_pod(cluster)
        own = [
            Source(pod=pod_labels(subgraph(manifests, name))),
            Source(pod=pod_labels(jobs[name])),
        ]
        for source in own:
            assert may_reach(manifests, target, source, 5432), f"{name} cannot reach {cluster}"
        assert may_reach(manifests, target, Source(pod=cnpg_pod(cluster)), 5432), "replication"
        for port in (5432, 8000):
            assert may_reach(manifests, target, CNPG_OPERATOR, port), f"operator → {cluster}:{port}"
        others = [
            (f"{w['kind']} {w['metadata']['name']}", Source(pod=pod_labels(w)))
            for w in manifests.workloads()
            if w is not subgraph(manifests, name) and w is not jobs[name]
        ]
        for label, source in [*others, *outsiders(manifests)]:
            assert not may_reach(manifests, target, source, 5432), f"{label} reaches {cluster}"


# ---- network policies ----------------------------------------------------------------------------


def test_a_policy_denies_all_ingress_by_default(manifests: Manifests) -> None:
    deny = [
        policy
        for policy in manifests.of_kind("NetworkPolicy")
        if policy["spec"].get("podSelector") == {}
        and "Ingress" in (policy["spec"].get("policyTypes") or [])
        and not policy["spec"].get("ingress")
    ]
    assert deny, "no NetworkPolicy selects every pod and allows no ingress"
    # So every pod, including ones added later, is covered by at least that policy.
    assert ingress_policies_for(manifests, {"app.kubernetes.io/name": "anything-new"})


def test_the_gateway_may_reach_each_subgraph_on_8000(manifests: Manifests) -> None:
    source = Source(pod=pod_labels(gateway(manifests)))
    for name in SUBGRAPH_NAMES:
        target = pod_labels(subgraph(manifests, name))
        assert may_reach(manifests, target, source, SUBGRAPH_PORT), f"gateway cannot reach {name}"


def test_only_the_gateway_may_reach_a_subgraph(manifests: Manifests) -> None:
    for name in SUBGRAPH_NAMES:
        target = pod_labels(subgraph(manifests, name))
        workloads = [
            (w["metadata"]["name"], Source(pod=pod_labels(w)))
            for w in manifests.workloads()
            if w["metadata"]["name"] != "gateway"
        ]
        for label, source in [*workloads, *outsiders(manifests)]:
            for port in (SUBGRAPH_PORT, 5432, 80):
                assert not may_reach(manifests, target, source, port), f"{label} → {name}:{port}"
        # Structurally too: every rule that lets anything into a subgraph names only the gateway
        # (but the metrics port's, which admits the monitoring namespace there alone).
        for policy in ingress_policies_for(manifests, target):
            for rule in policy["spec"].get("ingress") or []:
                peers = rule.get("from") or []
                if [p.get("port") for p in rule.get("ports") or []] == [METRICS_PORT]:
                    assert peers and all(set(p) == {"namespaceSelector"} for p in peers)
                    continue
                assert peers, f"{policy['metadata']['name']}: a rule open to every source"
                for peer in peers:
                    assert set(peer) == {"podSelector"}, policy["metadata"]["name"]
                    assert selector_matches(peer["podSelector"], pod_labels(gateway(manifests)))


def test_the_gateway_admits_only_the_ingress_controller(manifests: Manifests) -> None:
    target = pod_labels(gateway(manifests))
    rules = [
        rule
        for policy in ingress_policies_for(manifests, target)
        for rule in policy["spec"].get("ingress") or []
    ]
    controller_peers = [
        peer for rule in rules for peer in rule.get("from") or [] if "namespaceSelector" in peer
    ]
    assert controller_peers, "no rule admits an ingress controller namespace"
    for peer in controller_peers:
        assert peer["namespaceSelector"].get("matchLabels"), (
            "select the controller namespace by label"
        )
    controller_ns = controller_peers[0]["namespaceSelector"]["matchLabels"]
    controller = Source(pod={"app.kubernetes.io/name": "ingress-nginx"}, namespace=controller_ns)
    assert may_reach(manifests, target, controller, GATEWAY_PORT)
    assert not may_reach(manifests, target, Source(pod={}), GATEWAY_PORT), "namespace pods"
    assert not may_reach(manifests, target, Source(external=True), GATEWAY_PORT), "outside"


# ---- the access log --------------------------------------------------------------------------------


def env_of(workload: Doc) -> dict[str, Doc]:
    return {entry["name"]: entry for entry in main_container(workload).get("env") or []}


def env_value(workload: Doc, variable: str) -> str:
    env = env_of(workload)
    assert variable in env, f"{workload['metadata']['name']} lacks {variable}"
    value = env[variable].get("value")
    assert isinstance(value, str), f"{workload['metadata']['name']}: {variable} is not a value"
    return value


def env_secret(workload: Doc, variable: str) -> Doc:
    """The secretKeyRef a variable is read from; fails when it is written into the manifest."""
    env = env_of(workload)
    assert variable in env, f"{workload['metadata']['name']} lacks {variable}"
    assert "value" not in env[variable], f"{variable} must not be written into the manifest"
    reference: Doc = env[variable]["valueFrom"]["secretKeyRef"]
    return reference


def mounted(workload: Doc, path: str) -> tuple[Doc, Doc]:
    """The volume mount a file lies under (the deepest one), and its volume."""
    where = workload["metadata"]["name"]
    mounts = [
        mount
        for mount in main_container(workload).get("volumeMounts") or []
        if path.startswith(mount["mountPath"].rstrip("/") + "/")
    ]
    assert mounts, f"{where}: nothing is mounted where {path} is"
    mount = max(mounts, key=lambda m: len(m["mountPath"]))
    (volume,) = [v for v in pod_spec(workload).get("volumes") or [] if v["name"] == mount["name"]]
    return mount, volume


def secret_file(workload: Doc, path: str) -> str:
    """The Secret whose file `path` is, mounted read-only and readable by no one else."""
    where = f"{workload['metadata']['name']}: {path}"
    mount, volume = mounted(workload, path)
    assert mount.get("readOnly") is True, f"{where} is not mounted read-only"
    assert "secret" in volume, f"{where} is not from a Secret"
    assert volume["secret"].get("defaultMode", 0o644) & 0o007 == 0, f"{where} is world-readable"
    name: str = volume["secret"]["secretName"]
    return name


def volume_sources(workload: Doc) -> set[str]:
    """The Secrets and ConfigMaps a workload's pods mount."""
    found = set()
    for volume in pod_spec(workload).get("volumes") or []:
        if "secret" in volume:
            found.add(f"secret/{volume['secret']['secretName']}")
        if "configMap" in volume:
            found.add(f"configmap/{volume['configMap']['name']}")
    return found


def audit_migration(manifests: Manifests) -> Doc:
    (job,) = [
        job
        for job in manifests.of_kind("Job")
        if main_container(job)["args"] == ["migrate", AUDIT_DATABASE]
    ]
    return job


def audit_verification(manifests: Manifests) -> Doc:
    crons = [
        cron
        for cron in manifests.of_kind("CronJob")
        if main_container(cron)["args"][:2] == ["audit", "verify"]
    ]
    assert len(crons) == 1, f"{manifests.name}: {len(crons)} CronJobs run `audit verify`"
    return crons[0]


def cluster_service_host(host: str, service: str) -> bool:
    """Whether `host` names the Service `service` of our namespace, however spelled."""
    suffixes = ("", f".{NAMESPACE}", f".{NAMESPACE}.svc", f".{NAMESPACE}.svc.cluster.local")
    return any(host == service + suffix for suffix in suffixes)


def image_files() -> dict[str, Path]:
    """Where the final image's paths come from in the repository: the Dockerfile's COPY lines,
    followed through its stages (image path -> repository path)."""
    stages: list[dict[str, Path]] = []
    names: dict[str, int] = {}
    workdir = "/"
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or words[0] not in ("FROM", "WORKDIR", "COPY"):
            continue
        if words[0] == "FROM":
            stages.append({})
            workdir = "/"
            if len(words) >= 4 and words[2].upper() == "AS":
                names[words[3]] = len(stages) - 1
            continue
        if words[0] == "WORKDIR":
            workdir = posixpath.join(workdir, words[1])
            continue
        options = [w for w in words[1:] if w.startswith("--")]
        source, target = [w for w in words[1:] if not w.startswith("--")]
        if target.endswith("/"):
            target = posixpath.join(target, posixpath.basename(source))
        target = posixpath.normpath(posixpath.join(workdir, target))
        origin = next((o.split("=", 1)[1] for o in options if o.startswith("--from=")), None)
        found = ROOT / source if origin is None else in_stage(stages[names[origin]], source)
        if found is not None:
            stages[-1][target] = found
    return stages[-1]


def in_stage(files: dict[str, Path], path: str) -> Path | None:
    path = posixpath.normpath(path)
    for prefix in sorted(files, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return files[prefix] / posixpath.relpath(path, prefix)
    return None


def test_the_access_log_has_its_own_cloudnativepg_cluster(manifests: Manifests) -> None:
    cluster = manifests.named("Cluster", AUDIT_CLUSTER)
    spec = cluster["spec"]
    assert spec["bootstrap"]["initdb"]["database"] == AUDIT_DATABASE
    # Only the consent service and the audit Jobs hold the owner's credentials.
    consent = subgraph(manifests, AUDIT_OWNER)
    owners = [consent, audit_migration(manifests)]
    for workload in owners:
        secret = env_secret(workload, "SATU_ANAK_AUDIT_DATABASE_URL")
        assert secret == {"name": f"{AUDIT_CLUSTER}-app", "key": "uri"}, secret
    for workload in manifests.workloads():
        if any(workload is owner for owner in owners):
            continue
        references = {
            entry["valueFrom"]["secretKeyRef"]["name"]
            for entry in main_container(workload).get("env") or []
            if "secretKeyRef" in entry.get("valueFrom", {})
        }
        assert f"{AUDIT_CLUSTER}-app" not in references, workload["metadata"]["name"]
    # A record the gateway relied on must survive a failover: a commit waits for a standby,
    # where there is one (with none, a synchronous cluster would never commit).
    synchronous = (spec.get("postgresql") or {}).get("synchronous")
    if spec["instances"] > 1:
        assert synchronous, f"{manifests.name}: {AUDIT_CLUSTER} replicates asynchronously"
        assert synchronous["method"] in ("any", "first")
        assert 1 <= synchronous["number"] < spec["instances"]
        assert synchronous.get("dataDurability", "required") == "required"
    else:
        assert not synchronous, f"{manifests.name}: one instance cannot wait for a standby"


def test_consent_signs_checkpoints_with_a_key_only_it_mounts_read_only(
    manifests: Manifests,
) -> None:
    consent = subgraph(manifests, AUDIT_OWNER)
    key = secret_file(consent, env_value(consent, "SATU_ANAK_AUDIT_KEY"))
    for workload in manifests.workloads():
        if workload is not consent:
            assert f"secret/{key}" not in volume_sources(workload), workload["metadata"]["name"]
    if "SATU_ANAK_AUDIT_CHECKPOINT_SECONDS" in env_of(consent):
        assert float(env_value(consent, "SATU_ANAK_AUDIT_CHECKPOINT_SECONDS")) >= 1


def test_a_job_migrates_the_access_log(manifests: Manifests) -> None:
    job = audit_migration(manifests)
    assert pod_spec(job)["restartPolicy"] in ("Never", "OnFailure")
    assert job["spec"].get("backoffLimit", 6) > 0, "must retry while PostgreSQL starts"
    # The README's `kubectl wait` and `kubectl delete` select migrations by this label.
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
    assert pod_labels(job)["app.kubernetes.io/component"] == "migration"


def test_the_gateway_appends_to_the_consent_service(manifests: Manifests) -> None:
    gw = gateway(manifests)
    url = urlsplit(env_value(gw, "SATU_ANAK_AUDIT_URL"))
    assert url.scheme == "http" and url.path == APPEND_PATH, url
    # Reached as the gateway reaches the consent subgraph: same host and port.
    consent_url = urlsplit(env_value(gw, f"SATU_ANAK_{AUDIT_OWNER.upper()}_SUBGRAPH_URL"))
    assert (url.hostname, url.port) == (consent_url.hostname, consent_url.port)
    assert url.hostname and cluster_service_host(url.hostname, AUDIT_OWNER), url.hostname
    service = manifests.named("Service", AUDIT_OWNER)
    consent = subgraph(manifests, AUDIT_OWNER)
    assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(consent))
    (port,) = [p for p in service["spec"]["ports"] if p["port"] == (url.port or 80)]
    pod_port = resolve_port(main_container(consent), port.get("targetPort", port["port"]))
    assert pod_port is not None
    assert may_reach(manifests, pod_labels(consent), Source(pod=pod_labels(gw)), pod_port)
    # The append is signed with the gateway's grant key; NIKs are hashed with the lookup key.
    grant = secret_file(gw, env_value(gw, "SATU_ANAK_GRANT_KEY"))
    lookup = secret_file(gw, env_value(gw, "SATU_ANAK_AUDIT_LOOKUP_KEY"))
    assert grant != lookup


def test_the_gateway_starts_with_the_config_in_the_image(manifests: Manifests) -> None:
    gw = gateway(manifests)
    args = main_container(gw)["args"]
    files = image_files()
    for flag in ("--config", "--supergraph"):
        path = option(args, flag)
        assert path, f"the gateway runs without {flag}"
        source = in_stage(files, path)
        assert source is not None and source.is_file(), f"{flag} {path} is not in the image"
    source = in_stage(files, option(args, "--config") or "")
    assert source is not None
    environ = {name: entry["value"] for name, entry in env_of(gw).items() if "value" in entry}
    config = GatewayConfig.load(source, environ)
    assert config.consent is not None, "the gateway's config has no [consent]"
    assert config.audit is not None, "the gateway's config has no [audit]"
    assert config.audit.url == environ["SATU_ANAK_AUDIT_URL"]
    assert config.audit.identifying_arguments and config.audit.lookup_key
    assert config.grant_key == environ["SATU_ANAK_GRANT_KEY"]


def test_only_consent_reaches_the_access_log(manifests: Manifests) -> None:
    target = cnpg_pod(AUDIT_CLUSTER)
    own = [
        subgraph(manifests, AUDIT_OWNER),
        audit_migration(manifests),
        audit_verification(manifests),
    ]
    for workload in own:
        source = Source(pod=pod_labels(workload))
        assert may_reach(manifests, target, source, 5432), workload["metadata"]["name"]
    assert may_reach(manifests, target, Source(pod=cnpg_pod(AUDIT_CLUSTER)), 5432), "replication"
    for port in (5432, 8000):
        assert may_reach(manifests, target, CNPG_OPERATOR, port), f"operator → audit-db:{port}"
    # Not the gateway (it appends through the consent service), not another subgraph, not the
    # consent database's migration Job, not another cluster's instances.
    others = [
        (f"{w['kind']} {w['metadata']['name']}", Source(pod=pod_labels(w)))
        for w in manifests.workloads()
        if not any(w is mine for mine in own)
    ]
    others.append(("another cluster's instance", Source(pod=cnpg_pod(f"{AUDIT_OWNER}-db"))))
    assert any(label == "Deployment gateway" for label, _ in others)
    for label, source in [*others, *outsiders(manifests)]:
        assert not may_reach(manifests, target, source, 5432), f"{label} reaches {AUDIT_CLUSTER}"


def test_a_cronjob_verifies_the_chain_every_night_read_only(manifests: Manifests) -> None:
    cron = audit_verification(manifests)
    spec = cron["spec"]
    minute, hour, *days = spec["schedule"].split()
    assert minute.isdigit() and hour.isdigit() and days == ["*", "*", "*"], spec["schedule"]
    assert spec.get("concurrencyPolicy") == "Forbid"
    assert pod_spec(cron)["restartPolicy"] in ("Never", "OnFailure")
    # Signatures are checked with the public key, from a read-only mount.
    key = option(main_container(cron)["args"], "--key")
    assert key, "audit verify without --key checks no checkpoint"
    mount, volume = mounted(cron, key)
    assert mount.get("readOnly") is True and ("configMap" in volume or "secret" in volume)
    # Against the access log, as a role that may read it and write nothing.
    url = urlsplit(env_value(cron, "SATU_ANAK_AUDIT_DATABASE_URL"))
    assert url.hostname and any(
        cluster_service_host(url.hostname, f"{AUDIT_CLUSTER}-{kind}") for kind in ("rw", "ro", "r")
    ), url.hostname
    assert url.path == f"/{AUDIT_DATABASE}" and url.password is None, "credentials in the URL"
    user, password = env_secret(cron, "PGUSER"), env_secret(cron, "PGPASSWORD")
    assert user["name"] == password["name"] != f"{AUDIT_CLUSTER}-app", "the owner's credentials"
    roles = manifests.named("Cluster", AUDIT_CLUSTER)["spec"]["managed"]["roles"]
    (role,) = [r for r in roles if (r.get("passwordSecret") or {}).get("name") == user["name"]]
    assert role["login"] is True and role.get("ensure", "present") == "present"
    assert not role.get("superuser") and not role.get("createrole") and not role.get("bypassrls")
    assert set(role.get("inRoles") or []) == {"pg_read_all_data"}, role.get("inRoles")


# ---- services, autoscalers, disruption budgets ----------------------------------------------------


def test_each_deployment_has_a_service_of_the_same_name_selecting_only_its_pods(
    manifests: Manifests,
) -> None:
    services = {s["metadata"]["name"]: s for s in manifests.of_kind("Service")}
    for deployment in manifests.deployments():
        name = deployment["metadata"]["name"]
        labels = pod_labels(deployment)
        assert selector_matches(deployment["spec"]["selector"], labels), f"{name} selector"
        assert name in services, f"no Service named {name}"
        service = services[name]
        selector = {"matchLabels": service["spec"]["selector"]}
        assert service["spec"]["selector"], f"Service {name} selects nothing"
        assert selector_matches(selector, labels), f"Service {name} misses its pods"
        for other in manifests.workloads():
            if other is not deployment:
                assert not selector_matches(selector, pod_labels(other)), (
                    f"Service {name} also selects {other['kind']} {other['metadata']['name']}"
                )
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            assert resolve_port(main_container(deployment), target), f"{name}: port {target}"


def test_each_deployment_has_a_disruption_budget(manifests: Manifests) -> None:
    budgets = manifests.of_kind("PodDisruptionBudget")
    for deployment in manifests.deployments():
        mine = [
            b for b in budgets if selector_matches(b["spec"]["selector"], pod_labels(deployment))
        ]
        assert len(mine) == 1, f"{deployment['metadata']['name']}: {len(mine)} budgets"
        assert {"minAvailable", "maxUnavailable"} & set(mine[0]["spec"])


def test_each_deployment_has_a_cpu_autoscaler(manifests: Manifests) -> None:
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in manifests.of_kind("HorizontalPodAutoscaler")
    }
    if manifests.name == "dev":
        # The dev overlay runs one replica of each without autoscaling.
        assert autoscalers == {}
        return
    for deployment in manifests.deployments():
        name = deployment["metadata"]["name"]
        assert name in autoscalers, f"no HPA for {name}"
        spec = autoscalers[name]["spec"]
        assert spec["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"]
        assert any(
            m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in spec["metrics"]
        ), f"{name}: HPA not on CPU"


# ---- overlays ------------------------------------------------------------------------------------


def test_rendered_overlays_put_everything_in_the_namespace() -> None:
    for overlay in OVERLAYS:
        manifests = manifests_for(overlay)
        assert manifests.named("Namespace", NAMESPACE)
        for doc in manifests.docs:
            if doc["kind"] != "Namespace":
                assert doc["metadata"].get("namespace") == NAMESPACE, (overlay, doc["metadata"])


def test_dev_overlay_runs_one_of_everything() -> None:
    dev = manifests_for("dev")
    assert not dev.of_kind("HorizontalPodAutoscaler")
    for deployment in dev.deployments():
        assert deployment["spec"].get("replicas") == 1, deployment["metadata"]["name"]
    for cluster in dev.of_kind("Cluster"):
        assert cluster["spec"]["instances"] == 1, cluster["metadata"]["name"]
    image = main_container(dev.deployments()[0])["image"]
    assert image.startswith("satu-anak:"), image


def test_prod_overlay_is_highly_available() -> None:
    prod = manifests_for("prod")
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in prod.of_kind("HorizontalPodAutoscaler")
    }
    for deployment in prod.deployments():
        name = deployment["metadata"]["name"]
        assert autoscalers[name]["spec"]["minReplicas"] >= 3, name
        # A fixed replica count would fight the autoscaler on every apply.
        assert "replicas" not in deployment["spec"], name
        anti = pod_spec(deployment)["affinity"]["podAntiAffinity"]
        terms = [
            t["podAffinityTerm"]
            for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])
        ]
        terms += anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])
        assert any(
            t["topologyKey"] == "kubernetes.io/hostname"
            and selector_matches(t["labelSelector"], pod_labels(deployment))
            for t in terms
        ), f"{name}: replicas are not kept apart"
    for cluster in prod.of_kind("Cluster"):
        spec = cluster["spec"]
        assert spec["instances"] == 3, cluster["metadata"]["name"]
        assert spec["affinity"].get("enablePodAntiAffinity", True) is True
        assert spec["affinity"]["podAntiAffinityType"] == "required"
    image = main_container(prod.deployments()[0])["image"]
    assert re.fullmatch(r"(.+/)?satu-anak:[\w.-]+", image) and not image.endswith(":latest"), image


# ---- the image the manifests run ---------------------------------------------------------------------


def test_dockerfile_runs_satu_anak_as_the_uid_the_pods_expect() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(
        r"^FROM python:3\.11-slim|^ARG PYTHON_IMAGE=python:3\.11-slim", dockerfile, re.M
    )
    assert "--require-hashes requirements-runtime.lock" in dockerfile
    assert re.search(r'^ENTRYPOINT \["satu-anak"\]', dockerfile, re.M)
    users = re.findall(r"^USER (\d+)(?::\d+)?\s*$", dockerfile, re.M)
    assert users, "the final USER must be numeric, or runAsNonRoot cannot verify it"
    for workload in manifests_for("base").workloads():
        assert pod_spec(workload)["securityContext"]["runAsUser"] == int(users[-1])
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".venv" in ignored or "*" in ignored, ".dockerignore must keep .venv out"


def test_the_gateway_believes_forwarded_for_only_from_the_pod_network(
    manifests: Manifests,
) -> None:
    # Behind the ingress every connection is the ingress controller's: without trusted proxies
    # every client would share its rate-limit bucket. The setting must parse as the gateway
    # reads it, and name private networks only (the pods'), never everything.
    gw = gateway(manifests)
    value = env_value(gw, "SATU_ANAK_TRUSTED_PROXIES")
    edge = GatewayConfig.load(None, {"SATU_ANAK_TRUSTED_PROXIES": value}).edge
    networks = edge.proxy_networks()
    assert networks, "no trusted proxies"
    for network in networks:
        assert network.is_private and network.prefixlen >= 8, network
    assert edge.rate_limit
