"""`GET /documents?format=csv|xlsx`: the metadata of every document the list would show
the caller (their read scope, the list's filters and sort, not a page) as a file, one
audited `document.export` event per file, a row limit, and text a spreadsheet would run
written as text.

The organisation is tests/support/org.py's: the manager is linked to M (subtree: R1, R2),
the employee to R2; "-" is a company document (no employee)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import counts, events, new_events
from tests.support.documents import DOCS, uploaded
from tests.support.exports import (
    assert_exports_match_list,
    check_attachment,
    exported,
    read_csv,
    read_xlsx,
)
from tests.support.org import Org, build_org

EXPORT = "document.export"
COLUMNS = [
    "id",
    "employee_id",
    "title",
    "category",
    "filename",
    "content_type",
    "size",
    "sha256",
    "version",
    "expires_on",
    "tags",
    "uploaded_by",
    "created_at",
    "processed",
    "suggested_category",
    "category_confidence",
    "suggested_expires_on",
    "category_reviewed_at",
]
OWNERS = ("T", "M", "R1", "R2", "-")
CATEGORIES = ("performance", "identity", "contract")
# The titles each caller's list (and export) holds, of every document.
SEES = {
    "admin": {f"{c}-{o}" for c in CATEGORIES for o in OWNERS},
    "hr": {f"{c}-{o}" for c in CATEGORIES for o in OWNERS},
    "manager": {f"{c}-M" for c in CATEGORIES} | {"performance-R1", "performance-R2"},
    "employee": {f"{c}-R2" for c in CATEGORIES},
    "manager without record": set(),
    "employee without record": set(),
}


@pytest.fixture
async def org(client: httpx.AsyncClient, admin: Account, accounts: Accounts) -> Org:
    """The organisation with one document per owner and category ("contract-T"), the
    contracts expiring, one document deleted."""
    org = await build_org(client, admin, accounts)
    soon = date.today() + timedelta(days=30)
    for owner in OWNERS:
        for category in CATEGORIES:
            await uploaded(
                client,
                admin.headers,
                f"{category} of {owner}".encode(),
                filename=f"{category}.txt",
                category=category,
                employee_id=None if owner == "-" else org.id(owner),
                title=f"{category}-{owner}",
                tags=["hr", category],
                **({"expires_on": soon.isoformat()} if category == "contract" else {}),
            )
    gone = await uploaded(client, admin.headers, b"gone", title="deleted-T")
    deleted = await client.delete(f"{DOCS}/{gone['id']}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    return org


async def test_each_caller_exports_what_it_may_list(client: httpx.AsyncClient, org: Org) -> None:
    for caller, headers in org.callers.items():
        items = await assert_exports_match_list(client, DOCS, headers, COLUMNS)
        assert {item["title"] for item in items} == SEES[caller], caller
        for params in (
            {"category": "performance", "sort": "title"},
            {"q": "contract", "sort": "-expires_on"},
            {"employee_id": org.id("R2"), "sort": "-created_at"},
            {"expiring_before": (date.today() + timedelta(days=60)).isoformat()},
        ):
            await assert_exports_match_list(client, DOCS, headers, COLUMNS, **params)
    _, rows = read_csv(await exported(client, DOCS, org.callers["manager"], category="performance"))
    assert sorted(r["title"] for r in rows) == ["performance-M", "performance-R1", "performance-R2"]
    assert {r["tags"] for r in rows} == {'["hr","performance"]'}
    _, rows = read_csv(await exported(client, DOCS, org.callers["hr"], page_size=1))
    assert len(rows) == len(SEES["hr"])  # not a page, and not the deleted document
    for file_format in ("csv", "xlsx"):
        response = await exported(client, DOCS, org.callers["employee"], file_format)
        check_attachment(response, "documents", file_format)
    assert_problem(await exported(client, DOCS, {}), 401)
    assert_problem(await exported(client, DOCS, org.callers["hr"], sort="sha256"), 422)
    assert_problem(await exported(client, DOCS, org.callers["hr"], category="memo"), 422)


async def test_one_audited_event_per_file_with_format_and_rows(
    client: httpx.AsyncClient, org: Org, runtime: Runtime
) -> None:
    before = await counts(runtime)
    read_csv(await exported(client, DOCS, org.callers["manager"]))
    read_xlsx(await exported(client, DOCS, org.callers["employee without record"], "xlsx"))
    assert await new_events(runtime, before) == Counter({EXPORT: 2})
    by_manager, by_nobody = (await events(runtime, EXPORT))[-2:]
    assert (by_manager.actor_role, by_manager.target_type) == ("manager", "document")
    assert by_manager.target_id == f"csv:{len(SEES['manager'])}"
    assert sorted(by_manager.fields) == sorted(COLUMNS)
    assert (by_nobody.actor_role, by_nobody.target_id) == ("employee", "xlsx:0")


async def test_text_a_spreadsheet_would_run_is_written_as_text(
    client: httpx.AsyncClient, admin: Account
) -> None:
    risky = {"title": '=HYPERLINK("http://x")', "tags": ["+cmd"]}
    await uploaded(client, admin.headers, b"risky", filename="@risky.txt", **risky)
    _, [row] = read_csv(await exported(client, DOCS, admin.headers))
    assert row["title"] == "'" + risky["title"]
    assert row["filename"] == "'@risky.txt"
    assert row["tags"] == '["+cmd"]'  # a list's cell starts with "["
    _, [cells] = read_xlsx(await exported(client, DOCS, admin.headers, "xlsx"))
    assert (cells["title"].value, cells["title"].data_type) == (risky["title"], "s")


class TestRowLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"export_max_rows": 5}

    async def test_more_rows_than_the_limit_is_422_and_no_file(
        self, client: httpx.AsyncClient, org: Org, runtime: Runtime
    ) -> None:
        before = await counts(runtime)
        hr = org.callers["hr"]
        for file_format in ("csv", "xlsx"):
            problem = assert_problem(
                await exported(client, DOCS, hr, file_format), 422, "export_too_large"
            )
            assert "5" in problem["detail"]
        assert await new_events(runtime, before) == Counter()
        # The manager may see five: at the limit, it fits.
        _, rows = read_csv(await exported(client, DOCS, org.callers["manager"]))
        assert len(rows) == len(SEES["manager"]) == 5
