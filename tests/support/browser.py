"""The web app in a real browser: Debian's chromium driven by Playwright, against a real
`shre serve` (PostgreSQL, Redis, local document storage) seeded by `shre seed-demo`."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.support.servers import unavailable

CHROMIUM = os.environ.get("SHRE_CHROMIUM", "/usr/bin/chromium")
# As the machines' own check starts it: no sandbox as root, and no background traffic
# (the build machines' network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "src" / "shre" / "web" / "dist" / "index.html"
# Where the screenshots go; `make test` names it (SHRE_SCREENSHOTS).
SCREENSHOTS = Path(os.environ.get("SHRE_SCREENSHOTS", ROOT / "var" / "screenshots"))
WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}

_SIGN_IN = re.compile(r"^\s+(admin|hr|manager|employee)\s+(\S+@\S+)\s+(\S+)\s*$")


@dataclass(frozen=True)
class WebApp:
    url: str
    sign_ins: dict[str, tuple[str, str]]
    log: Path
    upload_dir: Path  # the server's local storage (UPLOAD_DIR)

    def credentials(self, role: str) -> tuple[str, str]:
        return self.sign_ins[role]

    def token(self, role: str) -> str:
        email, password = self.sign_ins[role]
        answer = httpx.post(
            f"{self.url}/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def api(self, role: str) -> httpx.Client:
        """The API as this demo user, straight (to change what a page shows under it)."""
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.token(role)}"},
            timeout=30,
        )


def require_browser() -> None:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        unavailable(f"{CHROMIUM} is missing (scripts/ensure-chromium.sh installs it)")
    if not BUILD.exists():
        unavailable("the web app is not built (make web)")


def demo_sign_ins(printed: str) -> dict[str, tuple[str, str]]:
    """Each demo role's email and password, as `shre seed-demo` printed them."""
    found = {
        m.group(1): (m.group(2), m.group(3))
        for m in (_SIGN_IN.match(line) for line in printed.splitlines())
        if m is not None
    }
    assert set(found) == {"admin", "hr", "manager", "employee"}, printed
    return found


@dataclass
class Watched:
    """A page, and what its console said that a user would never want: errors, and
    above all what the Content-Security-Policy refused."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def listen(self) -> Watched:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        self.page.on("console", on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        return self

    def csp_refusals(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "Refused to" in e]


def new_page(
    browser: Browser,
    base_url: str,
    *,
    phone: bool = False,
    touch: bool = False,
    dark: bool = False,
    locale: str = "en-GB",
) -> Watched:
    """A page in a context of its own; `phone`: 375 px wide; `touch`: Chromium's mobile
    emulation too (a touch screen, the mobile viewport's rules)."""
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE if phone or touch else WIDE,
        is_mobile=touch,
        has_touch=touch,
        accept_downloads=True,
        locale=locale,
        timezone_id="Europe/Berlin",
        color_scheme="dark" if dark else "light",
    )
    context.set_default_timeout(15_000)
    return Watched(context.new_page()).listen()


def sign_in(page: Page, email: str, password: str, *, path: str = "/") -> None:
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Account")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot, `<name>-<width>.png`, once the page has settled."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status", name="Loading")).to_have_count(0)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
