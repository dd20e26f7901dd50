"""A person's page and forms in the browser: create with the API's refusals beside their
fields, an edit that lost a race (412) said in words, and a national ID revealed with one
audited request that the audit log then shows."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Browser, expect

from tests.support.browser import WebApp, new_page, screenshot, sign_in

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def someone(web_app: WebApp, **fields: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    body = {
        "employee_number": f"E2E-{tag}",
        "first_name": "Ines",
        "last_name": f"Lindqvist-{tag}",
        "email": f"ines.{tag}@demo.shre.example",
        "hire_date": "2024-04-01",
        **fields,
    }
    with web_app.api("hr") as api:
        created = api.post("/employees", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_hr_creates_an_employee_and_a_duplicate_email_is_refused_beside_its_field(
    web_app: WebApp, browser: Browser
) -> None:
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path="/employees")
    page.get_by_role("link", name="New employee").click()
    expect(page).to_have_url(f"{web_app.url}/employees/new")
    tag = uuid.uuid4().hex[:8]
    page.get_by_role("textbox", name="First name").fill("Maja")
    page.get_by_role("textbox", name="Last name").fill(f"Okafor-{tag}")
    page.get_by_role("textbox", name="Email", exact=True).fill(f"maja.{tag}@demo.shre.example")
    page.get_by_role("textbox", name="Employee number").fill(f"NEW-{tag}")
    page.get_by_role("textbox", name="Job title").fill("Payroll Specialist")
    page.get_by_label("Hire date").fill("2025-02-03")
    page.get_by_role("textbox", name="Salary", exact=True).fill("61250.50")
    page.get_by_role("textbox", name="Salary currency").fill("EUR")
    screenshot(page, "employee-new")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/employees/{UUID}$"))
    expect(page.get_by_role("heading", name=f"Maja Okafor-{tag}")).to_be_visible()
    created_id = page.url.rsplit("/", 1)[1]
    with web_app.api("hr") as api:
        stored = api.get(f"/employees/{created_id}", params={"fields": "salary"}).json()
    assert stored["salary"] == "61250.50"  # as typed
    assert stored["job_title"] == "Payroll Specialist"

    # The same email again: the API's 409 beside the Email field, nothing lost.
    page.goto("/employees/new")
    page.get_by_role("textbox", name="First name").fill("Maja")
    page.get_by_role("textbox", name="Last name").fill("Again")
    page.get_by_role("textbox", name="Email", exact=True).fill(f"maja.{tag}@demo.shre.example")
    page.get_by_role("textbox", name="Employee number").fill(f"NEW2-{tag}")
    page.get_by_label("Hire date").fill("2025-02-03")
    page.get_by_role("button", name="Save").click()
    email = page.get_by_role("textbox", name="Email", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Another employee has this email")).to_be_visible()
    expect(page.get_by_role("textbox", name="Last name")).to_have_value("Again")
    expect(page).to_have_url(f"{web_app.url}/employees/new")
    assert watched.csp_refusals() == []


def test_an_edit_that_lost_a_race_says_so_and_reloads_the_other_change(
    web_app: WebApp, browser: Browser
) -> None:
    person = someone(web_app, job_title="Analyst")
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("hr"), path=f"/employees/{person['id']}/edit")
    expect(page.get_by_role("textbox", name="Job title")).to_have_value("Analyst")
    with web_app.api("admin") as api:  # someone else saves first
        changed = api.patch(f"/employees/{person['id']}", json={"job_title": "Senior Analyst"})
    assert changed.status_code == 200
    page.get_by_role("textbox", name="Job title").fill("Lead Analyst")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Someone else changed this record")).to_be_visible()
    screenshot(page, "employee-edit-conflict")
    with web_app.api("hr") as api:  # nothing was overwritten
        assert api.get(f"/employees/{person['id']}").json()["job_title"] == "Senior Analyst"
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("textbox", name="Job title")).to_have_value("Senior Analyst")


def test_revealing_a_national_id_is_one_audited_read_and_leaves_with_the_page(
    web_app: WebApp, browser: Browser
) -> None:
    national_id = f"{uuid.uuid4().int % 10**9:09d}"
    person = someone(web_app, ssn=national_id, bank_account="DE89370400440532013000")
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path=f"/employees/{person['id']}")
    ssn = page.get_by_role("group", name="National ID")
    expect(ssn.get_by_role("button", name="Reveal")).to_be_visible()
    assert national_id not in page.content()
    with page.expect_request(lambda r: "fields=ssn" in r.url) as asked:
        ssn.get_by_role("button", name="Reveal").click()
    assert asked.value.url.endswith(f"/api/v1/employees/{person['id']}?fields=ssn")
    expect(ssn.get_by_text(national_id)).to_be_visible()
    assert national_id not in page.url
    assert national_id not in page.title()
    screenshot(page, "employee-revealed")
    # Only that one field came: the bank account is still hidden.
    bank = page.get_by_role("group", name="Bank account")
    expect(bank.get_by_role("button", name="Reveal")).to_be_visible()

    with web_app.api("admin") as api:
        events = api.get(
            "/audit", params={"action": "employee.read_sensitive", "target_id": person["id"]}
        ).json()["items"]
    # One audited read, the reveal: it named the national ID, not the bank account.
    reveals = [e for e in events if "ssn" in e["fields"]]
    assert len(reveals) == 1
    assert "bank_account" not in reveals[0]["fields"]

    # Leaving the page forgets the value.
    page.get_by_role("link", name="Employees").first.click()
    expect(page).to_have_url(f"{web_app.url}/employees")
    # The list is on screen: the person's page is gone, not just its URL (a router
    # transition not yet rendered keeps the page that was there).
    expect(page.get_by_role("heading", name="Employees", exact=True)).to_be_visible()
    page.go_back()
    expect(page).to_have_url(f"{web_app.url}/employees/{person['id']}")
    expect(
        page.get_by_role("group", name="National ID").get_by_role("button", name="Reveal")
    ).to_be_visible()
    assert national_id not in page.content()
    assert watched.csp_refusals() == []

    # The admin finds the reveal in the person's audit trail.
    admin = new_page(browser, web_app.url).page
    sign_in(admin, *web_app.credentials("admin"), path=f"/employees/{person['id']}?tab=audit")
    expect(admin.get_by_text("employee.read_sensitive").first).to_be_visible()
    screenshot(admin, "employee-audit-tab")


def test_an_employee_sees_no_reveal_on_someone_elses_page(
    web_app: WebApp, browser: Browser
) -> None:
    person = someone(web_app, ssn="123-45-6789")
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("employee"), path=f"/employees/{person['id']}")
    expect(page.get_by_role("heading", name=f"Ines {person['last_name']}")).to_be_visible()
    expect(page.get_by_role("button", name="Reveal")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    screenshot(page, "employee-as-employee")
    with web_app.api("employee") as api:
        me = api.get("/me").json()
    page.goto(f"/employees/{me['employee_id']}")
    expect(
        page.get_by_role("group", name="National ID").get_by_role("button", name="Reveal")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Edit my contact and bank details")).to_be_visible()
    screenshot(page, "my-profile")
