"""`shre audit verify | export | prune`, through typer's CliRunner against the test's
database (the commands build their own runtime from the environment, as in production)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shre.api.runtime import Runtime
from shre.audit import event_hash
from shre.audit.chain import GENESIS_HASH
from shre.settings import Settings
from tests.support.audit import clock, events, tamper, write
from tests.support.cli import command_env, invoke

OLD = datetime.now(UTC) - timedelta(days=400)


@pytest.fixture
def environment(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The variables that point the CLI at this test's database and keys."""
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    return command_env(settings, tmp_path / "var", AUDIT_RETENTION_DAYS="365")


async def test_verify_ok_then_broken(runtime: Runtime, environment: dict[str, str]) -> None:
    await write(runtime, 3)
    ok = await invoke(environment, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "audit chain ok: 3 events checked" in ok.stdout

    second = (await events(runtime))[1]
    await tamper(runtime, "UPDATE audit_events SET action = 'test.other' WHERE seq = 2")
    broken = await invoke(environment, "audit", "verify")
    assert broken.exit_code == 1
    assert "BROKEN" in broken.stdout
    assert f"first bad event: id {second.id}, seq 2, action test.other" in broken.stdout


async def test_export_writes_json_lines_that_recompute(
    runtime: Runtime,
    environment: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with clock(monkeypatch, OLD):
        await write(runtime, 2, "test.old")
    await write(runtime, 3, "test.new", fields=["salary"], target_id="e-9")
    out = tmp_path / "audit.jsonl"

    result = await invoke(environment, "audit", "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    # Recorded before it reads: the export's own event is part of what it exports.
    assert [e["action"] for e in lines] == ["test.old"] * 2 + ["test.new"] * 3 + ["audit.export"]
    prev = GENESIS_HASH
    for line in lines:
        assert line["prev_hash"] == prev
        stored = {**line, "at": datetime.fromisoformat(line["at"])}
        assert event_hash(stored) == line["hash"]  # checkable outside shre
        prev = line["hash"]
    assert lines[2]["fields"] == ["salary"]

    since = (OLD + timedelta(days=1)).date().isoformat()
    recent = await invoke(environment, "audit", "export", "--since", since)
    assert recent.exit_code == 0, recent.output
    actions = [json.loads(line)["action"] for line in recent.stdout.splitlines()]
    assert actions == ["test.new"] * 3 + ["audit.export"] * 2
    until = await invoke(environment, "audit", "export", "--until", since)
    assert [json.loads(line)["action"] for line in until.stdout.splitlines()] == ["test.old"] * 2

    bad = await invoke(environment, "audit", "export", "--since", "last tuesday")
    assert bad.exit_code == 2
    assert "--since" in bad.stderr


async def test_prune_dry_run_then_prune(
    runtime: Runtime, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock(monkeypatch, OLD):
        await write(runtime, 4, "test.old")
    await write(runtime, 2, "test.new")

    dry = await invoke(environment, "audit", "prune", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "4 audit events are older than" in dry.stdout
    assert len(await events(runtime)) == 6

    done = await invoke(environment, "audit", "prune", "--batch-size", "3")
    assert done.exit_code == 0, done.output
    assert "pruned 4 audit events" in done.stdout
    assert "checkpoint at seq 4" in done.stdout
    assert [e.action for e in await events(runtime)] == ["test.new"] * 2 + ["audit.prune"]
    verified = await invoke(environment, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "from the checkpoint at seq 4" in verified.stdout


async def test_prune_refuses_a_broken_chain(
    runtime: Runtime, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock(monkeypatch, OLD):
        await write(runtime, 3, "test.old")
    await tamper(runtime, "DELETE FROM audit_events WHERE seq = 2")
    result = await invoke(environment, "audit", "prune")
    assert result.exit_code == 1
    assert "refusing to prune" in result.stderr
    assert len(await events(runtime)) == 2
