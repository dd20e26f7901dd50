"""`shre seed-demo`: a realistic organisation to try shre with: a department tree, a
reporting tree, job titles and salaries by level, three years of history, and one user
per role with a password generated for this run (shown once by the command, never the
same on two installations). Values are sealed exactly as the API does. The command
refuses to run in production.

The history is one that charts of headcount, turnover, tenure and pay can be drawn from
(`shre.demo.careers` makes it). Hires spread over ten years, some 40% of them in the last
three (the top of the tree joined early). In every month of the last three years some
were hired and some left: a fifth of all employees, none at the top of the tree nor
anyone with reports, each with a date at least 60 days after their hire and a reason.
About one in seven below the top moved once or twice between the departments of their
branch, and everyone got a raise at each hire anniversary (2-6%, in the last three
years now and then 8-15%) — except that most leavers had gone without one for the 13-24
months before they left (and about one in eight who stay, lately): the signal the
attrition model is to find (`careers.stalled`). Each employee's `employee_history`
reads as if it were made through the API: their creation (each tracked field set, at
the hire date), then each move, raise, leave or leaving at its date; their record holds
the last value of each."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.crypto import FieldBox
from shre.db import refresh_statistics, utcnow
from shre.demo import careers
from shre.departments.models import Department
from shre.employees.headcount import HeadcountLedger
from shre.employees.models import EMPLOYMENT_TYPES, Employee, EmployeeChange
from shre.employees.paycells import PayCells
from shre.employees.vault import EmployeeVault
from shre.kit.errors import Conflict
from shre.policy import Role
from shre.users.models import User
from shre.users.passwords import PasswordHasher, password_problems

FIRST = [
    "Ada",
    "Alan",
    "Amara",
    "Aziz",
    "Bea",
    "Bruno",
    "Chen",
    "Chiara",
    "Dara",
    "Diego",
    "Elif",
    "Emil",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Ibrahim",
    "Ines",
    "Jonas",
    "Julia",
    "Kenji",
    "Kira",
    "Lars",
    "Lea",
    "Malik",
    "Maya",
    "Nadia",
    "Nils",
    "Olga",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Ravi",
    "Sara",
    "Sven",
    "Tariq",
    "Tove",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Yusuf",
    "Zoe",
    "Zeno",
]
LAST = [
    "Abe",
    "Alvarez",
    "Berg",
    "Bianchi",
    "Chowdhury",
    "Costa",
    "Dahl",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Kaur",
    "Kowalski",
    "Laine",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Petrov",
    "Quinn",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Torres",
    "Umar",
    "Varga",
    "Weber",
    "Wong",
    "Yilmaz",
    "Zhang",
    "Ziegler",
]
DEPARTMENTS = {
    "Engineering": ["Platform", "Product Engineering", "Security"],
    "Sales": ["Sales EMEA", "Sales Americas"],
    "Marketing": ["Brand", "Growth"],
    "Finance": ["Accounting", "Payroll"],
    "People": ["Recruiting", "People Operations"],
    "Operations": ["Facilities", "IT Support"],
    "Customer Success": ["Support", "Onboarding"],
    "Legal": [],
}
# level (depth in the reporting tree) -> title, salary band (EUR)
LEVELS = [
    ("Chief Executive Officer", 240_000, 260_000),
    ("Vice President", 170_000, 200_000),
    ("Director", 130_000, 160_000),
    ("Manager", 95_000, 120_000),
    ("Senior Specialist", 70_000, 92_000),
    ("Specialist", 50_000, 70_000),
    ("Associate", 38_000, 50_000),
]
LOCATIONS = [("Berlin", "EUR"), ("Lisbon", "EUR"), ("London", "GBP"), ("New York", "USD")]
BATCH = 2000
# Written as tables, not through the ORM: its bulk insert leaves out the None values and
# cuts a batch into one statement per run of rows with the same columns set.
EMPLOYEES = cast(Table, Employee.__table__)
HISTORY = cast(Table, EmployeeChange.__table__)
FANOUT = 8


@dataclass(frozen=True, slots=True)
class DemoUser:
    role: Role
    email: str
    password: str | None  # None: the account existed already, its password unchanged


def new_password(email: str) -> str:
    """A random password (144 bits) that the password rule accepts."""
    while True:
        candidate = secrets.token_urlsafe(18)
        if not password_problems(candidate, email):
            return candidate


async def seed_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    vault: EmployeeVault,
    hasher: PasswordHasher,
    count: int,
    *,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> list[DemoUser]:
    async with sessionmaker() as session, session.begin():
        if (await session.execute(select(Employee.id).limit(1))).first() is not None:
            raise Conflict("The database already has employees; seed-demo needs an empty one")
        branches: list[list[uuid.UUID]] = []  # each top department, then those under it
        for name, subs in DEPARTMENTS.items():
            top = uuid.uuid4()
            units = [uuid.uuid4() for _ in subs]
            session.add(Department(id=top, name=name))
            session.add_all(
                Department(id=unit, name=sub, parent_id=top)
                for unit, sub in zip(units, subs, strict=True)
            )
            branches.append([top, *units])
    organisation = _Organisation(vault, branches, count, seed)
    for start in range(0, count, BATCH):
        stop = min(count, start + BATCH)
        await _write(sessionmaker, *organisation.batch(start, stop))
        if progress is not None:
            progress(stop)
    users = await _demo_users(sessionmaker, hasher, organisation.ids, organisation.depth)
    # Written in bulk, not through the service: the headcount ledger is counted once.
    async with sessionmaker() as session, session.begin():
        await HeadcountLedger(session).rebuild()
    await refresh_statistics(
        sessionmaker, ("employees", "employee_history", "departments", "headcount_events")
    )
    # The pay cells, sealed now (every salary opened once), not by the first pay bands.
    async with sessionmaker() as session:
        await PayCells(session, vault, sessionmaker).salaries()
    return users


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession],
    rows: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(EMPLOYEES), rows)
        connection = await session.connection()
        if connection.dialect.name != "postgresql":
            await session.execute(insert(HISTORY), history)
            return
        # Seven history rows an employee: COPY writes them in half the time of INSERTs.
        columns = [column.name for column in HISTORY.columns]
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None  # noqa: S101
        await driver.copy_records_to_table(
            HISTORY.name, records=[[row[c] for c in columns] for row in history], columns=columns
        )


class _Organisation:
    """The demo employees, made batch by batch in order (one `random.Random` drives it
    all, so a seed always gives the same organisation): the reporting tree, and each
    employee's record and history."""

    def __init__(
        self, vault: EmployeeVault, branches: list[list[uuid.UUID]], count: int, seed: int
    ) -> None:
        self.vault = vault
        self.branches = branches
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.signal = random.Random(seed + 1_000_003)  # noqa: S311 - careers.stalled
        self.today = date.today()
        self.at = utcnow()
        self.ids = [uuid.uuid4() for _ in range(count)]
        self.managers = [(i - 1) // FANOUT if i else None for i in range(count)]
        self.depth = [0] * count
        for i in range(1, count):
            self.depth[i] = self.depth[(i - 1) // FANOUT] + 1
        self.hired, self.left = careers.calendar(
            self.rng, self.today, self.managers, self.depth, keep=count - 1
        )
        # The branch of each one's level-1 ancestor: its top department, then those under it.
        self.branch: list[list[uuid.UUID]] = [[] for _ in range(count)]

    def batch(self, start: int, stop: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The rows of employees start..stop-1, and their history (after those before)."""
        history: list[dict[str, Any]] = []
        return [self._employee(i, history) for i in range(start, stop)], history

    def _employee(self, i: int, history: list[dict[str, Any]]) -> dict[str, Any]:
        rng, manager = self.rng, self.managers[i]
        title, low, high = LEVELS[min(self.depth[i], len(LEVELS) - 1)]
        location, currency = rng.choice(LOCATIONS)
        salary = Decimal(rng.randrange(low, high, 250)).quantize(careers.CENT)
        employment_type = rng.choices(EMPLOYMENT_TYPES, [80, 10, 7, 3])[0]
        box, wrapped = self.vault.new_key(self.ids[i])
        record = _History(self.vault, box, self.ids[i], history, self.at)
        department, salary, status = self._career(record, i, title, salary)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        ssn = f"{rng.randrange(100, 899):03}-{rng.randrange(1, 99):02}-{i % 10000:04}"
        born = self.hired[i] - timedelta(days=rng.randrange(22 * 365, 45 * 365))
        left = self.left[i]
        return {
            "id": self.ids[i],
            "employee_number": f"D{i + 1:06}",
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}.{i + 1}@demo.shre.example".lower(),
            "phone": f"+49 30 {rng.randrange(1000000, 9999999)}",
            "job_title": title,
            "department_id": department,
            "manager_id": self.ids[manager] if manager is not None else None,
            "location": location,
            "employment_type": employment_type,
            "status": status,
            "hire_date": self.hired[i],
            "termination_date": left,
            "termination_reason": careers.reason(rng, employment_type) if left else None,
            **self.vault.sealed(
                box,
                self.ids[i],
                {
                    "salary": salary,
                    "salary_currency": currency,
                    "ssn": ssn,
                    "bank_account": f"DE{rng.randrange(10**19, 10**20)}",
                    "date_of_birth": born,
                    "home_address": f"{rng.randrange(1, 200)} Demo Street, {location}",
                },
            ),
            "dek_wrapped": wrapped,
            "dek_key_id": self.vault.key_id(wrapped),
            "version": 1,
        }

    def _career(
        self, record: _History, i: int, title: str, salary: Decimal
    ) -> tuple[uuid.UUID | None, Decimal, str]:
        """One employee's history, recorded: their creation as the API records it (each
        tracked field set, at the hire date), then department moves, raises, a leave or
        a leaving. Their department, salary and status now."""
        rng, today, hired, left = self.rng, self.today, self.hired[i], self.left[i]
        manager = self.managers[i]
        department = self._department(i)
        record.change("job_title", None, title, hired)
        record.change("department_id", None, department, hired)
        record.change("manager_id", None, None if manager is None else self.ids[manager], hired)
        record.change("status", None, "active", hired)
        first_day, last_day = careers.window(today, hired, left)
        # The raises before the window too, so that a pay history runs from the hire.
        hiring_salary, earlier = careers.earlier_raises(self.signal, hired, first_day, salary)
        record.change("salary", None, hiring_salary, hired)
        if earlier:
            salary = earlier[-1][1]
        if department is not None and self.depth[i] > careers.TOP_DEPTH:
            for when, moved_to in careers.moves(
                rng, first_day, last_day, department, self.branch[i]
            ):
                record.change("department_id", department, moved_to, when)
                department = moved_to
        given = earlier + careers.raises(rng, hired, first_day, last_day, salary)
        salary = hiring_salary
        for when, raised_to in careers.stalled(self.signal, given, left, last_day):
            record.change("salary", salary, raised_to, when)
            salary = raised_to
        if left is not None:
            record.change("status", "active", "terminated", left)
            return department, salary, "terminated"
        on_leave = careers.on_leave_since(rng, today, hired)
        if on_leave is not None:
            record.change("status", "active", "on_leave", on_leave)
            return department, salary, "on_leave"
        return department, salary, "active"

    def _department(self, i: int) -> uuid.UUID | None:
        """Where one joined: the CEO in none, a vice president in a top department, a
        director in their vice president's, anyone below in a department under it."""
        manager = self.managers[i]
        if manager is None:
            return None
        if self.depth[i] == 1:
            self.branch[i] = self.branches[(i - 1) % len(self.branches)]
        else:
            self.branch[i] = self.branch[manager]
        top, *units = self.branch[i]
        return self.rng.choice(units) if units and self.depth[i] > 2 else top


@dataclass(frozen=True, slots=True)
class _History:
    """One employee's history rows, as the API's service writes them (`_record`): values
    as text, salaries sealed under the employee's data key and bound to their row."""

    vault: EmployeeVault
    box: FieldBox
    employee_id: uuid.UUID
    rows: list[dict[str, Any]]
    at: datetime  # when the rows were written (`changed_at`)

    def change(self, field: str, old: object, new: object, effective: date) -> None:
        if new is None:
            return  # the API records no field left empty at creation
        change_id = uuid.uuid4()
        old_text = None if old is None else str(old)
        new_text = str(new)
        if field == "salary":
            if old_text is not None:
                old_text = self.vault.sealed_change(self.box, change_id, "old_value", old_text)
            new_text = self.vault.sealed_change(self.box, change_id, "new_value", new_text)
        self.rows.append(
            {
                "id": change_id,
                "employee_id": self.employee_id,
                "field": field,
                "old_value": old_text,
                "new_value": new_text,
                "effective_date": effective,
                "changed_by": None,
                "changed_at": self.at,
            }
        )


async def _demo_users(
    sessionmaker: async_sessionmaker[AsyncSession],
    hasher: PasswordHasher,
    ids: list[uuid.UUID],
    depth: list[int],
) -> list[DemoUser]:
    links = {
        Role.ADMIN: None,
        Role.HR: None,
        Role.MANAGER: ids[min(len(ids) - 1, 1)] if ids else None,
        Role.EMPLOYEE: ids[-1] if ids else None,
    }
    made: list[DemoUser] = []
    async with sessionmaker() as session, session.begin():
        for role, employee_id in links.items():
            email = f"demo-{role.value}@demo.shre.example"
            existing = (await session.execute(select(User.id).where(User.email == email))).first()
            if existing is not None:
                made.append(DemoUser(role, email, None))
                continue
            password = new_password(email)
            session.add(
                User(
                    email=email,
                    password_hash=await hasher.hash(password),
                    full_name=f"Demo {role.value}",
                    role=role.value,
                    employee_id=employee_id,
                )
            )
            made.append(DemoUser(role, email, password))
    return made
