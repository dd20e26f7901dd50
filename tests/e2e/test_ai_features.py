"""The AI features' faces in the browser, on an installation without them (the browser
suite's server runs without SHRE_AI): hr's dashboard has its Insights (which need no
model) with links into the app; the employee page's attrition card and the documents'
search by meaning say plainly that they are off."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.browser import WebApp, new_page, screenshot, sign_in


def test_insights_link_into_the_app_and_the_model_features_say_they_are_off(
    web_app: WebApp, browser: Browser
) -> None:
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"))

    expect(page.get_by_text("Insights", exact=True)).to_be_visible()
    missing = page.get_by_role("link", name=re.compile("required one"))
    expect(missing).to_be_visible()  # the demo's people have no contract or ID on file
    screenshot(page, "dashboard-insights")
    missing.click()
    expect(page).to_have_url(re.compile(r"/reports"))

    page.goto("/employees")
    page.get_by_role("row").nth(1).get_by_role("link").first.click()
    expect(page.get_by_text("Attrition risk is off here")).to_be_visible()

    page.goto("/documents")
    page.get_by_text("Meaning", exact=True).click()
    page.get_by_role("searchbox", name="Search").fill("working from home")
    expect(page.get_by_text("Search by meaning is off on this installation")).to_be_visible()
    assert watched.csp_refusals() == []
