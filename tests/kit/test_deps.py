"""`require(role...)`: the reusable role gate later routers build on."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from shre.api.deps import require
from shre.policy import Principal, Role
from tests.support.accounts import Accounts
from tests.support.app import assert_problem


@pytest.fixture
def gated(app: FastAPI) -> FastAPI:
    async def hr_area(
        principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.HR))],
    ) -> dict[str, str]:
        return {"role": principal.role.value}

    # Under /api: every other path is the web app's (its page answers before a route
    # added this late).
    app.add_api_route("/api/v1/test-gated", hr_area)
    return app


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.HR, 200), (Role.MANAGER, 403), (Role.EMPLOYEE, 403)],
)
async def test_require_admits_only_the_named_roles(
    gated: FastAPI, client: httpx.AsyncClient, accounts: Accounts, role: Role, status: int
) -> None:
    account = await accounts.signed_in(role)
    response = await client.get("/api/v1/test-gated", headers=account.headers)
    if status == 200:
        assert response.json() == {"role": role.value}
    else:
        assert_problem(response, 403, "role_required")


async def test_require_without_token_is_401(gated: FastAPI, client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/test-gated"), 401, "missing_token")


async def test_demotion_takes_effect_on_live_tokens(
    gated: FastAPI, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    admin = await accounts.signed_in(Role.ADMIN)
    hr = await accounts.signed_in(Role.HR)
    assert (await client.get("/api/v1/test-gated", headers=hr.headers)).status_code == 200
    demoted = await client.patch(
        f"/api/v1/users/{hr.id}", json={"role": "employee"}, headers=admin.headers
    )
    assert demoted.status_code == 200
    assert_problem(await client.get("/api/v1/test-gated", headers=hr.headers), 403, "role_required")
