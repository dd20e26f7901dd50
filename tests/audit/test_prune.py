"""Retention: pruning removes the oldest events behind a signed checkpoint, the rest still
verifies, and forged checkpoints or a broken prefix are caught."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shre.api.runtime import Runtime
from shre.app import build_runtime
from shre.audit import AuditChainBroken, prune
from shre.audit.models import AuditCheckpoint
from shre.settings import Settings
from tests.support.app import base_settings
from tests.support.audit import clock, events, tamper, verify, write

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=4000)
CUTOFF = NOW - timedelta(days=2555)


async def history(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, old: int, new: int) -> None:
    with clock(monkeypatch, OLD):
        await write(runtime, old, "test.old")
    await write(runtime, new, "test.new")


async def checkpoints(runtime: Runtime) -> list[AuditCheckpoint]:
    async with runtime.sessionmaker() as session:
        stmt = select(AuditCheckpoint).order_by(AuditCheckpoint.seq)
        return list((await session.execute(stmt)).scalars())


@pytest.mark.parametrize("batch", [2, 5000])
async def test_prune_leaves_a_checkpoint_and_a_chain_that_verifies(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    await history(runtime, monkeypatch, old=5, new=3)
    report = await prune(runtime.sessionmaker, older_than=CUTOFF, batch=batch)

    assert report.pruned == 5
    assert report.checkpoint_seq == 5
    left = await events(runtime)
    assert [e.action for e in left] == ["test.new"] * 3 + ["audit.prune"]
    assert left[0].seq == 6
    latest = (await checkpoints(runtime))[-1]
    assert (latest.seq, latest.at) == (5, OLD)
    assert left[-1].target_id == str(latest.id)
    result = await verify(runtime)
    assert result.ok, result
    assert (result.checked, result.checkpoint_seq) == (4, 5)

    # Nothing more is old enough: a second run removes nothing and writes no event.
    again = await prune(runtime.sessionmaker, older_than=CUTOFF)
    assert (again.pruned, again.checkpoint_seq) == (0, None)
    assert len(await events(runtime)) == 4
    # And new events keep extending the chain from where it was.
    await write(runtime, 2)
    assert (await verify(runtime)).ok


async def test_pruning_everything_keeps_the_head_and_the_checkpoint_in_step(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await history(runtime, monkeypatch, old=3, new=0)
    report = await prune(runtime.sessionmaker, older_than=NOW + timedelta(days=1))
    assert report.pruned == 3
    result = await verify(runtime)
    assert result.ok, result
    assert result.checkpoint_seq == 3


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_checkpoints SET hash = :h",
        "UPDATE audit_checkpoints SET seq = seq - 1",
        "UPDATE audit_checkpoints SET at = :at",
        "UPDATE audit_checkpoints SET mac = :h",
        "UPDATE audit_checkpoints SET key_id = 'deadbeef'",
    ],
)
async def test_a_forged_checkpoint_is_caught(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, sql: str
) -> None:
    await history(runtime, monkeypatch, old=4, new=2)
    await prune(runtime.sessionmaker, older_than=CUTOFF)
    stored_at = (OLD - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    at = stored_at if runtime.engine.dialect.name == "sqlite" else OLD - timedelta(days=1)
    await tamper(runtime, sql, h="a" * 64, at=at)

    result = await verify(runtime)
    assert not result.ok
    assert result.reason is not None
    assert "checkpoint" in result.reason
    with pytest.raises(AuditChainBroken):
        await prune(runtime.sessionmaker, older_than=CUTOFF)


async def test_removing_the_latest_checkpoint_exposes_the_gap(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock(monkeypatch, OLD):
        await write(runtime, 2)
        await prune(runtime.sessionmaker, older_than=CUTOFF)  # checkpoint at seq 2
        await write(runtime, 2)  # seq 3 is the prune's own event
    await write(runtime, 1, "test.new")
    await prune(runtime.sessionmaker, older_than=CUTOFF)  # checkpoint at seq 5
    first_left = (await events(runtime))[0]
    await tamper(runtime, "DELETE FROM audit_checkpoints WHERE seq = 5")

    result = await verify(runtime)
    assert not result.ok
    assert result.first_bad_event_id == first_left.id
    assert result.reason is not None
    assert "removed" in result.reason


async def test_a_broken_prefix_is_not_pruned(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pruning would destroy the evidence: it refuses, and removes nothing."""
    await history(runtime, monkeypatch, old=4, new=1)
    await tamper(runtime, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 2")
    with pytest.raises(AuditChainBroken, match="seq 2"):
        await prune(runtime.sessionmaker, older_than=CUTOFF)
    assert len(await events(runtime)) == 5
    assert await checkpoints(runtime) == []


class TestPostgresPrunePath:
    @pytest.fixture
    def backend(self) -> str:
        return "postgres"

    async def test_only_events_a_checkpoint_covers_can_be_deleted(
        self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await history(runtime, monkeypatch, old=2, new=2)
        await prune(runtime.sessionmaker, older_than=CUTOFF)  # checkpoint at seq 2
        async with runtime.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            with pytest.raises(Exception, match="append-only"):
                await raw.execute(  # type: ignore[union-attr]
                    "SELECT set_config('shre.audit_prune', 'on', true); "
                    "DELETE FROM audit_events WHERE seq = 3"
                )
        assert len(await events(runtime)) == 3


async def test_after_a_key_rotation_prune_re_signs_the_checkpoint(
    runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Checkpoints signed with a retired master key verify while it is configured; the
    next prune re-signs them, after which the retired key can go."""
    await history(runtime, monkeypatch, old=3, new=1)
    await prune(runtime.sessionmaker, older_than=CUTOFF)
    old_key = settings.master_key()
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()

    def rotated(*retired: bytes) -> Runtime:
        return build_runtime(
            base_settings(
                tmp_path,
                settings.database_url,
                encryption_key=new_key,
                encryption_old_keys=",".join(base64.b64encode(k).decode() for k in retired),
            )
        )

    during = rotated(old_key)
    try:
        assert (await verify(during)).ok
        await write(during, 1)  # the head is re-signed by every append
        report = await prune(during.sessionmaker, older_than=CUTOFF)
        assert report.resealed == 1
    finally:
        await during.engine.dispose()
    after = rotated()
    try:
        result = await verify(after)
        assert result.ok, result
    finally:
        await after.engine.dispose()
