"""The employee list in the browser, per role: what each role's page receives from the
API (every JSON answer the page got, not only what it shows) holds no field the role may
not see; hr adds the salary column on purpose; an export is a file of the list."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from playwright.sync_api import Browser, Page, Response, expect

from shre.policy import EMPLOYMENT_FIELDS, SENSITIVE_FIELDS
from tests.support.browser import WebApp, new_page, screenshot, sign_in


class Received:
    """Every employee record in the JSON answers the page receives from now on (the
    answers are kept as they come and read when asked: an event handler may not wait)."""

    def __init__(self, page: Page) -> None:
        self.responses: list[Response] = []
        page.on("response", lambda response: self.responses.append(response))

    def records(self) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        for response in self.responses:
            if "/api/v1/employees" not in response.url or response.request.method != "GET":
                continue
            if not response.headers.get("content-type", "").startswith("application/json"):
                continue
            body = response.json()
            if isinstance(body, list):  # a reporting line
                seen.extend(body)
            else:
                seen.extend(body.get("items", [body]))
        return seen


def listed(response: Response, asked: str) -> bool:
    """The answer to a GET of the employee list that asked for `asked`."""
    return (
        "/api/v1/employees?" in response.url
        and asked in response.url
        and response.request.method == "GET"
    )


def test_hr_adds_the_salary_column_and_sees_every_row(web_app: WebApp, browser: Browser) -> None:
    watched = new_page(browser, web_app.url)
    page = watched.page
    received = Received(page)
    sign_in(page, *web_app.credentials("hr"), path="/employees")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(51)  # the header and a page of 50
    expect(table.get_by_role("columnheader", name="Salary")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    seen = received.records()
    assert seen
    assert not any(SENSITIVE_FIELDS & record.keys() for record in seen)
    screenshot(page, "employees")

    # (networkidle is a load state, reached once: it would not wait for this answer.)
    with page.expect_response(lambda r: listed(r, "fields=salary")) as answer:
        page.get_by_role("switch", name="Show salary").click()
    answer.value.finished()
    expect(table.get_by_role("columnheader", name="Salary")).to_be_visible()
    expect(page).to_have_url(f"{web_app.url}/employees?columns=salary")  # no value in it
    seen = received.records()
    with_salary = [r for r in seen if "salary" in r]
    assert with_salary
    assert all(r["salary_currency"] for r in with_salary)
    # No other sensitive field came with it.
    assert not any({"ssn", "bank_account", "home_address"} & r.keys() for r in seen)
    screenshot(page, "employees-salary")

    # Search, next page and page size go through the server and into the URL.
    page.get_by_label("Search").fill("demo.shre")
    expect(page).to_have_url(f"{web_app.url}/employees?columns=salary&q=demo.shre")
    page.get_by_role("button", name="2", exact=True).click()
    expect(page).to_have_url(f"{web_app.url}/employees?columns=salary&q=demo.shre&page=2")
    page.go_back()
    expect(page).to_have_url(f"{web_app.url}/employees?columns=salary&q=demo.shre")
    assert watched.csp_refusals() == []


def test_an_employee_never_receives_salary_or_anyone_elses_employment_data(
    web_app: WebApp, browser: Browser
) -> None:
    with web_app.api("employee") as api:
        me = api.get("/me").json()
    page = new_page(browser, web_app.url).page
    received = Received(page)
    sign_in(page, *web_app.credentials("employee"), path="/employees")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(51)
    expect(page.get_by_role("switch", name="Show salary")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Salary")).to_have_count(0)
    expect(page.get_by_role("button", name="New employee")).to_have_count(0)
    expect(page.get_by_label("Find by national ID")).to_have_count(0)
    page.get_by_role("combobox", name="Status").click()
    with page.expect_response(lambda r: listed(r, "status=active")) as answer:
        page.get_by_role("option", name="Active").click()  # filtered by an employment field
    answer.value.finished()
    seen = received.records()
    assert len(seen) > 50
    for record in seen:
        assert not SENSITIVE_FIELDS & record.keys(), record
        if record["id"] != me["employee_id"]:
            assert not EMPLOYMENT_FIELDS & {k for k, v in record.items() if v is not None}
    screenshot(page, "employees-as-employee")


def test_a_manager_receives_employment_data_of_their_reporting_line_only(
    web_app: WebApp, browser: Browser
) -> None:
    with web_app.api("manager") as api:
        me = api.get("/me").json()
        line = api.get(f"/employees/{me['employee_id']}/reports", params={"depth": "all"})
        subtree = {e["id"] for e in line.json()} | {me["employee_id"]}
    assert len(subtree) > 1
    page = new_page(browser, web_app.url).page
    received = Received(page)
    with page.expect_response(lambda r: listed(r, "page_size=200")) as answer:
        sign_in(page, *web_app.credentials("manager"), path="/employees?page_size=200")
    answer.value.finished()
    seen = received.records()
    assert len(seen) > len(subtree)
    for record in seen:
        assert not SENSITIVE_FIELDS & record.keys(), record
        shown = {k for k, v in record.items() if v is not None}
        if record["id"] in subtree:
            assert "status" in shown
        else:
            assert not EMPLOYMENT_FIELDS & shown, record
    screenshot(page, "employees-as-manager")


def test_export_csv_is_the_filtered_list_and_is_audited(web_app: WebApp, browser: Browser) -> None:
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("hr"), path="/employees?status=terminated")
    expect(page.get_by_role("table")).to_be_visible()
    with page.expect_download() as caught:
        page.get_by_role("button", name="Export CSV").click()
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    with web_app.api("hr") as api:
        expected = api.get("/employees", params={"status": "terminated", "page_size": 500})
    assert expected.status_code == 200
    assert {r["id"] for r in rows} == {e["id"] for e in expected.json()["items"]}
    assert rows
    assert all(r["status"] == "terminated" for r in rows)
    assert "salary" not in rows[0]  # the export carries what the list shows
    expect(page.get_by_text("The file is downloading.")).to_be_visible()
    with web_app.api("admin") as api:
        events = api.get("/audit", params={"action": "employee.export"}).json()["items"]
    assert events
    assert events[0]["target_id"] == f"csv:{len(rows)}"
    assert uuid.UUID(events[0]["actor_id"])
