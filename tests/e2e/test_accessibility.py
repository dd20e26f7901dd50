"""The pages pass axe-core's WCAG 2.1 A/AA rules (contrast 4.5:1, names of controls,
labels, ARIA) with no serious or critical finding, as each role sees them. axe is the
web app's own dev dependency (web/node_modules, installed by `npm ci`); the page's CSP is
bypassed for this test only, to let the checker's script in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import ROOT, WIDE, WebApp

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
REPORTS = [f"/reports?tab={tab}" for tab in ("turnover", "tenure", "pay-bands", "documents")]
PAGES = {
    "admin": [
        "/",
        "/employees",
        "/departments",
        "/documents",
        "/reports",
        *REPORTS,
        "/users",
        "/audit",
    ],
    "manager": ["/", "/reports", "/team"],
    "employee": [
        "/",
        "/employees",
        "/documents",
        "/reports",
        "/directory",
        "/team",
        "/my-documents",
    ],
}


def findings(page: Page) -> list[dict[str, Any]]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = page.evaluate(
        """async (rules) => (await axe.run(document, {runOnly: rules})).violations
             .filter((v) => v.impact === "serious" || v.impact === "critical")
             .map((v) => ({rule: v.id, help: v.help, nodes: v.nodes.length,
                           first: v.nodes[0].html.slice(0, 200)}))""",
        RULES,
    )
    return result


@pytest.mark.parametrize("role", list(PAGES))
def test_pages_pass_axe(web_app: WebApp, browser: Browser, role: str) -> None:
    if not Path(AXE).exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/ (make test does)")
    context = browser.new_context(base_url=web_app.url, viewport=WIDE, bypass_csp=True)
    page = context.new_page()
    page.goto("/login")
    assert findings(page) == [], "/login"
    email, password = web_app.credentials(role)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Account")).to_be_visible()
    for path in PAGES[role]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        assert findings(page) == [], path
