"""Bulk import and data subject rights in the browser: hr checks a CSV (a dry run at once:
the preview, the counts, a bad row's error), fixes it and imports it; an admin places
a legal hold, changes its reason and releases it, and an erasure is refused while one
is on; a former employee's erasure leaves only a pseudonym, and one a disk interrupted
is finished from the page; an employee is offered none of this."""

from __future__ import annotations

import csv
import io
import re
import shutil
import uuid
import zipfile
from typing import Any

from playwright.sync_api import Browser, Page, expect

from shre.storage.keys import object_key
from tests.support.browser import WebApp, new_page, screenshot, sign_in
from tests.support.documents import pdf_with_text

HEADER = [
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "hire_date",
    "job_title",
    "department_name",
    "salary",
    "salary_currency",
]


def csv_file(rows: list[list[str]]) -> dict[str, Any]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return {"name": "people.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}


def row(tag: str, n: int, *, email: str | None = None) -> list[str]:
    return [
        f"IMP-{tag}-{n}",
        f"Ilse{n}",
        f"Imported-{tag}",
        email or f"ilse{n}.{tag}@demo.shre.example",
        "2025-03-01",
        "Analyst",
        f"Imports {tag}",
        f"{61000 + n}.25",
        "EUR",
    ]


def former_employee(web_app: WebApp) -> dict[str, Any]:
    """A new employee, terminated today (erasable unless held)."""
    tag = uuid.uuid4().hex[:8]
    with web_app.api("hr") as api:
        created = api.post(
            "/employees",
            json={
                "employee_number": f"GONE-{tag}",
                "first_name": "Greta",
                "last_name": f"Former-{tag}",
                "email": f"greta.{tag}@demo.shre.example",
                "hire_date": "2019-05-01",
                "job_title": "Buyer",
                "ssn": f"{uuid.uuid4().int % 10**9:09d}",
            },
        )
        assert created.status_code == 201, created.text
        person = dict(created.json())
        ended = api.delete(f"/employees/{person['id']}", params={"reason": "Left"})
        assert ended.status_code in (200, 204), ended.text
    return person


def choose(page: Page, file: dict[str, Any]) -> None:
    page.get_by_label("File", exact=True).set_input_files(files=[file])


def test_hr_checks_a_file_fixes_a_bad_row_and_imports_it(web_app: WebApp, browser: Browser) -> None:
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path="/employees")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page).to_have_url(f"{web_app.url}/employees/import")
    expect(page.get_by_role("heading", name="Import employees")).to_be_visible()
    expect(page.get_by_role("button", name="Download CSV template")).to_be_visible()
    expect(page.get_by_role("button", name="Download XLSX template")).to_be_visible()
    tag = uuid.uuid4().hex[:8]

    # A department that does not exist yet, and a bad email in row 3.
    choose(page, csv_file([row(tag, 1), row(tag, 2, email="not-an-email")]))
    preview = page.get_by_role("table", name="Preview of the file")
    expect(preview).to_contain_text(f"IMP-{tag}-1")
    expect(preview).to_contain_text(f"Imported-{tag}")
    assert "61001.25" not in page.content()  # pay hidden until asked for
    errors = page.get_by_role("table", name="Problems in the file")
    expect(errors).to_contain_text("department_name")
    expect(errors).to_contain_text("email")
    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_disabled()

    # Creating missing departments checks the file again: only the email is left.
    page.get_by_label("Create missing departments").check()
    bad = errors.get_by_role("row").filter(has_text="email")
    expect(bad).to_have_count(1)
    expect(bad.get_by_role("cell").first).to_have_text("3")
    expect(errors.get_by_role("row").filter(has_text="department_name")).to_have_count(0)
    expect(page.get_by_text("1 problem to fix")).to_be_visible()
    expect(import_button).to_be_disabled()
    screenshot(page, "import-errors")

    # The fixed file: no problem, Import writes it.
    choose(page, csv_file([row(tag, 1), row(tag, 2)]))
    expect(page.get_by_text("Every row is valid. Press Import to write them.")).to_be_visible()
    expect(page.get_by_role("group", name="Created", exact=True)).to_contain_text("2")
    expect(page.get_by_role("group", name="Departments created")).to_contain_text("1")
    expect(import_button).to_be_enabled()
    import_button.click()
    expect(
        page.get_by_role("status").filter(has_text="Import done: 2 created, 0 updated").first
    ).to_be_visible()
    expect(page.get_by_role("group", name="Created", exact=True)).to_contain_text("2")
    screenshot(page, "import-done")

    page.get_by_role("link", name="Back to the employee list").click()
    expect(page).to_have_url(re.compile(r"/employees$"))
    page.get_by_role("searchbox", name="Search").fill(f"Imported-{tag}")
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text=f"Imported-{tag}")).to_have_count(2)
    expect(table).to_contain_text(f"IMP-{tag}-2")
    assert watched.csp_refusals() == []


def test_an_admin_places_and_releases_a_legal_hold_and_erasure_waits_for_it(
    web_app: WebApp, browser: Browser
) -> None:
    person = former_employee(web_app)
    name = f"Greta {person['last_name']}"
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("admin"), path=f"/employees/{person['id']}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    actions = page.get_by_role("group", name="Actions")

    # The export: a ZIP named by the server.
    with page.expect_download() as caught:
        actions.get_by_role("button", name="Export personal data").click()
    download = caught.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as archive:
        assert "employee.json" in archive.namelist()

    # A hold, with its reason, said in words in the header card.
    actions.get_by_role("button", name="Place legal hold").click()
    dialog = page.get_by_role("dialog", name=f"Place a legal hold on {name}")
    dialog.get_by_role("button", name="Place legal hold").click()
    expect(dialog.get_by_text("Give a reason")).to_be_visible()  # required
    dialog.get_by_role("textbox", name="Reason").fill("Tribunal case 2026-114")
    dialog.get_by_role("button", name="Place legal hold").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Legal hold", exact=True)).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Legal hold since .+: Tribunal case 2026-114"))
    ).to_be_visible()
    expect(actions.get_by_role("button", name="Erase", exact=True)).to_have_count(0)
    screenshot(page, "employee-legal-hold")

    # Its reason changed, the hold staying on.
    actions.get_by_role("button", name="Change hold reason").click()
    dialog = page.get_by_role("dialog", name=f"The reason for the legal hold on {name}")
    reason = dialog.get_by_role("textbox", name="Reason")
    expect(reason).to_have_value("Tribunal case 2026-114")
    reason.fill("Tribunal case 2026-114, appeal 2026-201")
    dialog.get_by_role("button", name="Save reason").click()
    expect(dialog).to_be_hidden()
    expect(
        page.get_by_text(re.compile(r"Legal hold since .+: Tribunal case 2026-114, appeal"))
    ).to_be_visible()
    with web_app.api("hr") as api:
        hold = api.get(f"/employees/{person['id']}").json()["legal_hold"]
    assert hold["reason"] == "Tribunal case 2026-114, appeal 2026-201"

    actions.get_by_role("button", name="Release legal hold").click()
    dialog = page.get_by_role("dialog", name=f"Release the legal hold on {name}?")
    dialog.get_by_role("button", name="Release legal hold").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Legal hold", exact=True)).to_have_count(0)

    # Someone places a hold while the erasure dialog is open: the refusal in words.
    actions.get_by_role("button", name="Erase", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Erase {name}")
    with web_app.api("hr") as api:
        held = api.put(
            f"/employees/{person['id']}/legal-hold", json={"reason": "Audit by the regulator"}
        )
    assert held.status_code == 200, held.text
    dialog.get_by_role("textbox", name="Reason").fill("Retention period over")
    dialog.get_by_label("I understand that this cannot be undone").check()
    dialog.get_by_role("button", name="Erase permanently").click()
    expect(dialog.get_by_role("alert")).to_contain_text("This employee is on legal hold")
    with web_app.api("hr") as api:
        kept = api.get(f"/employees/{person['id']}").json()
    assert kept["last_name"] == person["last_name"]
    assert kept["erasure_requested_at"] is None
    assert watched.csp_refusals() == []


def test_erasing_a_former_employee_leaves_only_a_pseudonym(
    web_app: WebApp, browser: Browser
) -> None:
    person = former_employee(web_app)
    name = f"Greta {person['last_name']}"
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path=f"/employees/{person['id']}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("group", name="Actions").get_by_role(
        "button", name="Erase", exact=True
    ).click()
    dialog = page.get_by_role("dialog", name=f"Erase {name}")
    # What will happen, before it does.
    expect(dialog).to_contain_text("data key is destroyed")
    expect(dialog).to_contain_text("deleted from storage")
    expect(dialog).to_contain_text("replaced by a pseudonym")
    expect(dialog).to_contain_text("department and job title are kept")
    expect(dialog).to_contain_text("This cannot be undone.")
    erase = dialog.get_by_role("button", name="Erase permanently")
    expect(erase).to_be_disabled()  # until the confirmation is ticked
    dialog.get_by_role("textbox", name="Reason").fill("Retention period over")
    dialog.get_by_label("I understand that this cannot be undone").check()
    screenshot(page, "employee-erase")
    erase.click()

    pseudonym = f"Erased #{person['id'].replace('-', '')[:8]}"
    expect(page.get_by_role("heading", name=pseudonym)).to_be_visible()
    expect(page.get_by_text("Erased", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Personal data erased on"))).to_be_visible()
    expect(page.get_by_role("button", name="Reveal")).to_have_count(0)
    expect(page.get_by_role("heading", name="Personal and pay")).to_have_count(0)
    for gone in ("Edit", "Export personal data", "Place legal hold", "Erase", "Upload document"):
        actions = page.get_by_role("group", name="Actions")
        expect(actions.get_by_role("button", name=gone, exact=True)).to_have_count(0)
    assert person["last_name"] not in page.content()
    assert person["email"] not in page.content()
    screenshot(page, "employee-erased")
    assert watched.csp_refusals() == []


def test_an_erasure_the_disk_interrupted_is_finished_from_the_page(
    web_app: WebApp, browser: Browser
) -> None:
    """A file that cannot be deleted stops the erasure half-way (the key destroyed, the
    name replaced, the files not all gone): the page says so and offers to finish it,
    which works once the disk is repaired."""
    person = former_employee(web_app)
    name = f"Greta {person['last_name']}"
    with web_app.api("hr") as api:
        uploaded = api.post(
            "/documents",
            data={"employee_id": person["id"], "category": "contract", "title": "Contract"},
            files={"file": ("contract.pdf", pdf_with_text("Contract 2019"), "application/pdf")},
        )
    assert uploaded.status_code == 201, uploaded.text
    # A directory where the file should be: no delete of it succeeds (root ignores
    # permissions, so a read-only file would not do).
    stuck = web_app.upload_dir / object_key(person["id"], uploaded.json()["id"], 1)
    stuck.unlink()
    (stuck / "in-the-way").mkdir(parents=True)

    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path=f"/employees/{person['id']}")
    actions = page.get_by_role("group", name="Actions")
    actions.get_by_role("button", name="Erase", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Erase {name}")
    dialog.get_by_role("textbox", name="Reason").fill("Retention period over")
    dialog.get_by_label("I understand that this cannot be undone").check()
    dialog.get_by_role("button", name="Erase permanently").click()
    # The dialog stays, titled by the pseudonym now, and says what happened.
    pseudonym = f"Erased #{person['id'].replace('-', '')[:8]}"
    dialog = page.get_by_role("dialog", name=f"Erase {pseudonym}")
    expect(dialog.get_by_role("alert")).to_contain_text("Nothing is lost")
    dialog.get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("heading", name=pseudonym)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Erasure begun on .+still being deleted"))).to_be_visible()
    screenshot(page, "employee-erasure-pending")

    shutil.rmtree(stuck)  # the disk is repaired
    page.get_by_role("button", name="Finish erasure").click()  # in the notice
    dialog = page.get_by_role("dialog", name=f"Erase {pseudonym}")
    dialog.get_by_role("button", name="Finish erasure").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(re.compile(r"Personal data erased on"))).to_be_visible()
    expect(page.get_by_role("button", name="Finish erasure")).to_have_count(0)
    with web_app.api("hr") as api:
        shown = api.get(f"/employees/{person['id']}").json()
    assert shown["erased_at"] is not None
    assert not stuck.exists()
    assert watched.csp_refusals() == []


def test_an_employee_is_offered_no_import_and_no_rights_controls(
    web_app: WebApp, browser: Browser
) -> None:
    person = former_employee(web_app)
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("employee"), path="/employees")
    expect(page.get_by_role("heading", name="Employees", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Import", exact=True)).to_have_count(0)

    page.goto("/employees/import")
    expect(page.get_by_text("Only HR and administrators can import employees.")).to_be_visible()
    expect(page.get_by_label("File", exact=True)).to_have_count(0)

    page.goto(f"/employees/{person['id']}")
    expect(page.get_by_role("heading", name=f"Greta {person['last_name']}")).to_be_visible()
    for control in ("Export personal data", "Place legal hold", "Release legal hold", "Erase"):
        expect(page.get_by_role("button", name=control, exact=True)).to_have_count(0)
    # The server is the authority: it refuses them too.
    with web_app.api("employee") as api:
        hold = api.put(f"/employees/{person['id']}/legal-hold", json={"reason": "mine"})
        erase = api.post(f"/employees/{person['id']}/erase", json={"reason": "mine"})
        exported = api.get(f"/employees/{person['id']}/export")
    assert hold.status_code in (403, 404)
    assert erase.status_code in (403, 404)
    assert exported.status_code in (403, 404)
