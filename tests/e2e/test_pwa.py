"""The installable app (issue 18): a web app manifest with the icons phones ask for, a
service worker that precaches the app's shell and hashed assets, starts the app with
the network off, and never keeps an API answer; on a phone (mobile emulation, touch)."""

from __future__ import annotations

import struct

import httpx
from playwright.sync_api import Browser, expect

from tests.support.browser import BUILD, WebApp, new_page

PNG = b"\x89PNG\r\n\x1a\n"
DIST = BUILD.parent


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def test_the_manifest_makes_an_installable_app(web_app: WebApp) -> None:
    page = httpx.get(web_app.url + "/")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    assert '<meta name="theme-color" content="#1c7ed6"' in page.text
    answer = httpx.get(web_app.url + "/manifest.webmanifest")
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = answer.json()
    assert manifest["name"].startswith("shre")
    assert manifest["short_name"] == "shre"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#1c7ed6"
    sizes = {}
    for icon in manifest["icons"]:
        image = httpx.get(f"{web_app.url}/{icon['src']}")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        width, height = _png_size(image.content)
        assert icon["sizes"] == f"{width}x{height}"
        sizes[icon.get("purpose", "any")] = sizes.get(icon.get("purpose", "any"), set()) | {width}
    # What installability asks: 192 and 512 px, and a maskable icon for Android.
    assert {192, 512} <= sizes["any"]
    assert 512 in sizes["maskable"]
    touch_icon = httpx.get(web_app.url + "/apple-touch-icon-180x180.png")
    assert _png_size(touch_icon.content) == (180, 180)
    worker = httpx.get(web_app.url + "/sw.js")
    assert worker.headers["cache-control"] == "no-cache"


def test_the_app_starts_offline_and_keeps_no_api_answer(web_app: WebApp, browser: Browser) -> None:
    watched = new_page(browser, web_app.url, touch=True)
    page = watched.page
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # The service worker installs (precaching the shell), then controls the next load.
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == web_app.url + "/"
    page.reload()
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    # An API answer passes through, and is kept nowhere.
    status = page.evaluate("async () => (await fetch('/api/v1/me')).status")
    assert status == 401

    page.context.set_offline(True)
    page.goto("/login")  # the shell and the page's chunk, from the service worker
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto("/employees")  # a page that needs a session, which cannot be resumed now
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    offline_api = page.evaluate(
        "async () => { try { await fetch('/api/v1/me'); return 'answered'; }"
        " catch { return 'failed'; } }"
    )
    assert offline_api == "failed"
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                for (const request of await (await caches.open(name)).keys()) {
                    urls.push(new URL(request.url).pathname);
                }
            }
            return urls;
        }"""
    )
    assert "/index.html" in cached
    assert any(u.startswith("/assets/") for u in cached)
    assert not [u for u in cached if u.startswith("/api/")]
    # Back online, it goes on by itself: no session to resume, so to the sign-in page.
    page.context.set_offline(False)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page).to_have_url(f"{web_app.url}/login?next=%2Femployees")
    assert watched.csp_refusals() == []


def test_a_new_version_waits_for_reload_to_update(web_app: WebApp, browser: Browser) -> None:
    """A deployment changes the service worker: the open app says so and updates only
    when the user chooses "Reload to update"."""
    watched = new_page(browser, web_app.url, touch=True)
    page = watched.page
    page.goto("/login")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.reload()
    first = page.evaluate("() => navigator.serviceWorker.controller.scriptURL")
    worker = DIST / "sw.js"
    original = worker.read_bytes()
    try:
        worker.write_bytes(original + b"\n// the next version\n")
        page.evaluate("async () => { await (await navigator.serviceWorker.ready).update(); }")
        prompt = page.get_by_role("alert").filter(has_text="A new version of shre is ready.")
        expect(prompt).to_be_visible()
        with page.expect_navigation():
            prompt.get_by_role("button", name="Reload to update").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL") == first
        active = page.evaluate(
            "async () => (await navigator.serviceWorker.getRegistration()).waiting === null"
        )
        assert active
    finally:
        worker.write_bytes(original)
    assert watched.csp_refusals() == []
