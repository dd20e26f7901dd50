"""The headcount ledger (`shre.employees.headcount`): kept by every change made through
the API, it always holds what a count from scratch of the employees and their history
finds, on every day (events dated later this month left out), under concurrent writers,
after a migration counts an existing database, and `shre analytics check-headcount`
finds and repairs what a hand in the database broke."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from shre import migrate
from shre.api.runtime import Runtime
from shre.employees.headcount import NO_DEPARTMENT, HeadcountLedger, Tally, events
from shre.employees.models import HeadcountEntry
from shre.settings import Settings
from tests.support.accounts import Account
from tests.support.analytics import build_history, person
from tests.support.cli import command_env, invoke
from tests.support.employees import create_department, url


async def _differences(runtime: Runtime) -> Tally:
    async with runtime.sessionmaker() as session:
        return await HeadcountLedger(session).differences()


async def _as_of(runtime: Runtime, days: list[date]) -> list[tuple[date, Tally, Tally]]:
    """For each day: the ledger's events dated by then, and a count from scratch."""
    out = []
    async with runtime.sessionmaker() as session:
        ledger = HeadcountLedger(session)
        for day in days:
            out.append((day, await ledger.tally(day), await events(session, [], until=day)))
    return out


def _days(first: date, last: date, step: int = 1) -> list[date]:
    return [first + timedelta(days=n) for n in range(0, (last - first).days + 1, step)]


async def test_on_every_day_the_ledger_counts_what_the_history_says(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """The hand-built history (tests.support.analytics): hires, moves and leavers on
    known dates, read as of every day from before the first to after the last, so every
    month is also read with some of its events still ahead."""
    history = await build_history(client, admin)
    assert await _differences(runtime) == {}
    for day, kept, counted in await _as_of(runtime, _days(date(2024, 10, 25), date(2025, 7, 5))):
        assert kept == counted, day
    # As of 2025-02-10: F's move (2025-02-20) and B's hire (2025-02-01) in February
    # differ: the hire is counted, the move not yet.
    async with runtime.sessionmaker() as session:
        february = await HeadcountLedger(session).tally(date(2025, 2, 10))
    d = history.departments
    platform, eng = uuid.UUID(d["Platform"]), uuid.UUID(d["Engineering"])
    assert february[("hire", platform, None, 202502)] == 1
    assert ("move", platform, eng, 202502) not in february
    async with runtime.sessionmaker() as session:
        later = await HeadcountLedger(session).tally(date(2025, 2, 20))
    assert later[("move", platform, eng, 202502)] == 1


async def _call(
    client: httpx.AsyncClient, admin: Account, method: str, path: str, body: Any = None
) -> int:
    response = await client.request(method, path, json=body, headers=admin.headers)
    return response.status_code


async def test_any_sequence_of_changes_keeps_the_ledger_right(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """Seeded random changes through the API — hires on any date (some ahead), moves
    dated before the hire, between, after the termination, hire and termination dates
    changed, terminations, re-hires, refused changes — and after each the ledger agrees
    with a count from scratch."""
    rng = random.Random(17)
    today = date.today()
    departments: list[str | None] = [None]
    for name in ("North", "South", "East"):
        departments.append(await create_department(client, admin, name))
    people: list[str] = []

    def some_day() -> str:
        return (today + timedelta(days=rng.randint(-900, 45))).isoformat()

    statuses = []
    for step in range(45):
        choice = rng.random()
        if choice < 0.25 or len(people) < 3:
            who = await person(client, admin, f"R{step}", some_day(), rng.choice(departments))
            people.append(who)
            continue
        who = rng.choice(people)
        if choice < 0.55:
            body: dict[str, Any] = {
                "department_id": rng.choice(departments),
                "effective_date": some_day(),
            }
        elif choice < 0.65:
            body = {"hire_date": some_day()}
        elif choice < 0.8:
            body = {"termination_date": some_day(), "status": "terminated"}
        elif choice < 0.84:
            body = {"status": "active", "termination_date": None}
        elif choice < 0.88:  # before anyone's hire: refused, nothing written
            body = {"termination_date": "2001-01-01", "department_id": rng.choice(departments)}
        else:
            statuses.append(await _call(client, admin, "DELETE", url(who)))
            assert await _differences(runtime) == {}, step
            continue
        statuses.append(await _call(client, admin, "PATCH", url(who), body))
        assert await _differences(runtime) == {}, (step, body)
    # Both kinds happened: changes made, and changes refused
    assert 200 in statuses
    assert 422 in statuses
    days = [*_days(today - timedelta(days=910), today, step=29), today]
    days += [date(today.year, today.month, 1) + timedelta(days=n) for n in range(28)]
    for day, kept, counted in await _as_of(runtime, days):
        assert kept == counted, day


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_concurrent_hires_into_one_month_all_count(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """Twelve hires at once into one department and month add to one ledger row: none
    is lost, none deadlocks."""
    team = await create_department(client, admin, "Team")
    hired = "2025-03-10"
    await asyncio.gather(*(person(client, admin, f"C{n}", hired, team) for n in range(12)))
    async with runtime.sessionmaker() as session:
        count = await session.scalar(
            select(HeadcountEntry.count).where(
                HeadcountEntry.month == 202503,
                HeadcountEntry.kind == "hire",
                HeadcountEntry.other_department_id == NO_DEPARTMENT,
            )
        )
    assert count == 12
    assert await _differences(runtime) == {}


async def test_the_migration_counts_an_existing_database(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, settings: Settings
) -> None:
    """A database from before the ledger: down to 0010 (the ledger dropped) and up again,
    and the migration's count is the one the writes kept."""
    await build_history(client, admin)
    async with runtime.sessionmaker() as session:
        kept = await HeadcountLedger(session).tally(date.today())
    await runtime.engine.dispose()  # the migration takes its own connections
    await migrate.downgrade(settings, "20261206_0010")
    await migrate.upgrade(settings)
    assert await _differences(runtime) == {}
    async with runtime.sessionmaker() as session:
        assert await HeadcountLedger(session).tally(date.today()) == kept


async def test_check_headcount_finds_and_repairs_a_ledger_changed_by_hand(
    client: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    environment = command_env(settings, tmp_path / "var")
    await build_history(client, admin)
    agrees = await invoke(environment, "analytics", "check-headcount")
    assert agrees.exit_code == 0, agrees.output
    assert "agrees" in agrees.output

    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(HeadcountEntry)
            .where(HeadcountEntry.month == 202503, HeadcountEntry.kind == "leave")
            .values(count=HeadcountEntry.count + 2)
        )
    broken = await invoke(environment, "analytics", "check-headcount")
    assert broken.exit_code == 1
    assert "differs in 1 entries" in broken.output
    assert "2025-03 leave" in broken.output
    assert "+2 in the ledger" in broken.output

    repaired = await invoke(environment, "analytics", "check-headcount", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt" in repaired.output
    assert "agrees" in repaired.output
    assert await _differences(runtime) == {}
