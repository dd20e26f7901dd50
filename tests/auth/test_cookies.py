"""Browser sign-in (CONTRACT.md §4): the refresh token in an HttpOnly, SameSite=Strict cookie
scoped to /api/v1/auth (Secure outside development), which refresh and logout accept in
place of the body field; another site's request cannot use it; API clients keep the
body-token flow unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shre.api.runtime import Runtime
from shre.users.models import RefreshToken
from tests.support.accounts import Accounts
from tests.support.app import assert_problem
from tests.support.auth import (
    LOGIN,
    LOGOUT,
    ME,
    REFRESH,
    Credentials,
    bearer,
    new_user,
    refresh_rows,
)

COOKIE = "shre_refresh"


@pytest.fixture
async def user(accounts: Accounts) -> Credentials:
    return await new_user(accounts)


def set_cookie(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The refresh cookie the response sets: its value and attributes (names lowered)."""
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    first, *rest = (part.strip() for part in header.split(";"))
    value = first.split("=", 1)[1].strip('"')
    attributes = {}
    for part in rest:
        name, _, attribute = part.partition("=")
        attributes[name.lower()] = attribute
    return value, attributes


def assert_scoped(attributes: dict[str, str], *, secure: bool = False) -> None:
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/api/v1/auth"
    assert "domain" not in attributes  # this host only
    assert ("secure" in attributes) is secure


async def sign_in(client: httpx.AsyncClient, who: Credentials, **extra: Any) -> httpx.Response:
    response = await client.post(
        LOGIN, json={"email": who.email, "password": who.password, **extra}
    )
    assert response.status_code == 200, response.text
    return response


async def post(
    client: httpx.AsyncClient,
    url: str,
    cookie: str | None,
    *,
    headers: dict[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
) -> httpx.Response:
    """A POST carrying exactly this cookie (the client's own jar set aside)."""
    client.cookies.clear()
    sent = dict(headers or {})
    if cookie is not None:
        sent["Cookie"] = f"{COOKIE}={cookie}"
    return await client.post(url, json=json, content=content, headers=sent)


async def test_sign_in_sets_the_cookie_and_keeps_the_body_token(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    response = await sign_in(client, user)
    value, attributes = set_cookie(response)
    assert value == response.json()["refresh_token"]  # API clients: the body as before
    assert_scoped(attributes)
    assert int(attributes["max-age"]) == runtime.settings.refresh_token_ttl_seconds


async def test_a_browser_signs_in_refreshes_and_signs_out_with_the_cookie_alone(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    """httpx's cookie jar as the browser: it sends the cookie to the auth endpoints only."""
    response = await sign_in(client, user, refresh_token_in_body=False)
    assert response.json()["refresh_token"] is None  # no script ever reads it
    first, _ = set_cookie(response)
    me = await client.get(ME, headers=bearer(response.json()["access_token"]))
    assert me.status_code == 200
    assert COOKIE not in (me.request.headers.get("cookie") or "")  # path-scoped

    for body in (None, {}):  # no body, or an empty one
        refreshed = await client.post(REFRESH, json=body)
        assert refreshed.status_code == 200, refreshed.text
        assert COOKIE in refreshed.request.headers["cookie"]
        assert refreshed.json()["refresh_token"] is None
        value, attributes = set_cookie(refreshed)
        assert_scoped(attributes)
        assert value != first
        access = refreshed.json()["access_token"]
        assert (await client.get(ME, headers=bearer(access))).status_code == 200
    rows = await refresh_rows(runtime, user.id)
    assert [row.used_at is not None for row in rows] == [True, True, False]

    out = await client.post(LOGOUT)
    assert out.status_code == 204, out.text
    cleared, attributes = set_cookie(out)
    assert cleared == ""
    assert attributes["max-age"] == "0"
    assert_scoped(attributes)
    assert not client.cookies  # the jar let it go
    assert all(row.revoked_at is not None for row in await refresh_rows(runtime, user.id))
    # The session's access token is over too.
    assert_problem(await client.get(ME, headers=bearer(access)), 401, "token_revoked")


async def test_the_body_wins_over_the_cookie(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    cookie_session = (await sign_in(client, user)).json()
    body_session = (await sign_in(client, user)).json()

    by_cookie, by_body = cookie_session["refresh_token"], body_session["refresh_token"]

    refreshed = await post(client, REFRESH, by_cookie, json={"refresh_token": by_body})
    assert refreshed.status_code == 200, refreshed.text
    next_token = refreshed.json()["refresh_token"]
    assert next_token is not None  # presented in the body: answered there
    (spent,) = [row for row in await refresh_rows(runtime, user.id) if row.used_at]
    assert spent.family_id != (await refresh_rows(runtime, user.id))[0].family_id
    assert (await post(client, REFRESH, by_cookie)).status_code == 200  # unspent

    out = await post(client, LOGOUT, by_cookie, json={"refresh_token": next_token})
    assert out.status_code == 204
    assert_problem(await post(client, REFRESH, None, json={"refresh_token": next_token}), 401)


CROSS_SITE: dict[str, dict[str, Any]] = {
    "another origin": {"headers": {"Origin": "https://evil.example"}},
    "an opaque origin": {"headers": {"Origin": "null"}},
    "this host, another port": {"headers": {"Origin": "http://testserver:8080"}},
    "a sibling host": {"headers": {"Origin": "http://evil.testserver"}},
    "cross-site fetch": {"headers": {"Sec-Fetch-Site": "cross-site"}},
    "same-site fetch": {"headers": {"Sec-Fetch-Site": "same-site"}},
    "same-origin fetch from another origin": {
        "headers": {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}
    },
    "url-encoded form": {
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "content": b"refresh_token=",
    },
    "multipart form": {
        "headers": {"Content-Type": "multipart/form-data; boundary=x"},
        "content": b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n',
    },
    "text/plain form": {"headers": {"Content-Type": "text/plain"}, "content": b'{"a": "b"}'},
    "text/plain with a token in the body": {
        "headers": {"Content-Type": "text/plain;charset=UTF-8"},
        "content": b"{}",
    },
}
SAME_SITE: dict[str, dict[str, Any]] = {
    "no browser headers": {},
    "this origin": {"headers": {"Origin": "http://testserver"}},
    "same-origin fetch": {
        "headers": {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    },
    "typed by the user": {"headers": {"Sec-Fetch-Site": "none"}},
    "json": {"headers": {"Content-Type": "application/json"}, "content": b"{}"},
}


async def test_another_sites_request_cannot_use_the_cookie(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    cookie = (await sign_in(client, user)).json()["refresh_token"]
    for url in (REFRESH, LOGOUT):
        for case, request in CROSS_SITE.items():
            response = await post(client, url, cookie, **request)
            assert_problem(response, 403, "cross_site_request")
            assert "set-cookie" not in response.headers, case
            assert cookie not in response.text
    # Nothing was spent or revoked.
    (row,) = await refresh_rows(runtime, user.id)
    assert (row.used_at, row.revoked_at) == (None, None)

    for case, request in SAME_SITE.items():
        response = await post(client, REFRESH, cookie, **request)
        assert response.status_code == 200, (case, response.text)
        cookie, _ = set_cookie(response)
    assert (await post(client, LOGOUT, cookie, **SAME_SITE["this origin"])).status_code == 204


async def test_api_clients_without_the_cookie_are_unaffected(
    client: httpx.AsyncClient, user: Credentials
) -> None:
    """The checks guard the cookie, an ambient credential; a token in the body is not."""
    pair = (await sign_in(client, user)).json()
    response = await post(
        client,
        REFRESH,
        None,
        headers={"Origin": "https://elsewhere.example"},
        json={"refresh_token": pair["refresh_token"]},
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert isinstance(response.json()["refresh_token"], str)


async def test_no_token_anywhere_is_a_clear_422(client: httpx.AsyncClient) -> None:
    for url in (REFRESH, LOGOUT):
        for body in ({}, None):
            response = await post(client, url, None, json=body)
            problem = assert_problem(response, 422, "validation_error")
            assert [e["field"] for e in problem["errors"]] == ["refresh_token"]
            assert COOKIE in problem["errors"][0]["message"]
        malformed = await post(client, url, "short")
        problem = assert_problem(malformed, 422, "validation_error")
        assert [(e["field"], e["location"]) for e in problem["errors"]] == [(COOKIE, "cookie")]


class TestSessionEnd:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"refresh_session_max_seconds": 3600}

    async def test_the_cookie_lives_as_long_as_the_token_at_most_the_session(
        self, client: httpx.AsyncClient, runtime: Runtime, user: Credentials
    ) -> None:
        response = await sign_in(client, user, refresh_token_in_body=False)
        _, attributes = set_cookie(response)
        assert int(attributes["max-age"]) == 3600
        (row,) = await refresh_rows(runtime, user.id)
        earlier = row.family_started_at - timedelta(minutes=30)
        async with runtime.sessionmaker() as db:
            moved = update(RefreshToken).values(family_started_at=earlier)
            await db.execute(moved.where(RefreshToken.id == row.id))
            await db.commit()
        refreshed = await client.post(REFRESH)
        assert refreshed.status_code == 200, refreshed.text
        _, attributes = set_cookie(refreshed)
        assert 1790 <= int(attributes["max-age"]) <= 1800


class TestProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"shre_env": "production"}

    async def test_the_cookie_is_secure(self, client: httpx.AsyncClient, user: Credentials) -> None:
        response = await sign_in(client, user)
        _, attributes = set_cookie(response)
        assert_scoped(attributes, secure=True)
        out = await post(client, LOGOUT, response.json()["refresh_token"])
        assert out.status_code == 204
        _, attributes = set_cookie(out)
        assert_scoped(attributes, secure=True)
