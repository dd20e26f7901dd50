"""Departments in the browser: the tree with headcounts, create under a parent, a move
that would make a cycle refused beside its field, a delete refused while people work
there, and an empty one deleted."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from tests.support.browser import WebApp, new_page, screenshot, sign_in


def test_create_move_and_delete_with_the_apis_refusals_in_words(
    web_app: WebApp, browser: Browser
) -> None:
    watched = new_page(browser, web_app.url)
    page = watched.page
    sign_in(page, *web_app.credentials("hr"), path="/departments")
    tree = page.get_by_role("tree", name="Department tree")
    expect(tree.get_by_text("Engineering", exact=True)).to_be_visible()
    tag = uuid.uuid4().hex[:6]

    for name, parent in ((f"Research {tag}", None), (f"Labs {tag}", f"Research {tag}")):
        page.get_by_role("button", name="New department").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("textbox", name="Name").fill(name)
        parent_field = dialog.get_by_role("combobox", name="Parent department")
        if parent is None:  # nothing is selected yet: a top-level department
            expect(parent_field).to_have_value("")
        else:  # the department just created is selected: the new one goes under it
            expect(parent_field).to_have_value(parent)
        dialog.get_by_role("button", name="Save").click()
        expect(page.get_by_text(f"“{name}” was created.")).to_be_visible()
    screenshot(page, "departments-created")

    # Research under its own child: the API's refusal beside the parent field.
    tree.get_by_text(f"Research {tag}", exact=True).click()
    # The panel is the chosen department's before its buttons are used (a click a moment
    # sooner would act on the department shown before).
    expect(page.get_by_role("heading", name=f"Research {tag}", exact=True, level=2)).to_be_visible()
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox", name="Parent department").fill(f"Labs {tag}")
    page.get_by_role("option", name=f"Labs {tag}").click()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("that would make a cycle")).to_be_visible()
    screenshot(page, "departments-cycle-refused")
    dialog.get_by_role("button", name="Cancel").click()

    # A department with people in it is not deleted, and says why.
    tree.get_by_text("Engineering", exact=True).click()
    expect(page.get_by_role("heading", name="Engineering", exact=True, level=2)).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Confirm deletion").click()
    expect(page.get_by_text("“Engineering” was not deleted")).to_be_visible()

    # An empty one is.
    tree.get_by_text(f"Labs {tag}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Labs {tag}", exact=True, level=2)).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Confirm deletion").click()
    expect(page.get_by_text(f"“Labs {tag}” was deleted.")).to_be_visible()
    expect(tree.get_by_text(f"Labs {tag}", exact=True)).to_have_count(0)
    assert watched.csp_refusals() == []
