"""Every page of the web app, for each role, at 1280 px and at a 375 px phone width: it
opens with its heading, without a script error or anything the CSP refused, and a
screenshot of it is saved (SHRE_SCREENSHOTS; `make test` names the folder)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import WebApp, new_page, screenshot, sign_in

PAGES = {
    "admin": ["/", "/employees", "/departments", "/documents", "/reports", "/users", "/audit"],
    "hr": ["/", "/employees", "/employees/new", "/departments", "/documents", "/reports"],
    "manager": ["/", "/employees", "/departments", "/reports", "/directory", "/team"],
    "employee": [
        "/",
        "/employees",
        "/documents",
        "/departments",
        "/reports",
        "/directory",
        "/team",
        "/my-documents",
    ],
}


def name_of(path: str) -> str:
    return path.strip("/").replace("/", "-") or "dashboard"


@pytest.mark.parametrize("phone", [False, True], ids=["1280", "375"])
@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_opens_cleanly_and_is_pictured(
    web_app: WebApp, browser: Browser, role: str, phone: bool
) -> None:
    watched = new_page(browser, web_app.url, phone=phone)
    page = watched.page
    sign_in(page, *web_app.credentials(role))
    with web_app.api(role) as api:
        me = api.get("/me").json()
    paths = list(PAGES[role])
    if me["employee_id"]:
        paths.append(f"/employees/{me['employee_id']}")
    for path in paths:
        page.goto(path)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        own = path == f"/employees/{me['employee_id']}"
        screenshot(page, f"{role}-{'my-profile' if own else name_of(path)}")
    if phone:  # the navigation lives in a drawer behind the menu button
        page.get_by_role("button", name="Open navigation").click()
        expect(page.get_by_role("link", name="Documents", exact=True)).to_be_visible()
        screenshot(page, f"{role}-navigation")
    assert watched.csp_refusals() == []
    assert [e for e in watched.errors if e.startswith("pageerror")] == []


def test_dark_theme_and_german_follow_the_browser(web_app: WebApp, browser: Browser) -> None:
    watched = new_page(browser, web_app.url, dark=True, locale="de-DE")
    page = watched.page
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("data-mantine-color-scheme", "dark")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    email, password = web_app.credentials("hr")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_role("textbox", name="Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    # Signed in ("Konto", the account menu): the sign-in page has a heading of its own,
    # and leaving it before the sign-in's answer came would abandon the session.
    expect(page.get_by_role("button", name="Konto")).to_be_visible()
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    screenshot(page, "dark-de-dashboard")
    page.goto("/employees")
    expect(page.get_by_role("table")).to_be_visible()
    expect(page.get_by_role("heading", name="Mitarbeitende")).to_be_visible()
    screenshot(page, "dark-de-employees")
    assert watched.csp_refusals() == []
