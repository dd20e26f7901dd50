"""deploy/compose.yaml: valid against the Compose Specification's JSON schema (the copy
check-jsonschema ships as its builtin `vendor.compose-spec`, offline) and against shre's
own rules for it: a health check on every long-running service, two api replicas, the api
and worker started only after the one-shot `shre migrate` (and the bucket) succeeded, the
monitoring services only under the `monitoring` profile, every mounted file in the
repository, no secret written in the file, every image pinned to a version. Each rule is
shown to catch a broken file. With `docker compose` on PATH, compose itself checks it too.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from shre.settings import DEV_PLACEHOLDER_SECRETS, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "compose.env.example"
MONITORING_PROFILE = "monitoring"
MONITORING = {"prometheus", "grafana", "elasticsearch", "kibana", "filebeat"}
CORE = {"postgres", "redis", "seaweedfs", "migrate", "bucket", "api", "worker"}
# Services that run once and exit: the others wait for them to complete.
ONE_SHOT = {"migrate", "bucket"}
# Environment names that hold a secret: their value must come from deploy/.env.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|_KEY_ID$|_AUTH$")
INTERPOLATED = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")
# A repository tag, pinned: a version number (v3.5.0, 17.6, 4.48), never latest.
PINNED = re.compile(r"^[^:@]+(:[^:]*\d[^:]*)(@sha256:[0-9a-f]{64})?$")
# shre's own image, built from the repository by `docker compose build`.
LOCAL_IMAGE = "shre:local"
# Host paths outside the repository that a service may mount (Filebeat reads Docker's logs).
HOST_PATHS = {"/var/lib/docker/containers", "/var/run/docker.sock"}

Compose = dict[str, Any]


@cache
def _schema() -> dict[str, Any]:
    schema = resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    loaded: dict[str, Any] = json.loads(schema.read_text(encoding="utf-8"))
    return loaded


def load() -> Compose:
    """The compose file as a dict (YAML anchors and merge keys resolved), a fresh copy."""
    loaded: Compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return copy.deepcopy(loaded)


def _environment(service: Compose) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def _bind_sources(service: Compose) -> list[str]:
    sources = []
    for volume in service.get("volumes", []):
        source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
        if source.startswith((".", "/")):
            sources.append(source)
    return sources


def problems(compose: Compose) -> list[str]:
    """What in the compose dict breaks the schema or shre's rules (empty: nothing)."""
    found = [
        f"schema: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in jsonschema.validators.validator_for(_schema())(_schema()).iter_errors(compose)
    ]
    services: dict[str, Compose] = compose.get("services", {})
    for name in sorted((CORE | MONITORING) - services.keys()):
        found.append(f"{name}: missing")
    for name, service in services.items():
        where = f"services.{name}"
        if name in ONE_SHOT:
            if service.get("restart", "no") != "no":
                found.append(f"{where}: a one-shot service must not restart")
        elif not service.get("healthcheck", {}).get("test") or service["healthcheck"].get(
            "disable"
        ):
            found.append(f"{where}: no health check")
        image = service.get("image", "")
        built_here = image == LOCAL_IMAGE and "build" in service
        if not built_here and (not PINNED.match(image) or image.endswith(":latest")):
            found.append(f"{where}: image {image!r} is not pinned to a version")
        profiles = service.get("profiles", [])
        if name in MONITORING and profiles != [MONITORING_PROFILE]:
            found.append(f"{where}: not under the {MONITORING_PROFILE} profile only")
        if name not in MONITORING and profiles:
            found.append(f"{where}: under a profile ({profiles}): it would not start by default")
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key) and not INTERPOLATED.match(str(value or "")):
                found.append(f"{where}: {key} is written in the file (take it from deploy/.env)")
        for source in _bind_sources(service):
            if source in HOST_PATHS:
                continue
            path = (COMPOSE.parent / source).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                found.append(f"{where}: mounts {source}, not a file of the repository")
        for port in service.get("ports", []):
            if name != "api" and not str(port).startswith("127.0.0.1:"):
                found.append(f"{where}: port {port} is published beyond this host")
    api = services.get("api", {})
    if api.get("deploy", {}).get("replicas") != 2:
        found.append("services.api: not 2 replicas")
    for name in ("api", "worker"):
        depends = services.get(name, {}).get("depends_on", {})
        for one_shot in sorted(ONE_SHOT):
            condition = depends.get(one_shot, {}) if isinstance(depends, dict) else {}
            if condition.get("condition") != "service_completed_successfully":
                found.append(f"services.{name}: does not wait for {one_shot} to complete")
    migrate = services.get("migrate", {})
    if migrate.get("command") != ["shre", "migrate"]:
        found.append("services.migrate: does not run `shre migrate`")
    if migrate.get("depends_on", {}).get("postgres", {}).get("condition") != "service_healthy":
        found.append("services.migrate: does not wait for a healthy postgres")
    for name in ("api", "worker", "migrate"):
        service = services.get(name, {})
        if service.get("read_only") is not True:
            found.append(f"services.{name}: its root filesystem is writable")
        if str(service.get("user", "0")).split(":")[0] in {"0", "root"}:
            found.append(f"services.{name}: runs as root")
    return found


# --- the file as it is -----------------------------------------------------------------


def test_compose_file_is_valid_and_follows_the_rules() -> None:
    assert problems(load()) == []


def test_check_jsonschema_cli_accepts_it() -> None:
    """The same schema as `check-jsonschema --builtin-schema vendor.compose-spec`."""
    beside = Path(sys.executable).parent / "check-jsonschema"
    cli = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    if cli is None:
        pytest.fail("check-jsonschema is not installed (a dev dependency)")
    ran = subprocess.run(
        [cli, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_app_environment_names_are_settings() -> None:
    """Every variable given to shre's containers is one shre reads (a typo is ignored)."""
    fields = {name.upper() for name in Settings.model_fields}
    for name in ("api", "worker", "migrate"):
        unknown = set(_environment(load()["services"][name])) - fields
        assert unknown == set(), f"{name}: {sorted(unknown)}"
    env = _environment(load()["services"]["api"])
    assert env["SHRE_ENV"] == "production"
    assert env["LOG_FORMAT"] == "json"
    assert env["JOBS_IN_PROCESS"] == "false"
    assert env["REDIS_ENABLED"] == env["S3_ENABLED"] == "true"
    writable = "/tmp"  # noqa: S108 - the container's tmpfs, not this machine's /tmp
    assert env["SHRE_VAR_DIR"].startswith(writable + "/")
    assert env["UPLOAD_DIR"].startswith(writable + "/")
    assert writable in load()["services"]["api"]["tmpfs"]


def test_env_example_names_every_variable_with_placeholders_only() -> None:
    """deploy/compose.env.example names every ${VAR} of the file, and holds no real secret."""
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text(encoding="utf-8")))
    assert used - example.keys() == set()
    for key, value in example.items():
        if SECRET_NAME.search(key) and key != "S3_ACCESS_KEY_ID":
            assert value in DEV_PLACEHOLDER_SECRETS, f"{key} holds a value: use a placeholder"
    assert (
        subprocess.run(
            ["git", "check-ignore", "-q", str(DEPLOY / ".env")], cwd=ROOT, check=False
        ).returncode
        == 0
    ), "deploy/.env (the real secrets) must be ignored by git"


def test_monitoring_configs_fit_the_compose_services() -> None:
    compose = load()
    prometheus = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["job_name"] == "shre"  # deploy/monitoring's rules select job="shre"
    assert job["dns_sd_configs"][0]["names"] == ["api"]
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    assert compose["secrets"]["metrics_token"] == {"environment": "METRICS_TOKEN"}
    mounts = compose["services"]["prometheus"]["volumes"]
    assert "./monitoring/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts
    assert prometheus["rule_files"] == ["/etc/prometheus/alerts.yml"]

    grafana = compose["services"]["grafana"]["volumes"]
    assert any(v.startswith("./monitoring/grafana/shre-dashboard.json:") for v in grafana)
    providers = yaml.safe_load((DEPLOY / "compose" / "grafana" / "dashboards.yml").read_text())
    dashboard_dir = providers["providers"][0]["options"]["path"]
    assert any(v.split(":")[1].startswith(dashboard_dir + "/") for v in grafana)

    filebeat = yaml.safe_load((DEPLOY / "compose" / "filebeat.yml").read_text())
    (source,) = filebeat["filebeat.inputs"]
    assert [next(iter(parser)) for parser in source["parsers"]] == ["container", "ndjson"]
    assert source["parsers"][1]["ndjson"]["target"] == ""  # ECS keys at the event's root
    for name in ("api", "worker"):
        service = compose["services"][name]
        assert service["labels"]["shre"] == "true"  # what Filebeat keeps
        assert service["logging"]["driver"] == "json-file"  # what Filebeat reads
    elastic = compose["services"]["elasticsearch"]["environment"]
    assert elastic["xpack.security.enabled"] == "false"  # local use only, said in the file


# --- each rule catches a broken file ---------------------------------------------------


def _no_healthcheck(c: Compose) -> None:
    del c["services"]["redis"]["healthcheck"]


def _one_replica(c: Compose) -> None:
    c["services"]["api"]["deploy"]["replicas"] = 1


def _api_starts_before_migrations(c: Compose) -> None:
    c["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_started"


def _monitoring_by_default(c: Compose) -> None:
    del c["services"]["kibana"]["profiles"]


def _secret_in_file(c: Compose) -> None:
    c["services"]["api"]["environment"]["JWT_SECRET"] = "x" * 40


def _latest_image(c: Compose) -> None:
    c["services"]["postgres"]["image"] = "postgres:latest"


def _untagged_image(c: Compose) -> None:
    c["services"]["redis"]["image"] = "redis"


def _missing_mount(c: Compose) -> None:
    c["services"]["prometheus"]["volumes"][0] = "./compose/nowhere.yml:/etc/prometheus/p.yml"


def _schema_breach(c: Compose) -> None:
    c["services"]["api"]["helthcheck"] = c["services"]["api"].pop("healthcheck")


def _root_api(c: Compose) -> None:
    c["services"]["api"]["user"] = "0"


def _public_database(c: Compose) -> None:
    c["services"]["postgres"]["ports"] = ["5432:5432"]


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_no_healthcheck, "services.redis: no health check"),
        (_one_replica, "services.api: not 2 replicas"),
        (_api_starts_before_migrations, "services.api: does not wait for migrate to complete"),
        (_monitoring_by_default, "services.kibana: not under the monitoring profile only"),
        (_secret_in_file, "services.api: JWT_SECRET is written in the file"),
        (_latest_image, "services.postgres: image 'postgres:latest' is not pinned"),
        (_untagged_image, "services.redis: image 'redis' is not pinned"),
        (_missing_mount, "services.prometheus: mounts ./compose/nowhere.yml"),
        (_schema_breach, "schema: services/api: Unevaluated properties"),
        (_root_api, "services.api: runs as root"),
        (_public_database, "services.postgres: port 5432:5432 is published beyond this host"),
    ],
)
def test_a_broken_compose_file_is_caught(spoil: Any, expected: str) -> None:
    compose = load()
    spoil(compose)
    found = problems(compose)
    assert any(problem.startswith(expected) for problem in found), found


# --- docker compose itself -------------------------------------------------------------


def test_docker_compose_config_accepts_it() -> None:
    """`docker compose config -q` with the example env file. Skipped when docker or its
    compose plugin is missing, under CI too: the issue asks for it where docker is
    present, and the schema and rules above run everywhere."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    version = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
    )
    if version.returncode != 0:
        pytest.skip("docker compose (the plugin) is not installed")
    for profile in ([], ["--profile", MONITORING_PROFILE]):
        ran = subprocess.run(
            [
                docker,
                "compose",
                "--env-file",
                str(ENV_EXAMPLE),
                "-f",
                str(COMPOSE),
                *profile,
                "config",
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
