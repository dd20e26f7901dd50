"""deploy/monitoring/: the Prometheus rules (checked and unit-tested by promtool), the
Grafana dashboard and the rules referencing only metrics shre exposes, the Filebeat
input, and a real Prometheus scraping a real `shre serve --workers 2`: the exposition,
the rules and the dashboard's queries working on the real thing.

promtool and prometheus come from Debian's prometheus package (`make test` installs it:
scripts/ensure-prometheus.sh); without them these tests are skipped, or fail under
CI=true."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from shre.observability import prometheus
from tests.support.app import base_settings
from tests.support.cli import Server, clean_env, command_env, shre
from tests.support.servers import free_port, unavailable

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RULES = MONITORING / "prometheus" / "alerts.yml"
RULE_TESTS = MONITORING / "prometheus" / "alerts.test.yml"
PROMETHEUS_CONFIG = MONITORING / "prometheus" / "prometheus.yml"
DASHBOARD = MONITORING / "grafana" / "shre-dashboard.json"
FILEBEAT = MONITORING / "filebeat" / "filebeat.yml"
OPERATIONS = ROOT / "docs" / "OPERATIONS.md"
TOKEN = "scrape-token-for-monitoring-0123456789"

# What the dashboard's variables stand for when its queries are sent to Prometheus.
GRAFANA_VARIABLES = {
    "$__rate_interval": "30s",
    "$__interval": "15s",
    "$__range": "5m",
    "${datasource}": "prometheus",
    "$datasource": "prometheus",
    "$job": "shre",
    "$instance": ".*",
}
# PromQL's keywords and the modifiers that may stand where a metric name could.
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "start", "end"}
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up"}


# --- helpers ---------------------------------------------------------------------------


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed (scripts/ensure-prometheus.sh installs it)")
    assert found is not None
    return found


def rules() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RULES.read_text())
    return loaded


def alerting_rules() -> list[dict[str, Any]]:
    return [rule for group in rules()["groups"] for rule in group["rules"] if "alert" in rule]


def recorded_names() -> set[str]:
    return {
        rule["record"] for group in rules()["groups"] for rule in group["rules"] if "record" in rule
    }


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels() -> list[dict[str, Any]]:
    """Every panel, those inside collapsed rows included."""
    found = []
    for panel in dashboard()["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL expression) of every panel's queries."""
    return [
        (panel["title"], target["expr"])
        for panel in panels()
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def substituted(expr: str) -> str:
    for variable in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(variable, GRAFANA_VARIABLES[variable])
    assert "$" not in expr, f"an unknown Grafana variable in {expr!r}"
    return expr


def metric_names(expr: str) -> set[str]:
    """The metric (and recording rule) names a PromQL expression selects: what is left
    once strings, label matchers, ranges, grouping clauses, functions and keywords go."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    expr = re.sub(r"\{[^{}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.:$])([A-Za-z_:][\w:]*)(\s*\()?", expr):
        word, call = match.groups()
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def exposed_names() -> set[str]:
    """The sample names shre's exposition declares (every metric of prometheus.py, with
    or without children yet): counters as they are, histograms' series by suffix."""
    text = prometheus.exposition().decode()
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.MULTILINE):
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif kind == "summary":
            names |= {name, f"{name}_sum", f"{name}_count"}
        else:
            names.add(name)
    return names


def github_anchor(heading: str) -> str:
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def wait_for(what: str, probe: Callable[[], Any], deadline: float = 60) -> Any:
    """Poll `probe` until it returns something truthy (its last exception or value is
    reported when the deadline passes)."""
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        try:
            last = probe()
        except (httpx.HTTPError, AssertionError, KeyError, IndexError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


# --- promtool --------------------------------------------------------------------------


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args],
        cwd=RULES.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_promtool_checks_the_rules_and_the_example_config() -> None:
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len([r for g in rules()['groups'] for r in g['rules']])} rules" in (
        checked.stdout
    )
    config = promtool("check", "config", PROMETHEUS_CONFIG.name)
    assert config.returncode == 0, config.stdout + config.stderr


def test_promtool_unit_tests_of_the_alerts_pass() -> None:
    tested = promtool("test", "rules", RULE_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_is_tested_firing_and_quiet_and_documented() -> None:
    cases: dict[str, dict[str, int]] = {}
    for group in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for case in group.get("alert_rule_test", []):
            seen = cases.setdefault(case["alertname"], {"firing": 0, "quiet": 0})
            seen["firing" if case.get("exp_alerts") else "quiet"] += 1
    headings = {
        github_anchor(line.lstrip("#"))
        for line in OPERATIONS.read_text().splitlines()
        if line.startswith("#")
    }
    names = [rule["alert"] for rule in alerting_rules()]
    assert len(names) == len(set(names))
    for rule in alerting_rules():
        name = rule["alert"]
        assert cases.get(name, {}).get("firing"), f"{name}: no test where it fires"
        assert cases[name]["quiet"], f"{name}: no test where it stays quiet"
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        annotations = rule["annotations"]
        assert annotations["summary"], name
        assert annotations["description"], name
        page, _, anchor = annotations["runbook_url"].partition("#")
        assert page == "docs/OPERATIONS.md", name
        assert anchor == name.lower(), name
        assert anchor in headings, f"{name}: no section {anchor} in docs/OPERATIONS.md"
    assert set(cases) <= set(names), "a test names an alert that does not exist"


# --- the metrics referenced exist ------------------------------------------------------


def test_metric_name_extraction() -> None:
    assert metric_names(
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{job="$job",'
        ' route=~"/x/{id}"}[5m]))) / ignoring(le) b:rate5m offset 1h > bool 2'
        " and on (job) time() - max(c_seconds) > 26 * 3600 unless absent(up)"
    ) == {"a_bucket", "b:rate5m", "c_seconds", "up"}


def test_rules_and_dashboard_reference_only_metrics_that_exist() -> None:
    exposed = exposed_names()
    assert {"http_requests_total", "http_request_duration_seconds_bucket"} <= exposed
    known = exposed | recorded_names() | SYNTHETIC
    rule_names = set()
    for group in rules()["groups"]:
        for rule in group["rules"]:
            rule_names |= metric_names(rule["expr"])
    assert rule_names - known == set(), "rules select metrics shre does not expose"

    dashboard_names = set()
    for title, expr in dashboard_queries():
        found = metric_names(substituted(expr))
        assert found, f"{title}: no metric in {expr!r}"
        assert found - exposed == set(), f"{title} selects metrics shre does not expose"
        dashboard_names |= found
    for variable in dashboard()["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict):
            selector = re.fullmatch(r"label_values\((.+),\s*\w+\)", query["query"])
            assert selector, variable
            assert metric_names(substituted(selector.group(1))) <= exposed, variable
    # What the dashboard must show (DESIGN §7, issue 20): every one of these.
    wanted = {
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "shre_cache_requests_total",
        "shre_db_statements_total",
        "shre_db_pool_in_use",
        "shre_db_pool_overflow",
        "shre_storage_bytes_total",
        "shre_storage_errors_total",
        "shre_job_queue_depth",
        "shre_jobs_total",
        "shre_login_failures_total",
        "shre_backend_up",
        "shre_key_rotation_pending",
        "shre_cache_circuit_open",
    }
    assert wanted - dashboard_names == set()
    assert any(name.startswith("shre_audit_verify") for name in dashboard_names)


def test_dashboard_model() -> None:
    model = dashboard()
    assert model["schemaVersion"] >= 36
    assert model["uid"]
    assert model["title"]
    variables = {v["name"]: v for v in model["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in panels()]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys(), panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
    heatmaps = [panel for panel in panels() if panel["type"] == "heatmap"]
    assert heatmaps
    assert heatmaps[0]["targets"][0]["format"] == "heatmap"
    assert "http_request_duration_seconds_bucket" in heatmaps[0]["targets"][0]["expr"]
    percentiles = " ".join(expr for _, expr in dashboard_queries())
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}," in percentiles


# --- Filebeat and the installer --------------------------------------------------------


def test_filebeat_reads_ecs_json_lines_into_elasticsearch() -> None:
    config = yaml.safe_load(FILEBEAT.read_text())
    inputs = config["filebeat.inputs"]
    assert inputs
    assert all(i["type"] == "filestream" for i in inputs)
    assert all(i["id"] for i in inputs)
    for one in inputs:
        ndjson = [p["ndjson"] for p in one["parsers"] if "ndjson" in p]
        assert ndjson, one["id"]
        assert ndjson[0]["target"] == ""
        assert ndjson[0]["overwrite_keys"] is True
        assert ndjson[0]["expand_keys"] is True
    assert any(i["enabled"] for i in inputs)
    output = config["output.elasticsearch"]
    assert all(host.startswith("${") for host in output["hosts"])
    assert config["setup.template"]["enabled"] is True
    # The template's pattern covers the stream the output writes to.
    assert config["setup.template"]["pattern"] == output["index"]


def test_the_installer_is_a_no_op_when_promtool_is_there() -> None:
    binary("promtool")
    script = ROOT / "scripts" / "ensure-prometheus.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    ran = subprocess.run([str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("prometheus: promtool, version")


# --- a real scrape ---------------------------------------------------------------------


class PrometheusServer:
    """Debian's prometheus on a free port, scraping `target` every second and evaluating
    alerts.yml every second; its data in `workdir`."""

    def __init__(self, workdir: Path, target: str, token_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "evaluation_interval": "1s",
            },
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {
                    "job_name": "shre",
                    "metrics_path": "/metrics",
                    "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
                    "static_configs": [{"targets": [target]}],
                }
            ],
        }
        path = workdir / "prometheus.yml"
        path.write_text(yaml.safe_dump(config))
        self.log = workdir / "prometheus.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    binary("prometheus"),
                    f"--config.file={path}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            wait_for("prometheus to be ready", self.ready, deadline=60)
        except BaseException:
            self.stop()
            raise

    def ready(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        return httpx.get(self.url + "/-/ready", timeout=2).status_code == 200

    def api(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        assert response.status_code == 200, body
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", data
        result: list[dict[str, Any]] = data["result"]
        return result

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def shre_server(tmp_path: Path) -> Iterator[Server]:
    """`shre serve --workers 2` on SQLite, its /metrics behind METRICS_TOKEN."""
    binary("prometheus")
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'shre.db'}")
    env = clean_env(**command_env(settings, tmp_path / "var"), METRICS_TOKEN=TOKEN)
    migrated = shre(tmp_path, "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    server = Server(tmp_path, free_port(), env, "--workers", "2")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def prometheus_server(tmp_path: Path, shre_server: Server) -> Iterator[PrometheusServer]:
    workdir = tmp_path / "prometheus"
    workdir.mkdir()
    token = workdir / "token"
    token.write_text(TOKEN)
    server = PrometheusServer(workdir, shre_server.url.removeprefix("http://"), token)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.server
def test_a_real_prometheus_scrapes_shre_and_evaluates_rules_and_dashboard(
    shre_server: Server, prometheus_server: PrometheusServer
) -> None:
    prom = prometheus_server
    route = "/api/v1/employees/{employee_id}"
    selector = f'job="shre", route="{route}", status="401"'
    someone = uuid.uuid4()

    def request(_: int) -> int:
        # A connection each: the kernel hands them to either worker.
        return httpx.get(f"{shre_server.url}/api/v1/employees/{someone}").status_code

    assert httpx.get(shre_server.url + "/readyz").status_code == 200
    assert request(0) == 401
    # Scraped (with the token), the target is up.
    targets = wait_for(
        "the target to be up",
        lambda: [t for t in prom.api("targets")["activeTargets"] if t["health"] == "up"],
    )
    assert [t["labels"]["job"] for t in targets] == ["shre"]
    # A first scrape that holds the route's series: the requests after it are a rate.
    count = f"sum(http_requests_total{{{selector}}})"
    wait_for("the route's first count", lambda: prom.value(count))

    requests = 30
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(request, range(requests))) == {401}

    # Both workers' counts added up in the scrape, as Prometheus stored them.
    wait_for(
        "the route's count to match the requests made",
        lambda: prom.value(count) == requests + 1,
    )
    rate = wait_for(
        "a request rate",
        lambda: prom.value('sum(rate(http_requests_total{job="shre"}[30s]))'),
    )
    assert rate > 0
    assert prom.value(f"sum(rate(http_requests_total{{{selector}}}[1m]))") > 0
    timed = f'job="shre", method="GET", route="{route}"'
    assert prom.value(f"sum(http_request_duration_seconds_count{{{timed}}})") == requests + 1
    assert prom.value('min(shre_backend_up{job="shre"})') == 1

    # Every rule group loaded, every rule evaluated without error.
    groups = {g["name"] for g in rules()["groups"]}
    count = sum(len(g["rules"]) for g in rules()["groups"])

    def evaluated() -> list[dict[str, Any]]:
        loaded = prom.api("rules")["groups"]
        assert {g["name"] for g in loaded} == groups
        every = [rule for g in loaded for rule in g["rules"]]
        assert len(every) == count
        assert all(not r["lastEvaluation"].startswith("0001-") for r in every)
        return every

    for rule in wait_for("every rule to be evaluated", evaluated):
        assert rule["health"] == "ok", rule
        assert not rule.get("lastError"), rule
    # A healthy app sets off no alert (a pending one, waiting for its `for:`, is fine).
    firing = [a for a in prom.api("alerts")["alerts"] if a["state"] == "firing"]
    assert firing == []

    # Every panel's query runs; those over what this workload made return series.
    results: dict[str, list[Any]] = {}
    for title, expr in dashboard_queries():
        results.setdefault(title, []).extend(prom.query(substituted(expr)))
    for title in (
        "Request rate by route and status",
        "Request latency (heatmap)",
        "Latency p50 / p95 / p99",
        "p99 latency by route",
        "Backends up",
        "DB statements per request",
    ):
        assert results[title], f"{title}: no series"
    heatmap = {series["metric"].get("le") for series in results["Request latency (heatmap)"]}
    assert {"0.005", "10.0", "+Inf"} <= heatmap
    assert json.loads(json.dumps(results))  # plain JSON all the way
