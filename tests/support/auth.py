"""Small probes and token forgers for the authentication tests (everything goes through HTTP,
except where a test must look at or age what the database holds)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from sqlalchemy import select

from shre.api.runtime import Runtime
from shre.auth.models import LoginThrottle
from shre.policy import Role
from shre.users.models import RefreshToken, User
from tests.support.accounts import PASSWORD, Accounts

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
USERS = "/api/v1/users"
# Long, varied, and unrelated to any email the factories make.
NEW_PASSWORD = "tangerine Orbit 4417 walrus"


@dataclass
class Credentials:
    id: uuid.UUID
    email: str
    password: str


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


async def new_user(accounts: Accounts, role: Role = Role.EMPLOYEE) -> Credentials:
    """A user that has not signed in yet."""
    email = unique_email(role.value)
    user_id = await accounts.create(role, email)
    return Credentials(id=user_id, email=email, password=PASSWORD)


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": password})


async def tokens(client: httpx.AsyncClient, who: Credentials) -> dict[str, Any]:
    """Sign in and return the token pair (asserting it worked)."""
    response = await login(client, who.email, who.password)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def me_status(client: httpx.AsyncClient, access_token: str) -> int:
    return (await client.get(ME, headers=bearer(access_token))).status_code


# --- access tokens, forged the way src/shre/auth/tokens.py issues them ---------------------


def access_claims(
    user_id: uuid.UUID,
    *,
    now: datetime | None = None,
    ttl: int = 900,
    session_id: uuid.UUID | None = None,
    epoch: int = 0,
) -> dict[str, Any]:
    """The claims of a genuine access token for `user_id` issued at `now` to a session
    (a new one by default) under the account's token `epoch` (0 until it changes)."""
    now = now or datetime.now(UTC)
    return {
        "sub": str(user_id),
        "sid": str(session_id or uuid.uuid4()),
        "ep": epoch,
        "type": "access",
        "iss": "shre",
        "aud": "shre-api",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
    }


def sign(
    runtime: Runtime, claims: dict[str, Any], *, key: str | None = None, alg: str = "HS256"
) -> str:
    return jwt.encode(claims, key or runtime.settings.jwt_key(), algorithm=alg)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any]) -> str:
    """An `alg: none` JWT (no signature), built by hand as an attacker would."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def with_payload(token: str, claims: dict[str, Any]) -> str:
    """`token` with its payload swapped for `claims`, keeping the original signature."""
    header, _, signature = token.split(".")
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


# --- what the database holds -----------------------------------------------------------------


async def stored_user(runtime: Runtime, user_id: uuid.UUID) -> User:
    async with runtime.sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


async def throttle_counts(runtime: Runtime) -> dict[str, int]:
    """Committed failure counters, by throttle key."""
    async with runtime.sessionmaker() as session:
        rows = (await session.execute(select(LoginThrottle))).scalars()
        return {row.key: row.failures for row in rows}


async def refresh_rows(runtime: Runtime, user_id: uuid.UUID) -> list[RefreshToken]:
    async with runtime.sessionmaker() as session:
        stmt = (
            select(RefreshToken)
            .where(RefreshToken.user_id == user_id)
            .order_by(RefreshToken.created_at)
        )
        return list((await session.execute(stmt)).scalars())
