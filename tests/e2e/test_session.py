"""Signing in and out in the browser (CONTRACT.md §4 "Browser sign-in"): the access token
only in the page's memory, the refresh token only in an HttpOnly cookie scoped to the
auth endpoints, nothing in web storage; throttling in words; a reload keeps the user
signed in; signing out leaves nothing behind."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.support.browser import WebApp, new_page, screenshot, sign_in


def storage_of(page: object) -> dict[str, int]:
    return page.evaluate(  # type: ignore[attr-defined,no-any-return]
        "() => ({local: localStorage.length, session: sessionStorage.length})"
    )


def test_sign_in_keeps_tokens_out_of_reach_and_sign_out_leaves_nothing(
    web_app: WebApp, browser: Browser
) -> None:
    watched = new_page(browser, web_app.url)
    page = watched.page
    page.goto("/employees?page=2")
    expect(page).to_have_url(f"{web_app.url}/login?next=%2Femployees%3Fpage%3D2")
    screenshot(page, "login")
    email, password = web_app.credentials("hr")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Back where the user was going, signed in.
    expect(page).to_have_url(f"{web_app.url}/employees?page=2")
    expect(page.get_by_role("table")).to_be_visible()

    cookies = {c["name"]: c for c in page.context.cookies()}
    refresh = cookies["shre_refresh"]
    assert refresh["httpOnly"] is True
    assert refresh["sameSite"] == "Strict"
    assert refresh["path"] == "/api/v1/auth"
    assert storage_of(page) == {"local": 0, "session": 0}
    assert page.evaluate("() => document.cookie") == ""  # the page cannot read it
    html = page.content()
    assert refresh["value"] not in html

    # A reload forgets the access token (memory only) and gets a new one from the cookie.
    page.reload()
    expect(page.get_by_role("table")).to_be_visible()
    expect(page).to_have_url(f"{web_app.url}/employees?page=2")
    spent = refresh["value"]
    assert {c["name"]: c for c in page.context.cookies()}["shre_refresh"]["value"] != spent

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{web_app.url}/login")
    assert "shre_refresh" not in {c["name"] for c in page.context.cookies()}
    assert storage_of(page) == {"local": 0, "session": 0}
    # The session is over on the server too: its refresh token is refused.
    last = httpx.post(f"{web_app.url}/api/v1/auth/refresh", json={"refresh_token": spent})
    assert last.status_code == 401
    page.goto("/employees")
    expect(page).to_have_url(f"{web_app.url}/login?next=%2Femployees")
    assert watched.csp_refusals() == []


def test_wrong_password_and_throttling_are_said_in_words(web_app: WebApp, browser: Browser) -> None:
    page = new_page(browser, web_app.url).page
    page.goto("/login")
    email = "nobody-" + "x" * 8 + "@demo.shre.example"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is not right.")
    for _ in range(10):  # the per-account limit (CONTRACT.md §4): 10 in 15 minutes
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
    expect(page.get_by_role("alert")).to_contain_text("Too many attempts. Try again in")
    expect(page.get_by_role("alert")).to_contain_text("minutes")
    screenshot(page, "login-throttled")


def test_the_page_says_when_the_session_has_ended(web_app: WebApp, browser: Browser) -> None:
    """Revoked elsewhere (signed out in another browser, an admin's deactivation): the
    next refresh fails and the page says so, instead of failing request by request."""
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("employee"), path="/employees")
    expect(page.get_by_role("table")).to_be_visible()
    cookie = {c["name"]: c for c in page.context.cookies()}["shre_refresh"]["value"]
    # The same cookie spent twice (as a thief would): the server ends the session.
    replay = httpx.post(f"{web_app.url}/api/v1/auth/refresh", json={"refresh_token": cookie})
    assert replay.status_code == 200
    page.reload()
    expect(page.get_by_role("heading", name="Your session has ended")).to_be_visible()
    screenshot(page, "session-ended")
    page.get_by_role("button", name="Sign in again").click()
    expect(page).to_have_url(f"{web_app.url}/login?next=%2Femployees")
