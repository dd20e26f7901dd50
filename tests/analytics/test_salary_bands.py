"""Pay bands through the API: exact figures, the size rule against overlapping and
differencing queries, the audit, the sealed cells and the cache (never a clear salary)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.employees.keys import shred
from shre.employees.paycells import PayCells
from shre.employees.vault import EmployeeVault
from shre.policy import Role
from shre.users.passwords import PasswordHasher
from tests.support.accounts import Account, Accounts
from tests.support.analytics import STAFF, PayOrg, build_pay
from tests.support.audit import events
from tests.support.crypto import keyring, master_key
from tests.support.employees import sign_in, url

BANDS = "/api/v1/analytics/salary-bands"


@pytest.fixture
async def org(client: httpx.AsyncClient, admin: Account) -> PayOrg:
    return await build_pay(client, admin)


async def bands(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(BANDS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _figures(band: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(band[k] for k in ("count", "min", "p25", "median", "p75", "max"))


async def test_bands_by_job_title_are_exact_and_never_small(
    client: httpx.AsyncClient, admin: Account, org: PayOrg
) -> None:
    everyone = await bands(client, admin.headers)
    assert everyone["group_by"] == "job_title"
    shown = {(b["group"], b["currency"]): _figures(b) for b in everyone["bands"]}
    # Engineers (EUR) are 7 over the organisation, but Platform's 5 are a passing group of
    # their own: showing the 7 would let anyone subtract and isolate the other 2. The one
    # USD engineer is a group of one.
    assert shown == {
        ("Manager", "EUR"): (5, "80000.00", "81000.00", "82000.00", "83000.00", "84000.00"),
        ("Rep", "EUR"): (6, "40000.00", "41250.00", "42500.00", "43750.00", "45000.00"),
    }
    assert everyone["groups_below_minimum"] == 2

    platform = await bands(client, admin.headers, department_id=org.departments["Platform"])
    assert [(b["group"], _figures(b)) for b in platform["bands"]] == [
        ("Engineer", (5, "50000.00", "51000.00", "52000.00", "53000.00", "54000.00"))
    ]
    # Engineering's subtree holds the same 7 engineers: left out for the same reason.
    engineering = await bands(client, admin.headers, department_id=org.departments["Engineering"])
    assert [(b["group"], b["count"]) for b in engineering["bands"]] == [("Manager", 5)]


async def test_no_two_answers_subtract_to_fewer_than_five(
    client: httpx.AsyncClient, admin: Account, org: PayOrg
) -> None:
    """Every answer (each grouping, each department filter) against every other: where
    one shown band's people lie inside another's, the rest is none or five or more."""
    below = {
        org.departments["Engineering"]: {"Engineering", "Platform"},
        org.departments["Platform"]: {"Platform"},
        org.departments["Sales"]: {"Sales"},
    }
    name_of = {v: k for k, v in org.departments.items()}
    populations = []
    for group_by in ("job_title", "department"):
        for department in (None, *org.departments.values()):
            params = {"group_by": group_by}
            if department is not None:
                params["department_id"] = department
            for b in (await bands(client, admin.headers, **params))["bands"]:
                if group_by == "job_title":
                    places = set(org.departments) if department is None else below[department]
                    people = {
                        n
                        for n, (title, place, currency, _) in enumerate(STAFF)
                        if title == b["group"] and place in places and currency == b["currency"]
                    }
                else:
                    places = below[b["department_id"]]
                    people = {
                        n
                        for n, (_, place, currency, _) in enumerate(STAFF)
                        if place in places and currency == b["currency"]
                    }
                people -= {len(STAFF) - 1}  # the terminated Rep
                assert len(people) == b["count"], (b, name_of.get(department))
                populations.append(frozenset(people))
    assert populations
    for one in populations:
        assert len(one) >= 5
        for other in populations:
            if other < one:
                assert len(one - other) >= 5
    by_department = {
        b["group"]: b["count"]
        for b in (await bands(client, admin.headers, group_by="department"))["bands"]
        if b["currency"] == "EUR"
    }
    # Engineering (12 in EUR over its subtree) less Platform (5) and its Managers (5)
    # would leave its own 2 engineers: it is left out.
    assert by_department == {"Platform": 5, "Sales": 6}


async def test_pay_bands_are_for_hr_and_admin_and_an_audited_read(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    org: PayOrg,
    runtime: Runtime,
) -> None:
    hr = await sign_in(accounts, Role.HR, "hr@pay.example")
    assert (await bands(client, hr))["bands"]
    manager = await sign_in(accounts, Role.MANAGER, "m@pay.example", org.people["P-05"])
    response = await client.get(BANDS, headers=manager)
    assert response.status_code == 403
    recorded = await events(runtime, "analytics.read_salary_bands")
    assert len(recorded) == 1
    assert set(recorded[0].fields) == {"salary", "salary_currency"}


async def test_cells_and_cache_hold_no_clear_salary_and_follow_every_change(
    client: httpx.AsyncClient, admin: Account, org: PayOrg, runtime: Runtime
) -> None:
    first = await bands(client, admin.headers, department_id=org.departments["Platform"])
    assert first["bands"][0]["max"] == "54000.00"
    async with runtime.engine.connect() as conn:
        cells = (await conn.execute(text("SELECT stamp, sealed FROM pay_cells"))).all()
    assert len(cells) == 5  # one per department and job title with current salaries
    stored = " ".join(f"{s} {c}" for s, c in cells)
    for clear in ("54000", "50000", "Engineer", "EUR"):
        assert clear not in stored
    # A raise: the next answer has it (cache invalidated, the cell rebuilt).
    platform_top = org.people["P-04"]
    response = await client.patch(
        url(platform_top), json={"salary": "64000.00"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    again = await bands(client, admin.headers, department_id=org.departments["Platform"])
    assert _figures(again["bands"][0]) == (
        5,
        "50000.00",
        "51000.00",
        "52000.00",
        "53000.00",
        "64000.00",
    )
    # A move out of Platform makes its group too small: gone at once.
    response = await client.patch(
        url(platform_top), json={"department_id": org.departments["Sales"]}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    moved = await bands(client, admin.headers, department_id=org.departments["Platform"])
    assert moved["bands"] == []
    # A new job title's change is seen as well.
    response = await client.patch(
        url(platform_top), json={"job_title": "Rep"}, headers=admin.headers
    )
    sales = await bands(client, admin.headers, department_id=org.departments["Sales"])
    assert ("Rep", 7) in {(b["group"], b["count"]) for b in sales["bands"]}


async def test_shredding_a_key_drops_the_cells_that_held_the_salary(
    client: httpx.AsyncClient, admin: Account, org: PayOrg, runtime: Runtime
) -> None:
    await bands(client, admin.headers)
    async with runtime.engine.connect() as conn:
        before = set((await conn.execute(text("SELECT cell FROM pay_cells"))).scalars())
    async with runtime.sessionmaker() as session, session.begin():
        await shred(session, uuid.UUID(org.people["P-00"]))  # a Platform engineer
    async with runtime.engine.connect() as conn:
        after = set((await conn.execute(text("SELECT cell FROM pay_cells"))).scalars())
    assert len(after) == len(before) - 1
    # And the figures no longer count them: Platform's engineers are 4 now.
    await runtime.cache.invalidate_now("department_stats")
    platform = await bands(client, admin.headers, department_id=org.departments["Platform"])
    assert platform["bands"] == []


async def test_group_by_department_gives_each_department_over_its_subtree(
    client: httpx.AsyncClient, admin: Account, org: PayOrg
) -> None:
    body = await bands(client, admin.headers, group_by="department")
    assert body["group_by"] == "department"
    platform = next(b for b in body["bands"] if b["group"] == "Platform")
    assert platform["department_id"] == org.departments["Platform"]
    assert _figures(platform) == (5, "50000.00", "51000.00", "52000.00", "53000.00", "54000.00")
    sales = next(b for b in body["bands"] if b["group"] == "Sales")
    assert _figures(sales) == (6, "40000.00", "41250.00", "42500.00", "43750.00", "45000.00")
    response = await client.get(BANDS, params={"group_by": "location"}, headers=admin.headers)
    assert response.status_code == 422


async def test_cells_sealed_under_a_retired_master_key_are_rebuilt(
    client: httpx.AsyncClient, admin: Account, org: PayOrg, runtime: Runtime
) -> None:
    await bands(client, admin.headers)  # the cells are sealed under the current key
    old = runtime.keyring.primary
    rotated = EmployeeVault.create(keyring(old, primary=master_key()))
    async with runtime.sessionmaker() as session:
        found = await PayCells(session, rotated, runtime.sessionmaker).salaries()
    platform = uuid.UUID(org.departments["Platform"])
    assert found[(platform, "Engineer", 2020)] == {
        "EUR": [5_000_000 + 100_000 * i for i in range(5)]
    }
    # Rebuilt and kept under the new primary key: it opens them, the old one no longer.
    async with runtime.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT cell, sealed FROM pay_cells"))).all()
    assert len(stored) == 5
    async with runtime.sessionmaker() as session:
        for cell, sealed in stored:
            assert PayCells(session, rotated)._open(cell, sealed) is not None
            assert PayCells(session, runtime.part(EmployeeVault))._open(cell, sealed) is None


async def test_seed_demo_leaves_every_pay_cell_sealed_and_current(runtime: Runtime) -> None:
    from shre.demo.seed import seed_demo
    from shre.employees.paycells import cell_id, group_stamps

    await seed_demo(
        runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 150
    )
    async with runtime.sessionmaker() as session:
        stamps = {cell_id(g): s for g, s in (await group_stamps(session)).items()}
    async with runtime.engine.connect() as conn:
        stored = dict((await conn.execute(text("SELECT cell, stamp FROM pay_cells"))).all())
    assert stamps
    assert stored == stamps  # the first pay bands open no one's salary
