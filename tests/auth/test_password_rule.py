"""A password may not contain the account's email or its user name in any spelling: case
(ß and SS, the Turkish dotted and dotless i), width, composition, accents, surrounding
whitespace. Every path that sets a password applies the rule."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.kit.errors import InvalidInput
from shre.policy import Role
from shre.users.passwords import PasswordHasher, password_problems
from shre.users.service import UserService
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.auth import USERS, login

EMAIL_PROBLEM = "must not contain the email address"
NAME_PROBLEM = "must not contain the email's user name"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def fullwidth(c: str) -> str:
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c


@st.composite
def spelled(draw: st.DrawFn, text: str) -> str:
    """`text` (lower-case ASCII) in another spelling of the same letters."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("ss", i) and draw(st.booleans()):
            out.append(draw(st.sampled_from(["ß", "ẞ"])))
            i += 2
            continue
        options = [c, c.upper(), fullwidth(c), fullwidth(c.upper())]
        if c == "i":
            options += ["\u0131", "\u0130"]  # dotless i, capital dotted I
        if c in LETTERS:
            options += [c + "\u0301", c.upper() + "\u0308"]  # with an accent
        out.append(draw(st.sampled_from(options)))
        i += 1
    return "".join(out)


local_parts = st.text(LETTERS + "0123456789._-", min_size=3, max_size=16).filter(
    lambda s: s[0] in LETTERS
)
domains = st.from_regex(r"[a-z]{2,10}\.(com|org|de|tr)", fullmatch=True)
padding = st.text(st.sampled_from(" \t\n!#23456789XYZ"), max_size=6)


@given(st.data(), local_parts, domains, padding, padding)
def test_the_email_in_any_spelling_is_refused(
    data: st.DataObject, local: str, domain: str, before: str, after: str
) -> None:
    email = f"{local}@{domain}"
    password = before + data.draw(spelled(email)) + after
    assert EMAIL_PROBLEM in password_problems(password, email), password
    # And the other way round: the account's email stored in another spelling.
    assert EMAIL_PROBLEM in password_problems(before + email + after, data.draw(spelled(email)))


@given(st.data(), local_parts, domains, padding, padding)
def test_the_user_name_in_any_spelling_is_refused(
    data: st.DataObject, local: str, domain: str, before: str, after: str
) -> None:
    password = before + data.draw(spelled(local)) + "-2024!" + after
    assert NAME_PROBLEM in password_problems(password, f"{local}@{domain}"), password
    tagged = f"{local}+hr@{domain}"  # jane+hr@ is jane's
    assert NAME_PROBLEM in password_problems(password, tagged), password


@given(local_parts.filter(lambda s: s.isalpha()), domains, st.text("0123456789 #%&*", min_size=12))
def test_a_password_without_the_name_is_not_refused_for_it(
    local: str, domain: str, password: str
) -> None:
    problems = password_problems(password, f"{local}@{domain}")
    assert EMAIL_PROBLEM not in problems
    assert NAME_PROBLEM not in problems


# --- through every path that sets a password ---------------------------------------------------

EMAIL = "strasse.yilmaz@example.com"
# Each was accepted by the lower-casing rule.
DOTLESS_I = "\u0131"
SPELLINGS = [
    "STRAßE.YILMAZ@EXAMPLE.COM",
    "  " + "".join(map(fullwidth, EMAIL)) + "  ",
    f"Straße.Y{DOTLESS_I}lmaz is my name 2024",
    "my name: STRASSE.Y\u0130LMAZ 2024",
    "Stra\u0301sse.yilmaz 2024!",
]


async def test_creating_a_user_refuses_every_spelling(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for password in SPELLINGS:
        body = {"email": EMAIL, "password": password, "full_name": "S Y", "role": "employee"}
        response = await client.post(USERS, json=body, headers=admin.headers)
        problem = assert_problem(response, 422, "weak_password")
        assert [e["field"] for e in problem["errors"]] == ["password"], password
        assert password.strip() not in response.text


async def test_changing_a_password_refuses_every_spelling(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = {"email": EMAIL, "password": "tangerine Orbit 4417", "full_name": "S Y", "role": "hr"}
    created = await client.post(USERS, json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    for password in SPELLINGS:
        response = await client.patch(
            f"{USERS}/{created.json()['id']}", json={"password": password}, headers=admin.headers
        )
        assert_problem(response, 422, "weak_password")
        assert (await login(client, EMAIL, password)).status_code == 401
    assert (await login(client, EMAIL, body["password"])).status_code == 200


@pytest.mark.parametrize("reset", [False, True])
async def test_create_admin_refuses_every_spelling(
    runtime: Runtime, accounts: Accounts, reset: bool
) -> None:
    """`shre create-admin` (and `ensure-admin`, which calls it), creating an admin or
    resetting an existing account (--force)."""
    if reset:
        await accounts.create(Role.EMPLOYEE, EMAIL)
    for password in SPELLINGS:
        async with runtime.sessionmaker() as session:
            audit = AuditTrail.system(session, runtime.sessionmaker)
            service = UserService(session, runtime.part(PasswordHasher), audit)
            with pytest.raises(InvalidInput) as refused:
                await service.create_or_reset_admin(EMAIL, password, "Admin", reset=reset)
            assert refused.value.code == "weak_password", password
            await session.rollback()
