"""`shre seed-demo`: a realistic organisation to try shre with: a department tree, a
reporting tree, job titles and salaries by level, hires and leavers over ten years, and
one user per role with a password generated for this run (shown once by the command,
never the same on two installations). Values are sealed exactly as the API does. The
command refuses to run in production."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.auth.passwords import PasswordHasher, password_problems
from shre.auth.policy import Role
from shre.db import refresh_statistics
from shre.departments.models import Department
from shre.employees.models import Employee, EmployeeChange
from shre.employees.vault import EmployeeVault
from shre.kit.errors import Conflict
from shre.users.models import User

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
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = date.today()
    async with sessionmaker() as session, session.begin():
        if (await session.execute(select(Employee.id).limit(1))).first() is not None:
            raise Conflict("The database already has employees; seed-demo needs an empty one")
        top_ids: list[uuid.UUID] = []
        for name, subs in DEPARTMENTS.items():
            top = Department(id=uuid.uuid4(), name=name)
            session.add(top)
            top_ids.append(top.id)
            for sub in subs:
                session.add(Department(id=uuid.uuid4(), name=sub, parent_id=top.id))
        await session.flush()
        dept_rows = (await session.execute(select(Department.id, Department.parent_id))).all()
    children: dict[uuid.UUID, list[uuid.UUID]] = {t: [] for t in top_ids}
    for dept_id, parent in dept_rows:
        if parent is not None:
            children[parent].append(dept_id)

    ids = [uuid.uuid4() for _ in range(count)]
    depth = [0] * count
    branch: list[uuid.UUID | None] = [None] * count  # department of the level-1 ancestor
    hired = [today] * count
    rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    done = 0
    for i in range(count):
        manager = (i - 1) // FANOUT if i else None
        if manager is not None:
            depth[i] = depth[manager] + 1
        level = min(depth[i], len(LEVELS) - 1)
        if depth[i] == 0:
            department = None
        elif depth[i] == 1:
            department = top_ids[(i - 1) % len(top_ids)]
            branch[i] = department
        else:
            assert manager is not None  # noqa: S101
            head = branch[manager]
            branch[i] = head
            units = children.get(head, []) if head else []
            department = rng.choice(units) if units and depth[i] > 2 else head
        # Hires spread over ten years; the top of the tree joined early.
        oldest, newest = (2600, 3650) if depth[i] <= 2 else (30, 3650)
        hired[i] = today - timedelta(days=rng.randrange(oldest, newest))
        title, low, high = LEVELS[level]
        location, currency = rng.choice(LOCATIONS)
        salary = Decimal(rng.randrange(low, high, 250)).quantize(Decimal("0.01"))
        leaver = depth[i] >= 2 and rng.random() < 0.08
        left = hired[i] + timedelta(days=rng.randrange(30, 900)) if leaver else None
        if left is not None and left > today:
            left = today
        first, last = rng.choice(FIRST), rng.choice(LAST)
        box, wrapped = vault.new_key(ids[i])
        ssn = f"{rng.randrange(100, 899):03}-{rng.randrange(1, 99):02}-{i % 10000:04}"
        born = hired[i] - timedelta(days=rng.randrange(22 * 365, 45 * 365))
        rows.append(
            {
                "id": ids[i],
                "employee_number": f"D{i + 1:06}",
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}.{i + 1}@demo.shre.example".lower(),
                "phone": f"+49 30 {rng.randrange(1000000, 9999999)}",
                "job_title": title,
                "department_id": department,
                "manager_id": ids[manager] if manager is not None else None,
                "location": location,
                "employment_type": rng.choices(
                    ["full_time", "part_time", "contractor", "intern"], [80, 10, 7, 3]
                )[0],
                "status": "terminated"
                if leaver
                else rng.choices(["active", "on_leave"], [97, 3])[0],
                "hire_date": hired[i],
                "termination_date": left,
                "termination_reason": "Resigned" if leaver else None,
                **vault.sealed(
                    box,
                    ids[i],
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
                "dek_key_id": vault.key_id(wrapped),
                "version": 1,
            }
        )
        change_id = uuid.uuid4()
        history.append(
            {
                "id": change_id,
                "employee_id": ids[i],
                "field": "salary",
                "old_value": None,
                "new_value": vault.sealed_change(box, change_id, "new_value", str(salary)),
                "effective_date": hired[i],
                "changed_by": None,
            }
        )
        if len(rows) == BATCH or i == count - 1:
            async with sessionmaker() as session, session.begin():
                await session.execute(insert(Employee), rows)
                await session.execute(insert(EmployeeChange), history)
            done += len(rows)
            rows, history = [], []
            if progress is not None:
                progress(done)
    users = await _demo_users(sessionmaker, hasher, ids, depth)
    await refresh_statistics(sessionmaker, ("employees", "employee_history", "departments"))
    return users


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
