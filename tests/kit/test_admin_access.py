"""The operator endpoints are for admins only: every other role gets 403 and no data,
and without a token 401 (CONTRACT.md §4: operator tooling is the admin's)."""

from __future__ import annotations

import httpx
import pytest

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem

ENDPOINTS = [
    ("GET", "/api/v1/admin/cache"),
    ("DELETE", "/api/v1/admin/cache"),
    ("GET", "/api/v1/admin/stats"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_only_admins_reach_the_operator_endpoints(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, method: str, path: str
) -> None:
    for role in (Role.HR, Role.MANAGER, Role.EMPLOYEE):
        other = await accounts.signed_in(role)
        assert_problem(await client.request(method, path, headers=other.headers), 403)
    assert_problem(await client.request(method, path), 401)
    allowed = await client.request(method, path, headers=admin.headers)
    assert allowed.status_code == 200, allowed.text
