"""deploy/kubernetes/: every overlay rendered by `kubectl kustomize`, each object checked
against the Kubernetes schemas of the versions shre supports (kubernetes-validate, offline)
and against shre's own policy: no container may run as root, write its root filesystem,
escalate, keep a capability or go without limits and probes; production has HTTPS, an
autoscaler and disruption budgets; the migrations run before the API serves.

kubectl comes from Debian's kubectl package (`make test` installs it:
scripts/ensure-kubectl.sh); without it these tests are skipped, or fail under CI=true."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shre.observability import prometheus
from shre.settings import Settings
from tests.support.servers import unavailable

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod")
RULES = ROOT / "deploy" / "monitoring" / "prometheus" / "alerts.yml"
ADAPTER_RULES = KUBERNETES / "prometheus-adapter-rules.yaml"
# The oldest and the newest Kubernetes shre's manifests are written for: 1.30 brings the
# preStop `sleep` action (on by default), 1.32 is the kubectl these tests run.
KUBERNETES_VERSIONS = ("1.30", "1.32")
# Custom resources: their schemas ship with their operators, not with Kubernetes (nor
# kubernetes-validate); test_custom_resources checks what shre relies on in them.
CUSTOM_KINDS = {
    ("external-secrets.io/v1", "ExternalSecret"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
# Out of the API pods: DNS, PostgreSQL, Redis, S3 (HTTPS, or SeaweedFS' S3 port).
API_EGRESS_PORTS = {53, 5432, 6379, 443, 8333}
# The pods' only writable place: an emptyDir (a path in the pod, not on this machine).
WRITABLE = "/tmp"  # noqa: S108

Manifest = dict[str, Any]


# --- rendering -------------------------------------------------------------------------


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        unavailable("kubectl is not installed (scripts/ensure-kubectl.sh installs it)")
    assert found is not None
    return found


@cache
def _render(overlay: str) -> str:
    ran = subprocess.run(
        [kubectl(), "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def rendered(overlay: str) -> list[Manifest]:
    """The overlay's objects, a fresh copy each time (tests may spoil theirs)."""
    return [doc for doc in yaml.safe_load_all(_render(overlay)) if doc]


def only(objects: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''}"
    return found[0]


def pod_spec(workload: Manifest) -> Manifest:
    spec: Manifest = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: Manifest = spec["template"]["spec"]
    return template


# --- the policy ------------------------------------------------------------------------


def _container_violations(
    where: str, container: Manifest, pod: Manifest, long_running: bool
) -> Iterator[str]:
    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})

    def setting(key: str) -> Any:
        return security.get(key, pod_security.get(key))

    if setting("runAsNonRoot") is not True:
        yield f"{where}: may run as root (runAsNonRoot is not true)"
    if setting("runAsUser") == 0:
        yield f"{where}: runs as root (runAsUser 0)"
    if security.get("readOnlyRootFilesystem") is not True:
        yield f"{where}: its root filesystem is writable"
    if security.get("allowPrivilegeEscalation") is not False:
        yield f"{where}: may escalate its privileges"
    if security.get("privileged"):
        yield f"{where}: is privileged"
    if security.get("capabilities", {}).get("drop") != ["ALL"]:
        yield f"{where}: keeps capabilities (drop is not [ALL])"
    if security.get("capabilities", {}).get("add"):
        yield f"{where}: adds capabilities"
    if (setting("seccompProfile") or {}).get("type") != "RuntimeDefault":
        yield f"{where}: no RuntimeDefault seccomp profile"
    resources = container.get("resources", {})
    for bound in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(bound, {}):
                yield f"{where}: no {resource} {bound}"
    if long_running:
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if probe not in container:
                yield f"{where}: no {probe}"


def violations(objects: list[Manifest], production: bool) -> list[str]:
    """What in the rendered objects breaks shre's policy (empty: nothing)."""
    found: list[str] = []
    kinds = {o["kind"] for o in objects}
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] == "ServiceAccount" and obj.get("automountServiceAccountToken") is not False:
            found.append(f"{name}: mounts its API token (automountServiceAccountToken)")
        if obj["kind"] not in WORKLOADS:
            continue
        pod = pod_spec(obj)
        long_running = obj["kind"] in {"Deployment", "StatefulSet", "DaemonSet"}
        if pod.get("automountServiceAccountToken") is not False:
            found.append(f"{name}: its pods mount an API token")
        if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
            found.append(f"{name}: shares the node's namespaces")
        for container in pod.get("initContainers", []):
            where = f"{name} init container {container['name']}"
            found.extend(_container_violations(where, container, pod, long_running=False))
        for container in pod["containers"]:
            where = f"{name} container {container['name']}"
            found.extend(_container_violations(where, container, pod, long_running))
        if long_running and not pod.get("topologySpreadConstraints"):
            found.append(f"{name}: no topology spread")
    api = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "shre-api"]
    if not api:
        found.append("no Deployment shre-api")
    elif not any(
        c.get("command", [])[:2] == ["shre", "migrate"]
        for c in pod_spec(api[0]).get("initContainers", [])
    ) and not any(
        o["kind"] == "Job"
        and "migrate" in " ".join(pod_spec(o)["containers"][0].get("command", []))
        for o in objects
    ):
        found.append("shre-api: nothing runs `shre migrate` before it serves")
    if production:
        ingresses = [o for o in objects if o["kind"] == "Ingress"]
        if not ingresses or not all(o["spec"].get("tls") for o in ingresses):
            found.append("production: no Ingress with TLS")
        for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
            if kind not in kinds:
                found.append(f"production: no {kind}")
    return found


# --- schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_kubernetes(overlay: str, version: str) -> None:
    objects = rendered(overlay)
    assert objects
    checked = 0
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{overlay}: {obj['kind']}/{obj['metadata']['name']} ({version}): {exc}")
        checked += 1
    assert checked >= 10


def test_the_schemas_refuse_a_misspelt_field() -> None:
    """Strict validation fails on what the API server would drop or refuse."""
    deployment = only(rendered("prod"), "Deployment", "shre-api")
    pod_spec(deployment)["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources(overlay: str) -> None:
    objects = rendered(overlay)
    custom = {(o["apiVersion"], o["kind"]) for o in objects} - {
        (o["apiVersion"], o["kind"])
        for o in objects
        if o["kind"] not in {k for _, k in CUSTOM_KINDS}
    }
    assert custom == CUSTOM_KINDS
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            assert set(obj) == {"apiVersion", "kind", "metadata", "spec"}
            assert obj["metadata"]["namespace"] == only(objects, "Namespace")["metadata"]["name"]

    secret = only(objects, "ExternalSecret")["spec"]
    assert secret["secretStoreRef"]["kind"] in {"SecretStore", "ClusterSecretStore"}
    assert secret["dataFrom"][0]["extract"]["key"]
    # The pods read the Secret the ExternalSecret makes, and the generated ConfigMap.
    config = only(objects, "ConfigMap")["metadata"]["name"]
    for workload in (o for o in objects if o["kind"] == "Deployment"):
        pod = pod_spec(workload)
        for container in pod["containers"] + pod.get("initContainers", []):
            refs = container["envFrom"]
            assert {"secretRef": {"name": secret["target"]["name"]}} in refs
            assert {"configMapRef": {"name": config}} in refs

    monitor = only(objects, "ServiceMonitor")["spec"]
    service = only(objects, "Service", "shre-api")
    assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["authorization"]["credentials"] == {
        "name": secret["target"]["name"],
        "key": "METRICS_TOKEN",
    }
    # The rules select job="shre": the scrape must be that job.
    assert {"action": "replace", "targetLabel": "job", "replacement": "shre"} in endpoint[
        "relabelings"
    ]


def test_the_prometheus_rule_is_the_monitoring_rules_file() -> None:
    """The PrometheusRule cannot drift from deploy/monitoring (regenerate it with
    deploy/kubernetes/sync-prometheusrule.py)."""
    wanted = yaml.safe_load(RULES.read_text())["groups"]
    for overlay in OVERLAYS:
        rule = only(rendered(overlay), "PrometheusRule")
        assert rule["spec"]["groups"] == wanted, (
            "run deploy/kubernetes/sync-prometheusrule.py: the PrometheusRule differs from "
            "deploy/monitoring/prometheus/alerts.yml"
        )


# --- the policy on the real manifests --------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_policy_holds(overlay: str) -> None:
    assert violations(rendered(overlay), production=overlay == "prod") == []


def _deployment(objects: list[Manifest], name: str = "shre-api") -> Manifest:
    return only(objects, "Deployment", name)


def _container(objects: list[Manifest], name: str = "shre-api") -> Manifest:
    container: Manifest = pod_spec(_deployment(objects, name))["containers"][0]
    return container


def _drop(objects: list[Manifest], kind: str) -> None:
    objects[:] = [o for o in objects if o["kind"] != kind]


def _root_job(objects: list[Manifest]) -> None:
    job = copy.deepcopy(_deployment(objects))
    job.update(apiVersion="batch/v1", kind="Job", metadata={"name": "bad"})
    job["spec"] = {"template": job["spec"]["template"]}
    job["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsUser"] = 0
    objects.append(job)


# A deliberately bad change each, and what the policy must say about it.
SPOILERS: dict[str, tuple[Callable[[list[Manifest]], None], str]] = {
    "root": (
        lambda o: (
            pod_spec(_deployment(o))["securityContext"].update(runAsNonRoot=False)
            or _container(o)["securityContext"].pop("runAsNonRoot")
        ),
        "may run as root",
    ),
    "root job": (_root_job, "Job/bad container api: runs as root"),
    "no limits": (lambda o: _container(o)["resources"].pop("limits"), "no cpu limits"),
    "init without limits": (
        lambda o: pod_spec(_deployment(o))["initContainers"][0]["resources"].pop("limits"),
        "init container migrate: no memory limits",
    ),
    "no readiness": (lambda o: _container(o).pop("readinessProbe"), "no readinessProbe"),
    "worker without liveness": (
        lambda o: _container(o, "shre-worker").pop("livenessProbe"),
        "shre-worker container worker: no livenessProbe",
    ),
    "writable root": (
        lambda o: _container(o)["securityContext"].update(readOnlyRootFilesystem=False),
        "root filesystem is writable",
    ),
    "escalation": (
        lambda o: _container(o)["securityContext"].pop("allowPrivilegeEscalation"),
        "may escalate",
    ),
    "capabilities": (
        lambda o: _container(o)["securityContext"]["capabilities"].update(drop=["NET_RAW"]),
        "keeps capabilities",
    ),
    "seccomp": (
        lambda o: (
            _container(o)["securityContext"].pop("seccompProfile")
            and pod_spec(_deployment(o))["securityContext"].pop("seccompProfile")
        ),
        "no RuntimeDefault seccomp",
    ),
    "token": (
        lambda o: only(o, "ServiceAccount").pop("automountServiceAccountToken"),
        "mounts its API token",
    ),
    "no migration": (
        lambda o: pod_spec(_deployment(o)).pop("initContainers"),
        "nothing runs `shre migrate`",
    ),
    "plain http": (lambda o: only(o, "Ingress")["spec"].pop("tls"), "no Ingress with TLS"),
    "no autoscaler": (
        lambda o: _drop(o, "HorizontalPodAutoscaler"),
        "no HorizontalPodAutoscaler",
    ),
    "no budget": (lambda o: _drop(o, "PodDisruptionBudget"), "no PodDisruptionBudget"),
}


@pytest.mark.parametrize("spoiler", SPOILERS)
def test_the_policy_fails_a_bad_manifest(spoiler: str) -> None:
    spoil, message = SPOILERS[spoiler]
    objects = rendered("prod")
    spoil(objects)
    found = violations(objects, production=True)
    assert any(message in line for line in found), found


# --- what the manifests say about shre -------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_manifests_match_the_app(overlay: str) -> None:
    objects = rendered(overlay)
    config = only(objects, "ConfigMap")["data"]
    # Every setting is one shre reads, and no secret is in the ConfigMap.
    fields = {name.upper(): field for name, field in Settings.model_fields.items()}
    assert set(config) <= set(fields), set(config) - set(fields)
    secrets = {name for name, field in fields.items() if "SecretStr" in str(field.annotation)}
    assert not set(config) & (secrets | {"DATABASE_URL", "S3_ACCESS_KEY_ID"})
    assert config["SHRE_ENV"] == "production"
    assert config["JOBS_IN_PROCESS"] == "false"
    assert config["SHRE_VAR_DIR"].startswith(WRITABLE + "/")
    # The values parse (as development: production would want the Secret's keys too).
    Settings(**{k.lower(): v for k, v in config.items()} | {"shre_env": "development"})

    api = _container(objects)
    assert api["command"][:2] == ["shre", "serve"]
    assert api["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert _container(objects, "shre-worker")["command"][:2] == ["shre", "worker"]
    # The only writable place is the emptyDir at /tmp.
    for name in ("shre-api", "shre-worker"):
        pod = pod_spec(_deployment(objects, name))
        assert [v for v in pod["volumes"] if "emptyDir" in v] == pod["volumes"]
        for container in pod["containers"] + pod.get("initContainers", []):
            assert [m["mountPath"] for m in container["volumeMounts"]] == [WRITABLE]
            assert container["image"].startswith("ghcr.io/shre/shre:")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_network_policy(overlay: str) -> None:
    objects = rendered(overlay)
    policy = only(objects, "NetworkPolicy", "shre-api")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert {p["port"] for rule in policy["egress"] for p in rule["ports"]} == API_EGRESS_PORTS
    sources = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in policy["ingress"]
        for peer in rule["from"]
    }
    assert sources == {"ingress-nginx", "monitoring"}
    worker = only(objects, "NetworkPolicy", "shre-worker")["spec"]
    assert worker["ingress"] == []
    # What runs in the namespace (Redis; dev: SeaweedFS too) is reached there only.
    in_namespace = {6379} | ({443, 8333} if overlay == "dev" else set())
    for spec in (policy, worker):
        for rule in spec["egress"]:
            ports = {p["port"] for p in rule["ports"]}
            if ports & in_namespace:
                assert rule["to"] == [{"podSelector": {}}], rule
            elif ports not in ({53}, {587, 465}):  # DNS: kube-dns; SMTP: anywhere
                assert "to" not in rule, rule  # the managed services, by port


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_deploy_workflow_applies_all_but_the_cluster_scoped_objects(overlay: str) -> None:
    # The deploy workflow's kubeconfig manages one namespace: it applies what the label
    # selector in .github/workflows/deploy.yml leaves, which must be every namespaced
    # object and no cluster-scoped one (a cluster admin creates those once).
    skipped = {
        (o["kind"], o["metadata"]["name"])
        for o in rendered(overlay)
        if o["metadata"].get("labels", {}).get("shre/cluster-scoped") == "true"
    }
    namespace = "shre" if overlay == "prod" else f"shre-{overlay}"
    assert skipped == {("Namespace", namespace)}
    workflow = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert "--selector 'shre/cluster-scoped!=true'" in workflow


def test_the_autoscaler_metric_is_served_by_the_adapter_rule() -> None:
    """The HPA's request rate is what the adapter rule names, from shre's real counter."""
    (rule,) = yaml.safe_load(ADAPTER_RULES.read_text())["rules"]["custom"]
    counter = f"{prometheus.HTTP_REQUESTS.describe()[0].name}_total"
    assert rule["seriesQuery"].startswith(counter + "{")
    assert rule["name"]["matches"] == f"^{counter}$"
    for overlay in OVERLAYS:
        hpa = only(rendered(overlay), "HorizontalPodAutoscaler")["spec"]
        assert hpa["scaleTargetRef"]["name"] == "shre-api"
        kinds = {m["type"]: m for m in hpa["metrics"]}
        assert kinds["Resource"]["resource"]["name"] == "cpu"
        assert kinds["Pods"]["pods"]["metric"]["name"] == rule["name"]["as"]


def test_production_sizes() -> None:
    objects = rendered("prod")
    hpa = only(objects, "HorizontalPodAutoscaler")["spec"]
    budget = only(objects, "PodDisruptionBudget", "shre-api")["spec"]
    assert hpa["minReplicas"] >= 3
    # A drain leaves most pods serving, yet can always go on.
    assert 0 < budget["minAvailable"] < hpa["minReplicas"]
    assert (
        only(objects, "Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )


def test_the_installer_is_a_no_op_when_kubectl_is_there() -> None:
    kubectl()
    script = ROOT / "scripts" / "ensure-kubectl.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    ran = subprocess.run([str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("kubectl: Client Version: v1.")
