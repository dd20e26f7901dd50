"""The phone app (issue 18) in Chromium's mobile emulation (375 x 812, touch): the staff
directory saved on the phone after sign-in and searched with the network off, a
person's card with call and mail, my team, my documents with "Keep offline", an edit
made meanwhile seen once back online, and nothing left behind after signing out."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import WebApp, new_page, screenshot, sign_in
from tests.support.documents import pdf_with_text, png
from tests.support.employee_fields import DIRECTORY

READ_OFFLINE_COPY = """async () => {
    const names = (await indexedDB.databases()).map((db) => db.name);
    if (!names.includes("shre-offline")) return null;
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open("shre-offline");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const all = (store) => new Promise((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const copy = {};
    for (const store of db.objectStoreNames) copy[store] = await all(store);
    // Sealed files as what they are: their keys and the ciphertext's bytes as text.
    copy.files = copy.files.map((f) => ({
        keys: Object.keys(f),
        bytes: new TextDecoder("latin1").decode(f.content.data),
    }));
    db.close();
    return copy;
}"""

LEFT_BEHIND = """async () => ({
    databases: (await indexedDB.databases()).map((db) => db.name),
    caches: await caches.keys(),
})"""


def _directory(web_app: WebApp) -> list[dict[str, Any]]:
    with web_app.api("hr") as api:
        answer = api.get("/directory", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    assert answer.json()["complete"]
    return list(answer.json()["items"])


def _own_record(web_app: WebApp, role: str) -> dict[str, Any]:
    with web_app.api(role) as api:
        me = api.get("/me").json()
        return dict(api.get(f"/employees/{me['employee_id']}").json())


def _wait_for_copy(page: Page, count: int) -> None:
    expect(page.get_by_test_id("sync-line")).to_contain_text(f"Available offline: {count} people")


def _too_small(page: Page) -> list[str]:
    """The visible controls smaller than 44 x 44 px (a finger's width)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll(
                    'main a[href], main button, main input:not([type=hidden]), main [role=switch], '
                    + 'footer a[href], header button')]
                .filter((el) => el.offsetParent !== null && getComputedStyle(el).opacity !== "0")
                // A link inside a line of text is exempt (WCAG 2.5.8: inline).
                .filter((el) => !(el.matches("a") && getComputedStyle(el).display === "inline"))
                .map((el) => {
                    // A switch's target is its whole row (the hidden input and the label).
                    const box = (el.closest(".mantine-Switch-body") ?? el).getBoundingClientRect();
                    const name = el.getAttribute("aria-label") || el.textContent.trim();
                    return [name || el.outerHTML.slice(0, 60),
                            Math.round(box.width), Math.round(box.height)];
                })
                .filter(([, width, height]) => width < 44 || height < 44)
                .map(([name, width, height]) => `${name}: ${width}x${height}`)"""
        )
    )


def test_the_directory_team_and_documents_work_offline_on_a_phone(
    web_app: WebApp, browser: Browser
) -> None:
    people = _directory(web_app)
    mine = _own_record(web_app, "employee")
    colleague = next(
        p
        for p in people
        if p["id"] != mine["id"] and p["phone"] and p["id"] != mine.get("manager_id")
    )
    manager = next(p for p in people if p["id"] == mine["manager_id"])
    with web_app.api("hr") as api:
        uploaded = api.post(
            "/documents",
            data={
                "employee_id": mine["id"],
                "category": "certificate",
                "title": "First aid course",
            },
            files={"file": ("first-aid.pdf", pdf_with_text("First aid 2026"), "application/pdf")},
        )
    assert uploaded.status_code == 201, uploaded.text

    watched = new_page(browser, web_app.url, touch=True)
    page = watched.page
    email, password = web_app.credentials("employee")
    sign_in(page, email, password)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    nav = page.get_by_role("navigation", name="Quick navigation")
    nav.get_by_role("link", name="Directory").click()
    _wait_for_copy(page, len(people))
    copy = page.evaluate(READ_OFFLINE_COPY)
    # The copy holds the directory and nothing more: no employment or sensitive field.
    assert len(copy["people"]) == len(people)
    assert all(set(record) <= DIRECTORY for record in copy["people"])
    assert {r["id"] for r in copy["people"]} == {p["id"] for p in people}
    assert mine["salary"] not in str(copy)
    assert copy["files"] == []
    assert _too_small(page) == []
    screenshot(page, "phone-directory")

    # My documents: a photo straight from the camera (the form offers it on a touch
    # screen, in the categories an employee may upload), the list, the viewer, and
    # "Keep offline" (stored as ciphertext).
    nav.get_by_role("link", name="My documents").click()
    page.get_by_role("button", name="Upload", exact=True).click()
    form = page.get_by_role("dialog", name="Upload a document")
    expect(form.get_by_role("button", name="Take a photo")).to_be_visible()
    camera = form.locator("input[type=file][capture=environment]")
    assert camera.get_attribute("accept") == "image/*"
    camera.set_input_files(
        files=[{"name": "IMG_0042.png", "mimeType": "image/png", "buffer": png()}]
    )
    form.get_by_role("textbox", name="Title").fill("Passport photo")
    form.get_by_role("combobox", name="Category").click()
    offered = page.get_by_role("option").all_inner_texts()
    assert offered == ["Identity", "Certificate", "Other"]
    page.get_by_role("option", name="Identity").click()
    assert _too_small(page) == []
    form.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("button", name="Passport photo")).to_be_visible()
    page.get_by_role("button", name="First aid course").click()
    viewer = page.get_by_role("dialog", name="First aid course")
    expect(viewer.locator("iframe[title='Preview: First aid course']")).to_be_visible()
    assert _too_small(page) == []
    keep = viewer.get_by_role("switch", name="Keep offline")
    keep.click()
    expect(keep).to_be_checked()
    expect(page.get_by_text("“First aid course” is available offline")).to_be_visible()
    sealed = page.evaluate(READ_OFFLINE_COPY)["files"]
    assert len(sealed) == 1
    assert sorted(sealed[0]["keys"]) == ["content", "id", "meta"]
    assert "%PDF" not in sealed[0]["bytes"]
    assert "First aid" not in sealed[0]["bytes"]
    viewer.get_by_role("button", name="Close").click()

    # My profile, laid out for the phone too.
    page.get_by_role("button", name="Account").click()
    page.get_by_role("menuitem", name="My profile").click()
    expect(
        page.get_by_role("heading", name=f"{mine['first_name']} {mine['last_name']}")
    ).to_be_visible()
    assert _too_small(page) == []

    # The network goes: the directory, a card, my team and my kept document still work.
    page.context.set_offline(True)
    nav.get_by_role("link", name="Directory").click()
    search = page.get_by_role("searchbox", name="Search the directory")
    search.fill(f"{colleague['last_name']} {colleague['first_name']}")
    results = page.get_by_role("list", name="People")
    row = results.get_by_role("link", name=f"{colleague['first_name']} {colleague['last_name']}")
    expect(row.first).to_be_visible()
    row.first.click()
    full_name = f"{colleague['first_name']} {colleague['last_name']}"
    expect(page.get_by_role("heading", name=full_name)).to_be_visible()
    call = page.get_by_role("link", name=f"Call {full_name}")
    assert (call.get_attribute("href") or "").startswith("tel:")
    mail = page.get_by_role("link", name=f"Email {full_name}")
    assert mail.get_attribute("href") == f"mailto:{colleague['email']}"
    assert _too_small(page) == []
    screenshot(page, "phone-person")

    nav.get_by_role("link", name="My team").click()
    team = page.get_by_role("main")
    expect(team.get_by_role("heading", name="Manager", exact=True)).to_be_visible()
    boss = f"{manager['first_name']} {manager['last_name']}"
    expect(team.get_by_text(boss).first).to_be_visible()
    expect(team.get_by_text("(you)")).to_be_visible()
    assert _too_small(page) == []
    screenshot(page, "phone-team")

    nav.get_by_role("link", name="My documents").click()
    expect(page.get_by_text("You are offline. These are the documents you chose")).to_be_visible()
    page.get_by_role("button", name="First aid course").click()
    kept = page.get_by_role("dialog", name="First aid course")
    expect(kept.locator("iframe[title='Preview: First aid course']")).to_be_visible()
    kept.get_by_role("button", name="Close").click()

    # Meanwhile, HR changes the colleague's job; back online, the phone catches up.
    with web_app.api("hr") as api:
        changed = api.patch(
            f"/employees/{colleague['id']}", json={"job_title": "Head of Offline Testing"}
        )
    assert changed.status_code == 200, changed.text
    page.context.set_offline(False)
    nav.get_by_role("link", name="Directory").click()
    page.get_by_role("searchbox", name="Search the directory").fill("Head of Offline Testing")
    expect(
        page.get_by_role("list", name="People").get_by_role(
            "link", name=f"{full_name} Head of Offline Testing"
        )
    ).to_be_visible()

    # The phone pages fit the narrowest and the widest common phone: no sideways scroll.
    for width in (360, 430):
        page.set_viewport_size({"width": width, "height": 800})
        for path in (
            "/directory",
            f"/directory/{colleague['id']}",
            "/team",
            "/my-documents",
            f"/employees/{mine['id']}",
        ):
            page.goto(path)
            expect(page.get_by_role("heading", level=1).first).to_be_visible()
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{path} at {width} px scrolls sideways by {overflow} px"

    # Signing out leaves nothing: no offline copy, no cache.
    page.get_by_role("button", name="Account").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_function(
        "async () => (await indexedDB.databases()).length === 0"
        " && (await caches.keys()).length === 0"
    )
    assert page.evaluate(LEFT_BEHIND) == {"databases": [], "caches": []}
    assert watched.csp_refusals() == []


def test_the_app_starts_offline_with_the_saved_directory(web_app: WebApp, browser: Browser) -> None:
    """Closed and opened again with no network: the directory saved on the phone, not a
    blank page; a session that ended meanwhile takes the copy with it once online."""
    people = _directory(web_app)
    watched = new_page(browser, web_app.url, touch=True)
    page = watched.page
    email, password = web_app.credentials("manager")
    sign_in(page, email, password)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto("/directory")
    _wait_for_copy(page, len(people))
    # A sign-out elsewhere wiped the caches once: the next session fills them again.
    page.wait_for_function(
        """async () => {
            for (const name of await caches.keys()) {
                const urls = (await (await caches.open(name)).keys()).map((r) => r.url);
                if (urls.some((u) => u.endsWith("/index.html"))) return true;
            }
            return false;
        }"""
    )

    # A network that hangs rather than fails: the saved copy opens while it waits.
    page.route("**/api/v1/auth/refresh", lambda route: None)  # never answered
    page.goto("/team")
    expect(page.get_by_text("Offline", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="My team")).to_be_visible()
    page.unroute("**/api/v1/auth/refresh")

    page.context.set_offline(True)
    page.goto("/")
    expect(page.get_by_text("Offline", exact=True)).to_be_visible()
    expect(page).to_have_url(f"{web_app.url}/directory")
    _wait_for_copy(page, len(people))
    page.get_by_role("searchbox", name="Search the directory").fill(people[0]["last_name"])
    expect(page.get_by_role("list", name="People").get_by_role("link").first).to_be_visible()
    nav = page.get_by_role("navigation", name="Quick navigation")
    # Offline, only the pages that work offline are offered.
    expect(nav.get_by_role("link")).to_have_text(["Directory", "My team", "My documents"])
    screenshot(page, "phone-offline-start")

    # The session ends while the phone is away (revoked on the server).
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "shre_refresh")
    ended = httpx.post(f"{web_app.url}/api/v1/auth/logout", json={"refresh_token": token})
    assert ended.status_code in (200, 204), ended.text
    page.context.set_offline(False)
    expect(page.get_by_role("heading", name="Your session has ended")).to_be_visible()
    page.wait_for_function(
        "async () => (await indexedDB.databases()).length === 0"
        " && (await caches.keys()).length === 0"
    )
    assert watched.csp_refusals() == []


def test_a_sign_out_offline_ends_the_session_once_back(web_app: WebApp, browser: Browser) -> None:
    """The refresh cookie is out of the page's reach: signed out with no network, the
    session is ended on the server at the next start, never resumed by whoever opens
    the app next."""
    watched = new_page(browser, web_app.url, touch=True)
    page = watched.page
    sign_in(page, *web_app.credentials("employee"))
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "shre_refresh")
    page.context.set_offline(True)
    page.get_by_role("button", name="Account").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    page.context.set_offline(False)
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    refused = httpx.post(f"{web_app.url}/api/v1/auth/refresh", json={"refresh_token": token})
    assert refused.status_code == 401
    assert page.evaluate("async () => (await indexedDB.databases()).length") == 0
    assert watched.csp_refusals() == []
