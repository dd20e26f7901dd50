"""requirements/*.lock pin the whole dependency tree with hashes (`make lock` writes them
from pyproject.toml): what `make run`, `make test`, the image and CI install. Each must
hold every requirement of its extras at a version the requirement admits, with hashes,
and the three must agree where they overlap."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
EXTRAS = {"runtime": (), "ai": ("ai",), "dev": ("ai", "dev")}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(text: str) -> dict[str, tuple[Version, int]]:
    """name -> (version, number of hashes), from a pip-compile lock."""
    found: dict[str, tuple[Version, int]] = {}
    name = None
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            name = canonicalize_name(match[1])
            found[name] = (Version(match[2]), 0)
        elif name is not None and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
    return found


def requirements(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        wanted += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return [r for r in wanted if r.marker is None or r.marker.evaluate()]


@pytest.mark.parametrize("lock", sorted(EXTRAS))
def test_a_lock_pins_every_requirement_within_its_bounds_with_hashes(lock: str) -> None:
    pinned = pins((LOCKS / f"{lock}.lock").read_text(encoding="utf-8"))
    for requirement in requirements(EXTRAS[lock]):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock}.lock lacks {requirement}: run `make lock`"
        version, _ = pinned[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock}.lock pins {name}=={version}, outside {requirement}: run `make lock`"
        )
    unhashed = sorted(name for name, (_, hashes) in pinned.items() if hashes == 0)
    assert not unhashed, f"{lock}.lock pins without a hash: {unhashed}"


def test_the_locks_agree_and_torch_is_the_cpu_build() -> None:
    runtime, ai, dev = (
        pins((LOCKS / f"{lock}.lock").read_text(encoding="utf-8"))
        for lock in ("runtime", "ai", "dev")
    )
    for smaller, larger in ((runtime, ai), (ai, dev)):
        assert set(smaller) <= set(larger)
        assert {n: v for n, (v, _) in smaller.items()} == {n: larger[n][0] for n in smaller}
    assert "torch" not in runtime
    assert ai["torch"][0].local == "cpu"
    assert not any(name.startswith("nvidia-") for name in dev)  # no CUDA build


def test_pins_are_read_from_a_lock_as_pip_compile_writes_it() -> None:
    text = "\n".join(
        [
            "a-b==1.2 \\",
            "    --hash=sha256:00",
            "    # via x",
            "c==3 \\",
            "    --hash=sha256:1 \\",
            "    --hash=sha256:2",
            "d==4",
        ]
    )
    assert pins(text) == {
        "a-b": (Version("1.2"), 1),
        "c": (Version("3"), 2),
        "d": (Version("4"), 0),
    }
