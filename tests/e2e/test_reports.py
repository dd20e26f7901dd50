"""Reports in the browser: each report's chart and its numbers for hr, a department
filter that changes them (and stays in the URL), the report exported as CSV and XLSX,
pay bands for hr but not for a manager, nothing of it for an employee; and the
dashboard's headcount and turnover charts."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta
from typing import Any

import openpyxl
from playwright.sync_api import Browser, Locator, Page, Response, expect
from pypdf import PdfWriter

from tests.support.browser import Watched, WebApp, new_page, screenshot, sign_in

# Each report's tab, the accessible name of its (first) chart, and of its table.
REPORTS = [
    ("Headcount", "headcount per month", "Headcount per month"),
    ("Turnover", "monthly turnover rate", "Turnover per month"),
    ("Tenure", "years of service", "Years of service"),
    ("Pay bands", "pay bands in", "Pay bands in"),
    ("Document compliance", "documents expired and expiring", "Document expiry"),
]


def refused(watched: Watched) -> list[str]:
    """Every analytics request the page made that the API refused, from now on."""
    found: list[str] = []

    def on_response(response: Response) -> None:
        if "/api/v1/analytics/" in response.url and response.status >= 400:
            found.append(f"{response.status} {response.url}")

    watched.page.on("response", on_response)
    return found


def asked_for_analytics(watched: Watched) -> list[str]:
    found: list[str] = []
    watched.page.on(
        "request", lambda r: found.append(r.url) if "/api/v1/analytics/" in r.url else None
    )
    return found


def chart(within: Page | Locator, name: str) -> Locator:
    """A chart by its accessible name, once it has drawn its svg."""
    figure = within.get_by_role("img", name=re.compile(name, re.IGNORECASE)).first
    expect(figure.locator("svg.recharts-surface").first).to_be_visible()
    return figure


def numbers(page: Page, name: str) -> Locator:
    """A report's table by its name, once it holds a number."""
    table = page.get_by_role("table", name=re.compile(f"^{re.escape(name)}")).first
    expect(table.get_by_role("cell").filter(has_text=re.compile(r"\d")).first).to_be_visible()
    return table


def workbook(content: bytes) -> openpyxl.Workbook:
    # A download's file has no suffix, which openpyxl goes by: read it from memory.
    return openpyxl.load_workbook(io.BytesIO(content), read_only=True)


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def expiring_document(web_app: WebApp) -> None:
    """A certificate of a current employee expiring in ten days, so document compliance
    has something to draw whatever the demo data holds."""
    with web_app.api("hr") as api:
        people = api.get("/employees", params={"status": "active", "page_size": 1}).json()
        answer = api.post(
            "/documents",
            data={
                "employee_id": people["items"][0]["id"],
                "category": "certificate",
                "title": f"First aid {uuid.uuid4().hex[:6]}",
                "expires_on": (date.today() + timedelta(days=10)).isoformat(),
            },
            files={"file": ("first-aid.pdf", pdf(), "application/pdf")},
        )
        assert answer.status_code == 201, answer.text


def a_department(web_app: WebApp) -> tuple[str, str, dict[str, Any]]:
    """A department with people, but fewer than everyone: its id, name and headcount."""
    with web_app.api("hr") as api:
        everyone = api.get("/analytics/headcount").json()
        total = everyone["series"][-1]["headcount"]
        for row in everyone["by_department"]:
            if row["department_id"] is None:
                continue
            narrowed = api.get(
                "/analytics/headcount", params={"department_id": row["department_id"]}
            ).json()
            if 0 < narrowed["series"][-1]["headcount"] < total:
                return row["department_id"], row["name"], narrowed
    raise AssertionError("the demo data has no department smaller than the organisation")


def last_headcount(table: Locator) -> Locator:
    """The people column of the last month's row."""
    return table.locator("tbody tr").last.locator("td").nth(1)


def test_hr_sees_each_report_as_a_chart_and_a_table(web_app: WebApp, browser: Browser) -> None:
    expiring_document(web_app)
    watched = new_page(browser, web_app.url)
    failed = refused(watched)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page).to_have_url(re.compile(r"/reports$"))
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()

    for tab, chart_name, table_name in REPORTS:
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        chart(page, chart_name)
        numbers(page, table_name)
        expect(page.get_by_role("button", name="Export CSV")).to_be_visible()
        expect(page.get_by_role("button", name="Export XLSX")).to_be_visible()
        screenshot(page, f"hr-reports-{tab.lower().replace(' ', '-')}")

    # Headcount: twelve months by default, each a row.
    page.get_by_role("tab", name="Headcount").click()
    expect(numbers(page, "Headcount per month").locator("tbody tr")).to_have_count(12)
    # Turnover: the trailing 12-month rate as a figure.
    page.get_by_role("tab", name="Turnover").click()
    expect(page.get_by_text(re.compile(r"^Turnover, 12 months to "))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+(\.\d+)?%$")).first).to_be_visible()
    # Pay bands: what is left out is said plainly, and the grouping can change.
    page.get_by_role("tab", name="Pay bands").click()
    expect(page).to_have_url(re.compile(r"tab=pay-bands"))
    grouping = page.get_by_role("radiogroup", name="Group by")
    grouping.get_by_text("Department", exact=True).click()
    expect(grouping.get_by_role("radio", name="Department")).to_be_checked()
    expect(page).to_have_url(re.compile(r"group_by=department"))
    numbers(page, "Pay bands in")
    expect(page.get_by_role("columnheader", name="Department").first).to_be_visible()
    screenshot(page, "hr-reports-pay-bands-by-department")
    assert failed == []
    assert watched.csp_refusals() == []
    assert [e for e in watched.errors if e.startswith("pageerror")] == []


def test_a_department_filter_changes_the_numbers_and_the_files(
    web_app: WebApp, browser: Browser
) -> None:
    department_id, name, narrowed = a_department(web_app)
    watched = new_page(browser, web_app.url)
    failed = refused(watched)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path="/reports")
    table = numbers(page, "Headcount per month")
    with web_app.api("hr") as api:
        everyone = api.get("/analytics/headcount").json()
    expect(last_headcount(table)).to_have_text(f"{everyone['series'][-1]['headcount']:,}")

    page.get_by_role("combobox", name="Department").fill(name)
    page.get_by_role("option", name=name, exact=True).click()
    expect(page).to_have_url(re.compile(f"department_id={department_id}"))
    expect(last_headcount(table)).to_have_text(f"{narrowed['series'][-1]['headcount']:,}")
    chart(page, "headcount per month")

    # The link holds the filter: opened afresh, the same numbers.
    page.reload()
    expect(last_headcount(numbers(page, "Headcount per month"))).to_have_text(
        f"{narrowed['series'][-1]['headcount']:,}"
    )

    with page.expect_download() as caught:
        page.get_by_role("button", name="Export CSV").click()
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert [(r["period"], int(r["headcount"])) for r in rows] == [
        (m["period"], m["headcount"]) for m in narrowed["series"]
    ]

    with page.expect_download() as caught:
        page.get_by_role("button", name="Export XLSX").click()
    download = caught.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = workbook(download.path().read_bytes()).active
    assert sheet is not None
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True))
    assert list(header) == ["period", "headcount", "hires", "leavers"]

    # Pay bands as a file: its own columns.
    page.get_by_role("tab", name="Pay bands").click()
    numbers(page, "Pay bands in")
    with page.expect_download() as caught:
        page.get_by_role("button", name="Export XLSX").click()
    sheet = workbook(caught.value.path().read_bytes()).active
    assert sheet is not None
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True))
    assert list(header)[:3] == ["group", "currency", "count"]
    assert failed == []
    assert watched.csp_refusals() == []


def test_a_manager_has_reports_without_pay_bands(web_app: WebApp, browser: Browser) -> None:
    watched = new_page(browser, web_app.url)
    failed = refused(watched)
    page = watched.page
    sign_in(page, *web_app.credentials("manager"))
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Reports").click()
    chart(page, "headcount per month")
    expect(page.get_by_text("Figures over your reporting line")).to_be_visible()
    for tab in ("Headcount", "Turnover", "Tenure", "Document compliance"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    expect(page.get_by_role("tab", name="Pay bands")).to_have_count(0)
    page.get_by_role("tab", name="Turnover").click()
    chart(page, "monthly turnover rate")
    screenshot(page, "manager-reports-turnover")

    # A link to pay bands opens the first report instead, and asks nothing refused.
    page.goto("/reports?tab=pay-bands")
    expect(page.get_by_role("tab", name="Headcount")).to_have_attribute("aria-selected", "true")
    numbers(page, "Headcount per month")
    expect(page.get_by_text("Pay bands in")).to_have_count(0)
    assert failed == []


def test_an_employee_has_no_reports_and_asks_for_none(web_app: WebApp, browser: Browser) -> None:
    watched = new_page(browser, web_app.url)
    asked = asked_for_analytics(watched)
    page = watched.page
    sign_in(page, *web_app.credentials("employee"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Documents", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Reports")).to_have_count(0)
    expect(page.get_by_role("img", name=re.compile("headcount", re.IGNORECASE))).to_have_count(0)
    page.goto("/reports")
    expect(page.get_by_text("Reports are not available for your role.")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert asked == []


def test_the_dashboard_draws_headcount_and_turnover_for_hr(
    web_app: WebApp, browser: Browser
) -> None:
    watched = new_page(browser, web_app.url)
    failed = refused(watched)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"))
    trend = page.get_by_role("region", name="Headcount, last 12 months")
    chart(trend, "headcount per month")
    turnover = page.get_by_role("region", name="Turnover", exact=True)
    expect(turnover.get_by_text(re.compile(r"^Turnover, 12 months to "))).to_be_visible()
    chart(turnover, "monthly turnover rate")

    # Its numbers are a click away, and the report a link away.
    trend.get_by_role("button", name="Show the numbers").click()
    expect(trend.get_by_role("table").locator("tbody tr")).to_have_count(12)
    trend.get_by_role("link", name="Open report").click()
    expect(page).to_have_url(re.compile(r"/reports$"))
    assert failed == []
