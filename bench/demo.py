"""The demo organisation a benchmark measures, and how it signs in: `shre seed-demo`
prints a random password for each demo account, once (seed-demo is refused in
production, so it runs as development; the servers measured run as production).

For a database seeded earlier (`--seeded`), keep what seed-demo printed and pass the
file with `--seed-output FILE`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SIGN_IN = re.compile(r"^\s+(admin|hr|manager|employee)\s+(\S+@\S+)\s+(\S+)\s*$")


@dataclass(frozen=True)
class Demo:
    """Each demo role's email and password."""

    accounts: dict[str, tuple[str, str]]

    @classmethod
    def parse(cls, printed: str) -> Demo:
        accounts = {
            m.group(1): (m.group(2), m.group(3))
            for m in (_SIGN_IN.match(line) for line in printed.splitlines())
            if m is not None
        }
        missing = {"admin", "hr", "manager", "employee"} - accounts.keys()
        if missing:
            raise SystemExit(
                f"no demo sign-in for {', '.join(sorted(missing))} in seed-demo's output"
            )
        return cls(accounts)

    @classmethod
    def read(cls, path: Path) -> Demo:
        return cls.parse(path.read_text(encoding="utf-8"))

    def email(self, role: str) -> str:
        return self.accounts[role][0]

    def password(self, role: str) -> str:
        return self.accounts[role][1]


def seed(env: dict[str, str], cwd: Path, employees: int) -> tuple[Demo, float]:
    """`shre seed-demo --employees N` on the benchmark's database: its sign-ins and how
    long it took (seconds). Its output is kept in `cwd/seed-demo.txt`."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "shre", "seed-demo", "--employees", str(employees)],
        env={**env, "SHRE_ENV": "development"},
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    (cwd / "seed-demo.txt").write_text(done.stdout, encoding="utf-8")
    return Demo.parse(done.stdout), seconds


def demo_of(seed_output: str | None) -> Demo:
    """The sign-ins of a database seeded earlier (`--seeded`)."""
    if seed_output is None:
        raise SystemExit(
            "--seeded needs --seed-output FILE: what `shre seed-demo` printed when it "
            "seeded that database (its passwords are made per run)"
        )
    return Demo.read(Path(seed_output))


ADMIN_URL = "postgresql://127.0.0.1:5432/test"


@contextmanager
def scratch_database(given: str | None, prefix: str) -> Iterator[str]:
    """The database a benchmark measures: `given` (--database-url) as it is, or else a
    PostgreSQL database of its own on 127.0.0.1:5432, created now and dropped afterwards.
    Yields its asyncpg URL."""
    if given is not None:
        yield given
        return
    name = f"{prefix}_{os.getpid()}"
    subprocess.run(["psql", ADMIN_URL, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield f"postgresql+asyncpg://127.0.0.1:5432/{name}"
    finally:
        subprocess.run(
            ["psql", ADMIN_URL, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=False,
        )
