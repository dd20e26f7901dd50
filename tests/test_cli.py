"""The `shre` command line and a real server started the way `make run` starts it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cli import Server, clean_env, shre

pytestmark = pytest.mark.server


def test_help_explains_each_command(tmp_path: Path) -> None:
    result = shre(tmp_path, "--help")
    assert result.returncode == 0
    for command in ["serve", "migrate", "create-admin", "ensure-admin"]:
        assert re.search(rf"{command}\s+\S", result.stdout), command
    for command in ["serve", "migrate", "create-admin"]:
        sub = shre(tmp_path, command, "--help")
        assert sub.returncode == 0
        assert "Usage" in sub.stdout


def test_create_admin(tmp_path: Path) -> None:
    assert shre(tmp_path, "migrate").returncode == 0
    created = shre(
        tmp_path, "create-admin", "--email", "Boss@Example.com", "--password", "a long passphrase 1"
    )
    assert created.returncode == 0, created.stderr
    assert "created admin boss@example.com" in created.stdout
    again = shre(
        tmp_path, "create-admin", "--email", "boss@example.com", "--password", "a long passphrase 1"
    )
    assert again.returncode == 1
    assert "exists" in again.stderr
    weak = shre(tmp_path, "create-admin", "--email", "x@example.com", "--password", "short")
    assert weak.returncode == 1
    assert "at least 12" in weak.stderr
    bad_email = shre(
        tmp_path, "create-admin", "--email", "nope", "--password", "a long passphrase 1"
    )
    assert bad_email.returncode == 1
    assert "email" in bad_email.stderr
    no_password = shre(tmp_path, "create-admin", "--email", "y@example.com")
    assert no_password.returncode == 2
    assert "--password is required" in no_password.stderr
    reset = shre(
        tmp_path,
        "create-admin",
        "--email",
        "boss@example.com",
        "--password",
        "another passphrase 2",
        "--force",
    )
    assert reset.returncode == 0, reset.stderr
    assert "reset admin" in reset.stdout


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    return tmp_path


def test_first_run_flow_is_idempotent_and_keeps_data(workdir: Path, free_port: int) -> None:
    """What `make run` does, twice: migrate, ensure an admin (password printed once), serve."""
    env = clean_env(SHRE_PORT=str(free_port))
    assert shre(workdir, "migrate", env=env).returncode == 0
    first = shre(workdir, "ensure-admin", env=env)
    assert first.returncode == 0, first.stderr
    match = re.search(r"generated password \(shown once\): (\S+)", first.stdout)
    assert match, first.stdout
    password = match.group(1)
    assert (workdir / "var" / "shre.db").exists()

    server = Server(workdir, free_port, env)
    try:
        login = httpx.post(
            server.url + "/api/v1/auth/login",
            json={"email": "admin@example.com", "password": password},
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert httpx.get(server.url + "/api/v1/me", headers=headers).json()["role"] == "admin"
        created = httpx.post(
            server.url + "/api/v1/users",
            headers=headers,
            json={
                "email": "hr@example.com",
                "password": "hr pass phrase 123",
                "full_name": "Hedda R",
                "role": "hr",
            },
        )
        assert created.status_code == 201, created.text
        assert (
            httpx.post(
                server.url + "/api/v1/auth/login",
                json={"email": "hr@example.com", "password": "hr pass phrase 123"},
            ).status_code
            == 200
        )
    finally:
        log = server.stop()
    # Shut down cleanly, engine disposed.
    assert "app.stopped" in [
        json.loads(line)["message"] for line in log.splitlines() if line.startswith("{")
    ]
    assert password not in log

    # Second run: nothing regenerated, nothing lost.
    assert shre(workdir, "migrate", env=env).returncode == 0
    second = shre(workdir, "ensure-admin", env=env)
    assert second.returncode == 0
    assert "generated password" not in second.stdout
    server = Server(workdir, free_port, env)
    try:
        login = httpx.post(
            server.url + "/api/v1/auth/login",
            json={"email": "hr@example.com", "password": "hr pass phrase 123"},
        )
        assert login.status_code == 200
        assert (
            httpx.post(
                server.url + "/api/v1/auth/login",
                json={"email": "admin@example.com", "password": password},
            ).status_code
            == 200
        )
    finally:
        server.stop()


def test_ensure_admin_uses_the_configured_credentials(workdir: Path) -> None:
    env = clean_env(SHRE_ADMIN_EMAIL="ops@example.org", SHRE_ADMIN_PASSWORD="Quartz river 9042")
    assert shre(workdir, "migrate", env=env).returncode == 0
    result = shre(workdir, "ensure-admin", env=env)
    assert result.returncode == 0
    assert "created admin ops@example.org" in result.stdout
    assert "Quartz river 9042" not in result.stdout + result.stderr


def test_settings_from_the_environment_win(workdir: Path, free_port: int) -> None:
    db = workdir / "elsewhere" / "custom.db"
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{db}", SHRE_VAR_DIR=str(workdir / "state"))
    assert shre(workdir, "migrate", env=env).returncode == 0
    assert db.exists()
    assert not (workdir / "var" / "shre.db").exists()
    assert (workdir / "state" / "keys" / "jwt_secret").exists()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal")
def test_create_admin_asks_for_the_password_on_a_terminal(tmp_path: Path) -> None:
    assert shre(tmp_path, "migrate").returncode == 0
    session = f"shre-{uuid.uuid4().hex[:8]}"
    command = (
        f"cd {shlex.quote(str(tmp_path))} && {shlex.quote(sys.executable)} -m shre "
        "create-admin --email tty@example.com; sleep 60"
    )
    tmux = ["tmux", "-L", session]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "200", "-y", "50", command],
        check=True,
        env=clean_env(),
    )

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
        ).stdout

    def wait_for(text: str) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if text in (shown := screen()):
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared:\n{screen()}")

    def type_line(text: str) -> None:
        subprocess.run([*tmux, "send-keys", "-t", session, text, "Enter"], check=True)

    try:
        wait_for("Password:")
        time.sleep(0.3)  # the prompt turns echo off just after printing itself
        subprocess.run(
            [*tmux, "send-keys", "-t", session, "quiet meadow 4471", "Enter"], check=True
        )
        wait_for("Repeat for confirmation:")
        time.sleep(0.3)
        subprocess.run(
            [*tmux, "send-keys", "-t", session, "quiet meadow 4471", "Enter"], check=True
        )
        shown = wait_for("created admin tty@example.com")
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
    assert "quiet meadow" not in shown  # typed without echo


def test_demo_data_and_key_commands(workdir: Path) -> None:
    """seed-demo, then a master-key rotation driven the way an operator would."""
    old_key = shre(workdir, "keys", "generate").stdout.strip()
    new_key = shre(workdir, "keys", "generate").stdout.strip()
    assert old_key != new_key
    env = clean_env(ENCRYPTION_KEY=old_key)
    assert shre(workdir, "migrate", env=env).returncode == 0
    seeded = shre(workdir, "seed-demo", "--employees", "40", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "demo-hr@demo.shre.example" in seeded.stdout
    assert "Saffron-Harbor-7312" not in seeded.stdout  # no fixed passwords any more
    assert shre(workdir, "seed-demo", "--employees", "5", env=env).returncode == 1  # not twice

    rotating = clean_env(ENCRYPTION_KEY=new_key, ENCRYPTION_OLD_KEYS=old_key)
    before = shre(workdir, "keys", "status", env=rotating)
    assert "pending rotation: 40" in before.stdout
    rotated = shre(workdir, "keys", "rotate", "--batch-size", "7", env=rotating)
    assert rotated.returncode == 0, rotated.stderr
    assert "40 data keys re-wrapped" in rotated.stdout
    after = shre(workdir, "keys", "status", env=clean_env(ENCRYPTION_KEY=new_key))
    assert "pending rotation: 0" in after.stdout
    assert old_key not in before.stdout + rotated.stdout + after.stdout

    refused = shre(workdir, "keys", "shred", "not-a-uuid", "--yes", env=rotating)
    assert refused.returncode == 2


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_sqlite_database_and_its_side_files_are_private(workdir: Path, free_port: int) -> None:
    """Finding 9 of issue 15: the database file was 0644 (so its -wal and -shm were too)
    while the keys and uploads are 0600."""
    db = workdir / "data" / "shre.db"
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{db}", SHRE_PORT=str(free_port))
    umask = os.umask(0o022)  # the usual one, which SQLite's own 0644 would pass
    try:
        assert shre(workdir, "migrate", env=env).returncode == 0
        assert _mode(db) == 0o600
        assert _mode(db.parent) == 0o700
        assert _mode(workdir / "var") == 0o700  # made for the development keys
        server = Server(workdir, free_port, env)
        try:
            # A write (a counted failed sign-in) while the server holds the database open.
            failed = httpx.post(
                server.url + "/api/v1/auth/login",
                json={"email": "nobody@example.com", "password": "not the password"},
            )
            assert failed.status_code == 401
            for name in ("shre.db", "shre.db-wal", "shre.db-shm"):
                assert _mode(db.parent / name) == 0o600, name
        finally:
            server.stop()

        # A database made by an older shre (0644) is tightened at start-up, with the side
        # files SQLite keeps (an empty -wal here), before they are opened.
        db.chmod(0o644)
        wal = db.with_name("shre.db-wal")
        wal.touch()
        wal.chmod(0o644)
        server = Server(workdir, free_port, env)
        try:
            assert (_mode(db), _mode(wal)) == (0o600, 0o600)
        finally:
            server.stop()
        db.chmod(0o640)
        assert shre(workdir, "migrate", env=env).returncode == 0
        assert _mode(db) == 0o600
    finally:
        os.umask(umask)


def test_seed_demo_refuses_in_production_and_generates_passwords(workdir: Path) -> None:
    """Finding 8 of issue 15: seed-demo ran in production and created sign-ins with
    passwords that were the same on every installation."""
    production = clean_env(
        SHRE_ENV="production",
        ENCRYPTION_KEY=shre(workdir, "keys", "generate").stdout.strip(),
        JWT_SECRET=uuid.uuid4().hex + uuid.uuid4().hex,
    )
    assert shre(workdir, "migrate", env=production).returncode == 0
    refused = shre(workdir, "seed-demo", "--employees", "5", env=production)
    assert refused.returncode == 2
    assert "refuses to run in production" in refused.stderr
    assert "demo" not in refused.stdout
    development = {**production, "SHRE_ENV": "development"}
    seeded = shre(workdir, "seed-demo", "--employees", "5", env=development)
    assert seeded.returncode == 0, seeded.stderr  # nothing was written by the refusal
    printed = dict(re.findall(r"^  (\w+)\s+\S+@demo\.shre\.example\s+(\S+)$", seeded.stdout, re.M))
    assert set(printed) == {"admin", "hr", "manager", "employee"}
    assert len(set(printed.values())) == 4
    assert all(len(p) >= 20 for p in printed.values())


def test_a_forwarded_address_is_kept_only_when_it_is_an_ip_address(
    workdir: Path, free_port: int
) -> None:
    """Finding 13 of issue 15: behind a trusted proxy (here: we are 127.0.0.1, trusted by
    default) X-Forwarded-For was stored as the audit event's client_ip unchecked, and each
    made-up value was a fresh bucket of the per-address sign-in throttle."""
    env = clean_env(
        SHRE_PORT=str(free_port),
        SHRE_ADMIN_PASSWORD="Quartz river 9042",
        LOGIN_MAX_FAILURES_PER_ADDRESS="3",
    )
    assert shre(workdir, "migrate", env=env).returncode == 0
    assert shre(workdir, "ensure-admin", env=env).returncode == 0
    server = Server(workdir, free_port, env)
    try:

        def fail_login(forwarded: str) -> httpx.Response:
            return httpx.post(
                server.url + "/api/v1/auth/login",
                json={"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "wrong one"},
                headers={"X-Forwarded-For": forwarded},
            )

        assert fail_login("203.0.113.7").status_code == 401
        assert fail_login("<script>alert(1)</script>").status_code == 401
        assert fail_login("not-an-ip").status_code == 401
        # Garbage shares one bucket: a third made-up value is refused, not a fresh start.
        assert fail_login("also <garbage>").status_code == 401
        assert fail_login("more garbage").status_code == 429
        assert fail_login("203.0.113.8").status_code == 401  # another address: its own

        login = httpx.post(
            server.url + "/api/v1/auth/login",
            json={"email": "admin@example.com", "password": "Quartz river 9042"},
        )
        assert login.status_code == 200, login.text
        events = httpx.get(
            server.url + "/api/v1/audit",
            params={"action": "auth.*", "page_size": 50},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        ).json()["items"]
        addresses = [e["client_ip"] for e in events]
        assert "203.0.113.7" in addresses
        assert "203.0.113.8" in addresses
        assert addresses.count(None) >= 4  # the garbage ones, kept as "no address"
        assert not any(a and ("<" in a or "garbage" in a) for a in addresses)
    finally:
        log = server.stop()
    assert "<script>" not in log  # nor in the access log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert "203.0.113.7" in [line.get("client", {}).get("ip") for line in lines]


def test_serve_refuses_a_database_behind_the_release(workdir: Path, free_port: int) -> None:
    """`shre serve` before `shre migrate` says what to do instead of failing at start-up."""
    env = clean_env()
    refused = shre(workdir, "serve", "--port", str(free_port), env=env)
    assert refused.returncode == 1
    assert "not migrated: run `shre migrate` first" in refused.stderr
    assert shre(workdir, "migrate", "20261205_0007", env=env).returncode == 0
    behind = shre(workdir, "serve", "--port", str(free_port), env=env)
    assert behind.returncode == 1
    assert "at revision 20261205_0007" in behind.stderr
