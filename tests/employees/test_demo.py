"""`shre seed-demo`: a consistent organisation whose values decrypt through the API."""

from __future__ import annotations

import httpx
import pytest

from shre.auth.policy import Role
from shre.employees.demo import seed_demo
from shre.kit.errors import Conflict
from shre.kit.runtime import Runtime


async def test_seed_demo_builds_a_usable_organisation(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    users = await seed_demo(runtime.sessionmaker, runtime.vault, runtime.auth.hasher, 120)
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
        await seed_demo(runtime.sessionmaker, runtime.vault, runtime.auth.hasher, 5)
