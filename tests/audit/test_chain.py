"""The hash chain: its canonical form, and that verify names the first event an attacker
with write access to the database edited, removed, reordered or added."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shre.api.runtime import Runtime
from shre.audit import AuditTrail, AuditUnavailable, canonical, event_hash
from shre.audit.chain import GENESIS_HASH
from shre.audit.models import AuditEvent, AuditHead
from tests.support.audit import events, tamper, verify, write

optional_text = st.none() | st.text(max_size=40)


@st.composite
def stored_events(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "id": draw(st.uuids()),
        "seq": draw(st.integers(min_value=1, max_value=2**62)),
        "at": draw(st.datetimes(timezones=st.just(UTC))),
        "actor_id": draw(st.none() | st.uuids()),
        "actor_role": draw(optional_text),
        "client_ip": draw(optional_text),
        "request_id": draw(optional_text),
        "action": draw(st.text(min_size=1, max_size=40)),
        "target_type": draw(optional_text),
        "target_id": draw(optional_text),
        "target_ids": [str(u) for u in draw(st.lists(st.uuids(), max_size=3))],
        "fields": draw(st.lists(st.text(max_size=20), max_size=4)),
        "outcome": draw(st.sampled_from(["success", "failure", "denied"])),
        "prev_hash": draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
    }


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored_events())
def test_canonical_form_is_sorted_compact_utf8_json(event: dict[str, Any]) -> None:
    """Anyone can recompute a hash with a standard JSON library."""
    doc = {
        **event,
        "v": 1,
        "id": str(event["id"]),
        "actor_id": None if event["actor_id"] is None else str(event["actor_id"]),
        "at": event["at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    expected = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(event) == expected.encode()


def test_every_stored_field_is_covered_by_the_hash() -> None:
    base: dict[str, Any] = {
        "id": uuid.uuid4(),
        "seq": 7,
        "at": datetime(2026, 11, 26, 9, 15, 2, 417, tzinfo=UTC),
        "actor_id": uuid.uuid4(),
        "actor_role": "admin",
        "client_ip": "10.0.0.1",
        "request_id": "r1",
        "action": "user.update",
        "target_type": "user",
        "target_id": str(uuid.uuid4()),
        "target_ids": [str(uuid.uuid4())],
        "fields": ["role"],
        "outcome": "success",
        "prev_hash": GENESIS_HASH,
    }
    changed: dict[str, Any] = {
        "id": uuid.uuid4(),
        "seq": 8,
        "at": base["at"] + timedelta(microseconds=1),
        "actor_id": None,
        "actor_role": "hr",
        "client_ip": "10.0.0.2",
        "request_id": "r2",
        "action": "user.delete",
        "target_type": "employee",
        "target_id": str(uuid.uuid4()),
        "target_ids": [],
        "fields": ["role", "is_active"],
        "outcome": "failure",
        "prev_hash": "f" * 64,
    }
    assert set(changed) == set(base)
    original = event_hash(base)
    for name, value in changed.items():
        assert event_hash({**base, name: value}) != original, name
    # The time is taken to the microsecond and in UTC whatever the zone it comes in.
    in_other_zone = base["at"].astimezone(ZoneInfo("Asia/Tokyo"))
    assert event_hash({**base, "at": in_other_zone}) == original


async def test_an_empty_log_verifies(runtime: Runtime) -> None:
    report = await verify(runtime)
    assert report.ok
    assert report.checked == 0


async def test_events_form_a_linked_chain_ending_at_the_signed_head(runtime: Runtime) -> None:
    await write(runtime, 5)
    chain = await events(runtime)
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
        assert after.at >= before.at
    for event in chain:
        row = {c.name: getattr(event, c.name) for c in AuditEvent.__table__.columns}
        assert event_hash(row) == event.hash
    async with runtime.sessionmaker() as session:
        head = (await session.execute(select(AuditHead))).scalar_one()
    assert (head.seq, head.hash) == (5, chain[-1].hash)
    assert head.key_id == runtime.audit.sealer.primary_id
    report = await verify(runtime)
    assert report.ok
    assert report.checked == 5
    assert report.head_seq == 5


async def test_a_rolled_back_change_takes_its_event_along(runtime: Runtime) -> None:
    async with runtime.sessionmaker() as session:
        await AuditTrail.system(session, runtime.sessionmaker).record("test.lost")
        await session.rollback()
    async with runtime.sessionmaker() as session:
        trail = AuditTrail.system(session, runtime.sessionmaker)
        await trail.record("test.kept", fields=["b", "a", "b"])
        await session.commit()
    kept = await events(runtime)
    assert [e.action for e in kept] == ["test.kept"]
    assert kept[0].fields == ["a", "b"]
    assert kept[0].actor_role == "system"
    assert (await verify(runtime)).ok


async def test_a_read_event_is_committed_even_when_the_caller_rolls_back(
    runtime: Runtime,
) -> None:
    async with runtime.sessionmaker() as session:
        trail = AuditTrail.system(session, runtime.sessionmaker)
        await trail.record_read("test.read", target_type="thing", target_id="k-1")
        await session.rollback()
    assert [e.action for e in await events(runtime)] == ["test.read"]


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        ("Login", {}),
        ("auth", {}),
        ("auth.login", {"outcome": "maybe"}),
        ("auth.login", {"fields": ["salary: 85000"]}),
        ("auth.login", {"fields": ["DE89370400440532013000"]}),
        ("auth.login", {"target_type": "User"}),
        ("auth.login", {"target_id": "x" * 65}),
        ("auth.login", {"target_id": "a b"}),
        ("auth.login", {"target_ids": ["not-a-uuid"]}),
        ("auth.login", {"target_type": "t" * 33}),
    ],
)
async def test_malformed_events_are_refused_when_recorded(
    runtime: Runtime, action: str, kwargs: dict[str, Any]
) -> None:
    async with runtime.sessionmaker() as session:
        trail = AuditTrail.system(session, runtime.sessionmaker)
        with pytest.raises(ValueError, match="audit") as caught:
            await trail.record(action, **kwargs)
    for value in kwargs.values():  # the message never repeats what was passed
        assert str(value).strip("[]'") not in str(caught.value)


async def test_one_string_is_not_a_list_of_fields(runtime: Runtime) -> None:
    async with runtime.sessionmaker() as session:
        trail = AuditTrail.system(session, runtime.sessionmaker)
        with pytest.raises(TypeError):
            await trail.record("employee.update", fields="salary")


# --- tampering -----------------------------------------------------------------------------

EDITS = {
    "action": "UPDATE audit_events SET action = 'test.other' WHERE seq = 3",
    "fields": """UPDATE audit_events SET fields = '["salary"]' WHERE seq = 3""",
    "outcome": "UPDATE audit_events SET outcome = 'failure' WHERE seq = 3",
    "client_ip": "UPDATE audit_events SET client_ip = '198.51.100.1' WHERE seq = 3",
    "target_id": "UPDATE audit_events SET target_id = 'someone-else' WHERE seq = 3",
    "actor_id": "UPDATE audit_events SET actor_id = NULL WHERE seq = 3",
    # Another first digit (a hash that starts with "e" already would be left as it is).
    "prev_hash": "UPDATE audit_events SET prev_hash = CASE WHEN prev_hash LIKE 'e%' THEN 'f' "
    "ELSE 'e' END || substr(prev_hash, 2) WHERE seq = 3",
}


@pytest.mark.parametrize("column", sorted(EDITS))
async def test_an_edited_event_is_named(runtime: Runtime, column: str) -> None:
    await write(runtime, 5, target_id="k-1", actor_id=uuid.uuid4())
    third = (await events(runtime))[2]
    await tamper(runtime, EDITS[column])

    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_event_id == third.id
    assert report.first_bad_seq == 3
    assert report.reason is not None


async def test_an_edited_time_is_named(runtime: Runtime) -> None:
    await write(runtime, 4)
    second = (await events(runtime))[1]
    if runtime.engine.dialect.name == "postgresql":
        await tamper(runtime, "UPDATE audit_events SET at = at + interval '1 second' WHERE seq = 2")
    else:  # stored the way SQLAlchemy stores it: naive UTC text
        later = (second.at + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        await tamper(runtime, "UPDATE audit_events SET at = :at WHERE seq = 2", at=later)
    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_event_id == second.id


@pytest.mark.parametrize(("removed", "named"), [(1, 2), (3, 4)])
async def test_a_removed_event_is_found_at_the_next_one(
    runtime: Runtime, removed: int, named: int
) -> None:
    await write(runtime, 5)
    by_seq = {e.seq: e for e in await events(runtime)}
    await tamper(runtime, "DELETE FROM audit_events WHERE seq = :s", s=removed)

    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_event_id == by_seq[named].id
    assert report.reason is not None
    assert "removed" in report.reason


async def test_removing_and_renumbering_is_caught_by_the_links(runtime: Runtime) -> None:
    """The attacker closes the gap left by a deletion: seq numbers are contiguous again."""
    await write(runtime, 5)
    by_seq = {e.seq: e for e in await events(runtime)}
    await tamper(runtime, "DELETE FROM audit_events WHERE seq = 3")
    await tamper(runtime, "UPDATE audit_events SET seq = seq - 1 WHERE seq > 3")

    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_event_id == by_seq[4].id  # its hash covers its old seq


@pytest.mark.parametrize("column", ["seq", "at"])
async def test_swapping_two_events_is_found_at_the_first_of_them(
    runtime: Runtime, column: str
) -> None:
    await write(runtime, 3)
    await write(runtime, 3, action="test.later")
    chain = await events(runtime)
    a, b = chain[1], chain[4]
    if column == "seq":
        await tamper(runtime, "UPDATE audit_events SET seq = -1 WHERE seq = 2")
        await tamper(runtime, "UPDATE audit_events SET seq = 2 WHERE seq = 5")
        await tamper(runtime, "UPDATE audit_events SET seq = 5 WHERE seq = -1")
    else:
        await tamper(
            runtime,
            "UPDATE audit_events SET at = CASE seq WHEN 2 THEN (SELECT at FROM audit_events "
            "WHERE seq = 5) ELSE (SELECT at FROM audit_events WHERE seq = 2) END "
            "WHERE seq IN (2, 5)",
        )
        if a.at == b.at:
            pytest.skip("both events carry the same time stamp")

    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_seq == 2
    assert report.first_bad_event_id == (b.id if column == "seq" else a.id)


async def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(
    runtime: Runtime,
) -> None:
    """The attacker knows the algorithm: edits an event and recomputes its hash."""
    await write(runtime, 4)
    chain = await events(runtime)
    victim = chain[1]
    row = {c.name: getattr(victim, c.name) for c in AuditEvent.__table__.columns}
    row["action"] = "test.innocent"
    forged = event_hash(row)
    await tamper(
        runtime,
        "UPDATE audit_events SET action = 'test.innocent', hash = :h WHERE seq = 2",
        h=forged,
    )
    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_event_id == chain[2].id


async def _rewrite_tail(runtime: Runtime, start: int) -> None:
    """Recompute every hash from `start` on, as an attacker without the master key can."""
    chain = await events(runtime)
    prev = chain[start - 2].hash if start > 1 else GENESIS_HASH
    for event in chain[start - 1 :]:
        row = {c.name: getattr(event, c.name) for c in AuditEvent.__table__.columns}
        row["prev_hash"] = prev
        row["hash"] = event_hash(row)
        await tamper(
            runtime,
            "UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s",
            p=f"tmp-{event.seq}",
            h=f"tmp-h-{event.seq}",
            s=event.seq,
        )
        await tamper(
            runtime,
            "UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s",
            p=row["prev_hash"],
            h=row["hash"],
            s=event.seq,
        )
        prev = row["hash"]


async def test_a_consistently_rewritten_history_does_not_match_the_signed_head(
    runtime: Runtime,
) -> None:
    await write(runtime, 4)
    await tamper(runtime, "UPDATE audit_events SET action = 'test.innocent' WHERE seq = 2")
    await _rewrite_tail(runtime, 2)

    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_event_id is None
    assert report.reason is not None
    assert "head" in report.reason


async def test_removing_the_newest_events_is_caught_by_the_signed_head(runtime: Runtime) -> None:
    await write(runtime, 5)
    await tamper(runtime, "DELETE FROM audit_events WHERE seq >= 4")

    report = await verify(runtime)
    assert not report.ok
    assert report.checked == 3
    assert report.first_bad_event_id is None
    assert report.reason is not None
    assert "newest events were removed" in report.reason


async def test_a_forged_head_is_caught_and_stops_further_writes(runtime: Runtime) -> None:
    """Truncating the tail and moving the head back without the master key."""
    await write(runtime, 5)
    third = (await events(runtime))[2]
    await tamper(runtime, "DELETE FROM audit_events WHERE seq >= 4")
    await tamper(runtime, "UPDATE audit_head SET seq = 3, hash = :h", h=third.hash)

    report = await verify(runtime)
    assert not report.ok
    assert report.reason is not None
    assert "signature" in report.reason
    # Appending now would sign the forgery: writes fail closed instead.
    async with runtime.sessionmaker() as session:
        trail = AuditTrail.system(session, runtime.sessionmaker)
        with pytest.raises(AuditUnavailable):
            await trail.record_read("test.read")
    assert len(await events(runtime)) == 3


async def test_an_event_added_outside_shre_is_named(runtime: Runtime) -> None:
    """A well-formed event appended by SQL (correct seq, link and hash) is not covered by
    the signed head."""
    await write(runtime, 2)
    last = (await events(runtime))[-1]
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "seq": 3,
        "at": datetime.now(UTC),
        "actor_id": None,
        "actor_role": "admin",
        "client_ip": None,
        "request_id": None,
        "action": "user.create",
        "target_type": None,
        "target_id": None,
        "target_ids": [],
        "fields": [],
        "outcome": "success",
        "prev_hash": last.hash,
    }
    row["hash"] = event_hash(row)
    async with runtime.sessionmaker() as session:
        await session.execute(AuditEvent.__table__.insert().values(**row))
        await session.commit()

    report = await verify(runtime)
    assert not report.ok
    assert report.first_bad_event_id == row["id"]
    assert report.reason is not None
    assert "head" in report.reason


async def test_a_removed_head_is_reported_and_stops_further_writes(runtime: Runtime) -> None:
    await write(runtime, 2)
    await tamper(runtime, "DELETE FROM audit_head")
    report = await verify(runtime)
    assert not report.ok
    assert report.reason == "the head of the chain is missing"
    async with runtime.sessionmaker() as session:
        with pytest.raises(AuditUnavailable):
            await AuditTrail.system(session, runtime.sessionmaker).record_read("test.read")
    # The refused write left no new head behind to start a second chain from.
    assert (await verify(runtime)).reason == "the head of the chain is missing"


async def test_a_session_closed_without_commit_forgets_its_events(runtime: Runtime) -> None:
    session = runtime.sessionmaker()
    await session.execute(select(AuditHead))
    await AuditTrail.system(session, runtime.sessionmaker).record("test.lost")
    await session.close()
    await session.commit()  # the same session, a new transaction: nothing left to write
    await session.close()
    assert await events(runtime) == []
