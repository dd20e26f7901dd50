"""`shre seed-demo`: a consistent organisation whose values decrypt through the API, with
three years of history that reads as the API would have written it."""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.api.runtime import Runtime
from shre.db import create_engine, create_sessionmaker
from shre.demo.seed import DemoUser, seed_demo
from shre.departments.models import Department
from shre.employees.models import Employee, EmployeeChange
from shre.employees.vault import EmployeeVault
from shre.kit.errors import Conflict
from shre.policy import Role
from shre.users.passwords import PasswordHasher
from tests.support.app import base_settings
from tests.support.employees import EMPLOYEES


async def test_seed_demo_builds_a_usable_organisation(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    users = await seed_demo(
        runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 120
    )
    assert {u.role for u in users} == set(Role)
    # Generated for this run (finding 8 of issue 15: they were the same everywhere).
    passwords = [u.password for u in users]
    assert len(set(passwords)) == len(passwords)
    assert all(p is not None and len(p) >= 20 for p in passwords)
    assert "Saffron-Harbor-7312" not in passwords  # the admin's, once on every install

    def sign_in(role: Role) -> dict[str, str]:
        user = next(u for u in users if u.role is role)
        assert user.password is not None
        return {"email": user.email, "password": user.password}

    login = await client.post("/api/v1/auth/login", json=sign_in(Role.HR))
    hr = {"Authorization": f"Bearer {login.json()['access_token']}"}
    page = (
        await client.get("/api/v1/employees?page_size=500&fields=salary,ssn", headers=hr)
    ).json()
    assert page["total"] == 120
    people = page["items"]
    assert all(p["salary"] is not None and p["ssn"] for p in people)
    assert sum(p["manager_id"] is None for p in people) == 1  # one CEO
    assert any(p["status"] == "terminated" for p in people)
    hired = {p["hire_date"] for p in people}
    assert len(hired) > 50  # spread over years, not one day

    login = await client.post("/api/v1/auth/login", json=sign_in(Role.MANAGER))
    manager = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = (await client.get("/api/v1/me", headers=manager)).json()
    reports = (
        await client.get(f"/api/v1/employees/{me['employee_id']}/reports", headers=manager)
    ).json()
    assert reports
    assert all("status" in r and "salary" not in r for r in reports)

    # A second run refuses instead of mixing demo data into real data.
    again = await client.post("/api/v1/auth/login", json=sign_in(Role.ADMIN))
    assert again.status_code == 200
    with pytest.raises(Conflict, match="already has employees"):
        await seed_demo(
            runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 5
        )


# --- the history ---------------------------------------------------------------------
DEMO = 1000  # enough for a hire and a leaver in every month of three years
THREE_YEARS = timedelta(days=3 * 365 + 1)
REASONS = {"Resigned", "Relocated", "Retired", "Contract ended", "Dismissed"}
CREATED = {"job_title", "department_id", "manager_id", "status", "salary"}


@dataclass
class Seeded:
    """A seeded database as stored: employees by id, their history (by date) and the
    departments (id -> parent)."""

    people: dict[uuid.UUID, Employee]
    history: dict[uuid.UUID, list[EmployeeChange]]
    parents: dict[uuid.UUID, uuid.UUID | None]
    names: dict[uuid.UUID, str]

    def depth(self, person: Employee) -> int:
        depth = 0
        while person.manager_id is not None:
            person, depth = self.people[person.manager_id], depth + 1
        return depth

    def top(self, department: uuid.UUID) -> uuid.UUID:
        parent = self.parents[department]
        return department if parent is None else self.top(parent)

    def changes(self, person: Employee, field: str) -> list[EmployeeChange]:
        return [c for c in self.history[person.id] if c.field == field]


async def read_seeded(sessionmaker: async_sessionmaker[AsyncSession]) -> Seeded:
    async with sessionmaker() as session:
        people = (await session.execute(select(Employee))).scalars().all()
        changes = (
            (await session.execute(select(EmployeeChange).order_by(EmployeeChange.effective_date)))
            .scalars()
            .all()
        )
        departments = (await session.execute(select(Department))).scalars().all()
    history: dict[uuid.UUID, list[EmployeeChange]] = {p.id: [] for p in people}
    for change in changes:
        history[change.employee_id].append(change)
    return Seeded(
        {p.id: p for p in people},
        history,
        {d.id: d.parent_id for d in departments},
        {d.id: d.name for d in departments},
    )


def days_ago(today: date, day: date) -> int:
    return (today - day).days


async def test_seed_demo_makes_three_years_of_hires_leavers_moves_and_raises(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    users = await seed_demo(
        runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), DEMO
    )
    today = date.today()
    seeded = await read_seeded(runtime.sessionmaker)
    people = list(seeded.people.values())
    managers = {p.manager_id for p in people}

    # Leavers: a fifth at most, over the last three years, none who manages anyone nor
    # at the top of the tree; each with a reason and a status change on the day.
    leavers = [p for p in people if p.status == "terminated"]
    assert 0.15 <= len(leavers) / DEMO <= 0.20
    for person in leavers:
        assert person.termination_date is not None
        assert today - THREE_YEARS < person.termination_date <= today
        assert person.termination_date >= person.hire_date + timedelta(days=60)
        assert person.termination_reason in REASONS
        assert person.id not in managers
        assert seeded.depth(person) > 2
        last = seeded.changes(person, "status")[-1]
        assert (last.old_value, last.new_value) == ("active", "terminated")
        assert last.effective_date == person.termination_date
    stayed = [p for p in people if p.status != "terminated"]
    assert all(p.termination_date is None and p.termination_reason is None for p in stayed)

    # Hires over ten years, the top of the tree early; a good share of the others in the
    # last three years. In every month of those, someone joined and someone left.
    assert all(days_ago(today, p.hire_date) < 3650 for p in people)
    assert all(days_ago(today, p.hire_date) >= 2600 for p in people if seeded.depth(p) <= 2)
    others = [p for p in people if seeded.depth(p) > 2]
    recent = [p for p in others if p.hire_date > today - THREE_YEARS]
    assert 0.35 <= len(recent) / len(others) <= 0.45
    hires = Counter(days_ago(today, p.hire_date) // 30 for p in recent)
    assert all(hires[month] for month in range(36)), hires
    left = Counter(days_ago(today, p.termination_date or today) // 30 for p in leavers)
    assert all(left[month] for month in range(36)), left
    rates = []
    for month in range(36):
        start = today - timedelta(days=30 * (month + 1))
        staff = sum(p.hire_date <= start and (p.termination_date or today) > start for p in people)
        rates.append(left[month] / staff)
    assert 0.005 <= sum(rates) / len(rates) <= 0.02  # monthly turnover
    # Nobody reports to someone hired after them.
    for person in people:
        if person.manager_id is not None:
            assert seeded.people[person.manager_id].hire_date <= person.hire_date

    moved = 0
    for person in people:
        end = person.termination_date or today
        changes = seeded.history[person.id]
        assert all(person.hire_date <= c.effective_date <= end for c in changes)
        # Created as the API creates: each field set, at the hire date.
        created = {c.field for c in changes if c.old_value is None}
        top = person.manager_id is None  # the CEO: no manager, no department
        assert created == (CREATED - {"manager_id", "department_id"} if top else CREATED)
        assert all(c.effective_date == person.hire_date for c in changes if c.old_value is None)
        assert [c.new_value for c in seeded.changes(person, "job_title")] == [person.job_title]
        manager = [c.new_value for c in seeded.changes(person, "manager_id")]
        assert manager == ([str(person.manager_id)] if person.manager_id else [])
        status = seeded.changes(person, "status")
        assert status[0].new_value == "active"
        assert status[-1].new_value == person.status
        # Moves replay to the department of the record, within the branch, in the last
        # three years, between existing departments.
        departments = seeded.changes(person, "department_id")
        if person.department_id is None:
            assert not departments
            continue
        assert departments[0].old_value is None
        for before, after in itertools.pairwise(departments):
            assert after.old_value == before.new_value
            assert after.effective_date > before.effective_date
            assert after.effective_date > today - THREE_YEARS
        assert departments[-1].new_value == str(person.department_id)
        visited = {uuid.UUID(str(c.new_value)) for c in departments}
        assert visited <= seeded.parents.keys()
        assert len({seeded.top(d) for d in visited}) == 1
        moved += len(departments) > 1
        if len(departments) > 1:
            assert seeded.depth(person) > 2
    assert 0.10 <= moved / len(others) <= 0.20
    assert any(len(seeded.changes(p, "department_id")) == 3 for p in people)  # twice

    # Salaries, read through the API as HR: from the hire, a raise at each anniversary
    # (but for a stretch before some leavings), never down; the last is the record's.
    hr = await signed_in(client, users, Role.HR)
    salaries: dict[str, Decimal] = {}
    for page in (1, 2):
        listed = await client.get(
            EMPLOYEES, params={"page_size": 500, "page": page, "fields": "salary"}, headers=hr
        )
        salaries |= {p["id"]: Decimal(p["salary"]) for p in listed.json()["items"]}
    sample = sorted(people, key=lambda p: p.employee_number)[::10]
    raised = 0
    for person in sample:
        entries = (await client.get(f"{EMPLOYEES}/{person.id}/history", headers=hr)).json()
        pay = [e for e in entries if e["field"] == "salary"]
        assert pay[0]["old_value"] is None
        assert pay[0]["effective_date"] == person.hire_date.isoformat()
        for before, after in itertools.pairwise(pay):
            assert after["old_value"] == before["new_value"]
            old, new = Decimal(after["old_value"]), Decimal(after["new_value"])
            assert Decimal("1.019") <= new / old <= Decimal("1.151")
            when = date.fromisoformat(after["effective_date"])
            assert (when.month, when.day) in {
                (person.hire_date.month, person.hire_date.day),
                (2, 28),  # a 29 February hire, in a common year
            }
        assert all(Decimal(e["new_value"]).as_tuple().exponent == -2 for e in pay)
        assert Decimal(pay[-1]["new_value"]) == salaries[str(person.id)]
        raised += len(pay) > 2
    assert raised > len(sample) / 4


async def signed_in(client: httpx.AsyncClient, users: list[DemoUser], role: Role) -> dict[str, str]:
    user = next(u for u in users if u.role is role)
    login = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def test_seed_demo_gives_the_same_organisation_for_a_seed(
    runtime: Runtime, sqlite_template: Path, tmp_path: Path
) -> None:
    """Twice with the same seed (here and in another database): the same people, dates,
    departments and history; another seed, another organisation."""

    async def seeded_in(sessionmaker: async_sessionmaker[AsyncSession], seed: int) -> Any:
        await seed_demo(
            sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 300, seed=seed
        )
        return described(await read_seeded(sessionmaker), runtime.part(EmployeeVault))

    here = await seeded_in(runtime.sessionmaker, 7)
    for seed, same in ((7, True), (8, False)):
        path = tmp_path / f"other-{seed}.db"
        shutil.copy(sqlite_template, path)
        engine = create_engine(base_settings(tmp_path, f"sqlite+aiosqlite:///{path}"))
        try:
            assert (await seeded_in(create_sessionmaker(engine), seed) == here) is same
        finally:
            await engine.dispose()


def described(seeded: Seeded, vault: EmployeeVault) -> Any:
    """The organisation without its random ids: departments by name, people by number,
    salaries opened."""
    number = {p.id: p.employee_number for p in seeded.people.values()}
    name = {str(k): v for k, v in seeded.names.items()} | {str(k): v for k, v in number.items()}

    def value(person: Employee, change: EmployeeChange) -> tuple[Any, ...]:
        if change.field == "salary":
            assert person.dek_wrapped is not None
            return vault.open_change(vault.box_for(person.id, person.dek_wrapped), change)
        return tuple(name.get(str(v), v) for v in (change.old_value, change.new_value))

    return sorted(
        (
            p.employee_number,
            p.first_name,
            p.last_name,
            p.job_title,
            seeded.names.get(p.department_id) if p.department_id else None,
            number.get(p.manager_id) if p.manager_id else None,
            p.status,
            p.hire_date,
            p.termination_date,
            p.termination_reason,
            sorted((c.field, c.effective_date, *value(p, c)) for c in seeded.history[p.id]),
        )
        for p in seeded.people.values()
    )
