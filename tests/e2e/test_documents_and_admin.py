"""Documents, users and the audit log in the browser: upload with progress, preview,
download and versions of a document; an admin deactivates a user (who is then refused);
the audit page says whether the chain is intact."""

from __future__ import annotations

import io
import uuid

import httpx
from playwright.sync_api import Browser, expect
from pypdf import PdfWriter

from tests.support.browser import WebApp, new_page, screenshot, sign_in
from tests.support.documents import png


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_upload_preview_download_and_a_new_version(web_app: WebApp, browser: Browser) -> None:
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path="/documents")
    tag = uuid.uuid4().hex[:8]
    image = png()

    page.get_by_role("button", name="Upload", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("File").set_input_files(
        files=[{"name": f"badge-{tag}.png", "mimeType": "image/png", "buffer": image}]
    )
    dialog.get_by_role("textbox", name="Title").fill(f"Badge photo {tag} <script>x</script>")
    dialog.get_by_role("combobox", name="Category").click()
    page.get_by_role("option", name="Identity").click()
    screenshot(page, "document-upload")
    dialog.get_by_role("button", name="Upload", exact=True).click()
    # The new document's drawer opens; the worker reads the file meanwhile.
    drawer = page.get_by_role("dialog")
    expect(
        drawer.get_by_role("heading", name=f"Badge photo {tag} <script>x</script>")
    ).to_be_visible()
    expect(drawer.get_by_text("Reading the file…")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.get_by_text(f"Badge photo {tag} <script>x</script>").first).to_be_visible()

    # Found by its words, opened, previewed from memory (a blob: URL), downloaded.
    page.get_by_role("searchbox", name="Search").fill(tag)
    page.get_by_role("button", name=f"Badge photo {tag} <script>x</script>").first.click()
    drawer = page.get_by_role("dialog")
    preview = drawer.locator("img[src^='blob:']")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") == 24
    screenshot(page, "document-preview")
    with page.expect_download() as caught:
        drawer.get_by_role("button", name="Download", exact=True).click()
    assert caught.value.path().read_bytes() == image

    # A new version, then the old one is still there to get.
    with page.expect_file_chooser() as chooser:
        drawer.get_by_role("button", name="Upload new version").click()
    chooser.value.set_files(
        files=[{"name": f"badge-{tag}-2.pdf", "mimeType": "application/pdf", "buffer": pdf()}]
    )
    expect(page.get_by_text("Version 2 was uploaded.")).to_be_visible()
    expect(drawer.locator("iframe[src^='blob:']")).to_be_visible()  # the PDF, in the app
    with page.expect_download() as caught:
        drawer.get_by_role("button", name="Get version 1").click()
    assert caught.value.path().read_bytes() == image
    assert watched.csp_refusals() == []

    # A file type that is not allowed is refused in words.
    page.goto("/documents?upload=1")
    dialog = page.get_by_role("dialog", name="Upload a document")
    dialog.get_by_label("File").set_input_files(
        files=[
            {
                "name": "tool.exe",
                "mimeType": "application/octet-stream",
                "buffer": b"MZ\x90\x00\x03\x00\xff\xfe\x00\x00" * 32,
            }
        ]
    )
    dialog.get_by_role("combobox", name="Category").click()
    page.get_by_role("option", name="Other").click()
    dialog.get_by_role("button", name="Upload", exact=True).click()
    expect(dialog.get_by_text("not allowed")).to_be_visible()
    screenshot(page, "document-upload-refused")


def test_the_expiry_date_a_file_states_is_offered_after_its_upload(
    web_app: WebApp, browser: Browser
) -> None:
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("hr"), path="/documents")
    tag = uuid.uuid4().hex[:8]
    text = f"First aid certificate {tag}\nIssued 14 March 2025\nValid until 13 March 2028\n"

    page.get_by_role("button", name="Upload", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("File").set_input_files(
        files=[{"name": f"aid-{tag}.txt", "mimeType": "text/plain", "buffer": text.encode()}]
    )
    dialog.get_by_role("combobox", name="Category").click()
    page.get_by_role("option", name="Certificate").click()
    dialog.get_by_role("button", name="Upload", exact=True).click()

    drawer = page.get_by_role("dialog")
    expect(drawer.get_by_text("The file says it is valid until")).to_be_visible()
    screenshot(page, "document-suggestion")
    drawer.get_by_role("button", name="Use as expiry date").click()
    expect(page.get_by_text("The expiry date is now")).to_be_visible()
    expect(drawer.get_by_text("The file says it is valid until")).to_be_hidden()
    expect(drawer.get_by_role("row", name="Expires")).to_contain_text("2028")


def test_an_admin_deactivates_a_user_who_is_then_refused(web_app: WebApp, browser: Browser) -> None:
    tag = uuid.uuid4().hex[:8]
    email, password = f"leaver.{tag}@demo.shre.example", f"a long pass phrase {tag}"
    with web_app.api("admin") as api:
        created = api.post(
            "/users",
            json={
                "email": email,
                "password": password,
                "full_name": f"Lee Aver {tag}",
                "role": "employee",
            },
        )
    assert created.status_code == 201, created.text
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("admin"), path="/users")
    page.get_by_role("searchbox", name="Search").fill(tag)
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_have_count(1)
    screenshot(page, "users")
    row.get_by_role("button", name="Deactivate").click()
    page.get_by_role("dialog").get_by_role("button", name="Deactivate").click()
    expect(row.get_by_text("Deactivated")).to_be_visible()
    refused = httpx.post(
        f"{web_app.url}/api/v1/auth/login", json={"email": email, "password": password}
    )
    assert refused.status_code == 401


def test_the_audit_page_verifies_the_chain_and_filters_the_log(
    web_app: WebApp, browser: Browser
) -> None:
    page = new_page(browser, web_app.url).page
    sign_in(page, *web_app.credentials("admin"), path="/audit")
    expect(page.get_by_text("The audit log is intact")).to_be_visible()
    expect(page.get_by_role("table")).to_be_visible()
    screenshot(page, "audit")
    page.goto("/audit?action=auth.login")
    expect(page.get_by_role("table").get_by_text("auth.login").first).to_be_visible()
    expect(page.get_by_role("table").get_by_text("employee.update")).to_have_count(0)

    # Not for an hr user: the API refuses and the page says so.
    hr = new_page(browser, web_app.url).page
    sign_in(hr, *web_app.credentials("hr"), path="/audit")
    expect(hr.get_by_role("alert")).to_be_visible()
    expect(hr.get_by_role("link", name="Audit")).to_have_count(0)
