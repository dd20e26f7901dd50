""".github/workflows/: ci.yml and deploy.yml validated against the GitHub workflow schema
(check-jsonschema's built-in `vendor.github-workflows`, offline) and checked for what shre
relies on: CI runs the same `make test` (CI=true) against PostgreSQL and Redis service
containers, builds the image with a cache, scans it and pushes it only for a `v*` tag;
the deployment waits for an environment's approval, one at a time, and undoes a failed
rollout. Every third-party action is pinned to a full commit SHA, and every job states
its permissions; the checks are shown to fail bad workflows.

check-jsonschema is a dev dependency; without it the schema test is skipped, or fails
under CI=true."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.servers import unavailable

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
OVERLAYS = ROOT / "deploy" / "kubernetes" / "overlays"
# Actions allowed a version tag instead of a commit SHA (none: every pin was found).
PIN_EXCEPTIONS: frozenset[str] = frozenset()
SHA = re.compile(r"^[0-9a-f]{40}$")
# `uses: owner/repo[/path]@<40 hex> # v1.2.3` - the release a SHA stands for, beside it.
PINNED_LINE = re.compile(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v?\d+(\.\d+)*\b")

Workflow = dict[str, Any]


@cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load(path: Path) -> Workflow:
    data = yaml.safe_load(_text(path))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: Workflow) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def step_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if s.get("uses", "").split("@")[0] == action]


def unpinned(workflow: Workflow) -> list[str]:
    """The `uses:` of the workflow not pinned to a full commit SHA (or a digest)."""
    found = []
    for job in workflow.get("jobs", {}).values():
        uses = [job["uses"]] if "uses" in job else []
        uses += [step["uses"] for step in job.get("steps", []) if "uses" in step]
        for use in uses:
            if use.startswith("./"):
                continue  # an action of this repository: the commit being run
            if use.startswith("docker://"):
                if "@sha256:" not in use:
                    found.append(use)
                continue
            name, _, ref = use.partition("@")
            if not SHA.match(ref) and name not in PIN_EXCEPTIONS:
                found.append(use)
    return found


def without_permissions(workflow: Workflow) -> list[str]:
    return [name for name, job in workflow.get("jobs", {}).items() if "permissions" not in job]


def check_jsonschema() -> str:
    beside = Path(sys.executable).parent / "check-jsonschema"
    found = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    if found is None:
        unavailable("check-jsonschema is not installed (pip install check-jsonschema)")
    assert found is not None
    return found


# --- the schema and the rules for every workflow ---------------------------------------


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda p: p.name)
def test_schema(path: Path) -> None:
    ran = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda p: p.name)
def test_actions_are_pinned_to_commits(path: Path) -> None:
    workflow = load(path)
    assert unpinned(workflow) == []
    # ... with the release each SHA stands for written beside it.
    lines = [line.strip() for line in _text(path).splitlines() if re.match(r"\s*-?\s*uses:", line)]
    remote = [line for line in lines if "uses: ./" not in line]
    assert remote
    assert [line for line in remote if not PINNED_LINE.search(line)] == []


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda p: p.name)
def test_least_privilege(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}, "nothing by default; each job asks"
    assert without_permissions(workflow) == []
    for name, job in workflow["jobs"].items():
        granted = job["permissions"]
        assert granted.get("contents") == "read", name
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= {"packages"}, (name, writes)


def test_the_checks_fail_bad_workflows() -> None:
    bad: Workflow = {
        "jobs": {
            "build": {
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "docker/build-push-action@main"},
                    {"uses": "actions/setup-python@a26af69"},  # a short SHA
                    {"uses": "docker://alpine:3.20"},
                    {"uses": "./.github/actions/local"},
                    {"uses": "actions/setup-node@" + "0" * 40},
                    {"run": "make test"},
                ]
            },
            "reuse": {"uses": "octo/workflows/.github/workflows/x.yml@v1", "permissions": {}},
        }
    }
    assert unpinned(bad) == [
        "actions/checkout@v4",
        "docker/build-push-action@main",
        "actions/setup-python@a26af69",
        "docker://alpine:3.20",
        "octo/workflows/.github/workflows/x.yml@v1",
    ]
    assert without_permissions(bad) == ["build"]
    assert not PINNED_LINE.search("- uses: actions/checkout@" + "0" * 40)
    assert PINNED_LINE.search("- uses: actions/checkout@" + "0" * 40 + " # v4.2.2")


# --- ci.yml ------------------------------------------------------------------------------


def test_ci_runs_make_test_with_service_containers() -> None:
    ci = load(CI)
    assert {"push", "pull_request"} <= set(ci["on"])
    assert "v*" in ci["on"]["push"]["tags"]
    test = ci["jobs"]["test"]
    env = {**ci.get("env", {}), **test.get("env", {})}
    assert str(env["CI"]).lower() == "true", "missing services must fail the run"
    assert [s for s in test["steps"] if s.get("run", "").strip() == "make test"]

    postgres, redis = test["services"]["postgres"], test["services"]["redis"]
    assert postgres["image"] == "postgres:15"
    assert postgres["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert postgres["env"]["POSTGRES_DB"] == "test"
    assert "5432:5432" in postgres["ports"]
    assert "--health-cmd" in postgres["options"]
    assert redis["image"] == "redis:7"
    assert "6379:6379" in redis["ports"]
    assert "--health-cmd" in redis["options"]
    assert "127.0.0.1:5432/test" in env["TEST_POSTGRES_URL"]

    python = step_using(test, "actions/setup-python")[0]["with"]
    assert python["python-version"] == "${{ env.PYTHON_VERSION }}"
    assert ci["env"]["PYTHON_VERSION"] == "3.11"
    assert python["cache"] == "pip"
    # The pip cache follows the locks `make test` installs from (torch's CPU build from
    # the PyTorch index).
    assert python["cache-dependency-path"] == "requirements/*.lock"
    assert env["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    node = step_using(test, "actions/setup-node")[0]["with"]
    assert node["node-version"] == "${{ env.NODE_VERSION }}"
    assert ci["env"]["NODE_VERSION"] == "20"
    assert node["cache"] == "npm"
    assert node["cache-dependency-path"] == "web/package-lock.json"
    assert (ROOT / "web" / "package-lock.json").exists()

    upload = step_using(test, "actions/upload-artifact")[0]
    assert upload["if"] == "failure()"
    assert upload["with"]["path"] == "var/screenshots"


def test_image_is_built_with_a_cache_and_scanned() -> None:
    image = load(CI)["jobs"]["image"]
    build = step_using(image, "docker/build-push-action")[0]["with"]
    assert build["context"] == "."
    assert build["file"] == "deploy/Dockerfile"
    assert build["load"] is True
    assert build["push"] is False
    assert build["cache-from"] == "type=gha"
    assert build["cache-to"] == "type=gha,mode=max"
    scan = step_using(image, "aquasecurity/trivy-action")[0]["with"]
    assert scan["image-ref"] == build["tags"]
    assert set(scan["severity"].split(",")) == {"CRITICAL", "HIGH"}
    assert scan["ignore-unfixed"] is True
    assert str(scan["exit-code"]) == "1"


def test_the_image_is_pushed_only_for_version_tags() -> None:
    ci = load(CI)
    pushing = [
        name
        for name, job in ci["jobs"].items()
        for step in step_using(job, "docker/build-push-action")
        if step["with"].get("push") not in (None, False)
    ]
    assert pushing == ["publish"]
    publish = ci["jobs"]["publish"]
    assert "startsWith(github.ref, 'refs/tags/v')" in publish["if"]
    assert {"test", "image"} <= set(publish["needs"])
    writers = [n for n, j in ci["jobs"].items() if j["permissions"].get("packages") == "write"]
    assert writers == ["publish"]
    meta = step_using(publish, "docker/metadata-action")[0]["with"]
    assert meta["images"] == "ghcr.io/${{ github.repository }}"
    assert "type=semver" in meta["tags"]
    push = step_using(publish, "docker/build-push-action")[0]["with"]
    assert push["tags"] == "${{ steps.meta.outputs.tags }}"
    assert step_using(publish, "docker/login-action")[0]["with"]["registry"] == "ghcr.io"


# --- deploy.yml --------------------------------------------------------------------------


def test_deploy_waits_for_the_environment_one_at_a_time() -> None:
    deploy = load(DEPLOY)
    inputs = deploy["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["staging", "production"]
    assert inputs["image_tag"]["required"] is True
    assert deploy["on"]["workflow_run"]["workflows"] == [load(CI)["name"]]
    (job,) = deploy["jobs"].values()
    assert "inputs.environment" in job["environment"]["name"]
    assert "inputs.environment" in job["concurrency"]["group"]
    assert job["concurrency"]["cancel-in-progress"] is False
    # After CI, only a successful run for a pushed v* tag deploys.
    assert "workflow_run.conclusion == 'success'" in job["if"]
    assert "startsWith(github.event.workflow_run.head_branch, 'v')" in job["if"]
    assert "Required reviewers" in _text(DEPLOY)


def test_deploy_renders_the_overlays_and_undoes_a_failed_rollout() -> None:
    (job,) = load(DEPLOY)["jobs"].values()
    script = "\n".join(step.get("run", "") for step in job["steps"])
    for overlay in ("dev", "prod"):
        assert f"overlay={overlay}" in script
        images = yaml.safe_load((OVERLAYS / overlay / "kustomization.yaml").read_text())["images"]
        assert [image["name"] for image in images] == ["ghcr.io/shre/shre"]
    assert 'kustomize edit set image "ghcr.io/shre/shre=$IMAGE"' in script
    assert 'kubectl kustomize "$OVERLAY"' in script
    assert "kubectl apply" in script
    assert re.search(r"rollout status deployment/shre-api --timeout=\d+m", script)
    assert "secrets.KUBECONFIG" in str(job["steps"])

    (undo,) = [step for step in job["steps"] if "rollout undo" in step.get("run", "")]
    assert undo["if"].startswith("failure()")
    assert "shre-api shre-worker" in undo["run"]
    # The rollout undo comes after the apply and the wait it reacts to.
    names = [step.get("id") or step.get("name") for step in job["steps"]]
    assert names.index("apply") < names.index(undo["name"])
    # The rollback is documented where the workflow is.
    assert "Rollback:" in _text(DEPLOY)
