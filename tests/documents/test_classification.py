"""With SHRE_AI on, the processing job suggests a category with its confidence (the
shipped classifier, in the process, offline); the uploader's category stands; hr
confirms or corrects it; the admin sees what runs. Documents unlike the training corpus
(written for this test, one a two-page PDF) on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.documents import DOCS, new_employee, pdf_with_pages, uploaded
from tests.support.jobs import work_off

pytestmark = pytest.mark.ai

PAYSLIP = """Northwind Logistics GmbH - Entgeltabrechnung Oktober 2026
Personalnummer 4471   Steuerklasse I   Kinderfreibetrag 0,0
Bruttoentgelt                               4.250,00 EUR
Lohnsteuer                                    612,41 EUR
Solidaritätszuschlag                            0,00 EUR
Krankenversicherung AN-Anteil                 346,38 EUR
Rentenversicherung AN-Anteil                  395,25 EUR
Arbeitslosenversicherung AN-Anteil             55,25 EUR
Pflegeversicherung AN-Anteil                   76,50 EUR
Nettoentgelt                                2.764,21 EUR
Überweisung auf IBAN DE00 0000 0000 0000 0000 00
"""

REVIEW = [
    "Annual performance conversation 2026 - Software Engineering",
    "Employee: R. Okafor    Reviewer: team lead, platform group",
    "Objectives for the year: migrate the billing service, mentor two new hires.",
    "Assessment: the migration shipped in Q3 with no customer-facing incident.",
    "Rating against objectives: exceeds expectations (4 of 5).",
    "Development areas: written design proposals; delegating on-call work.",
    "Goals for next year: lead the data retention project; present at the guild.",
    "Employee comments: agrees with the rating; asks for a conference budget.",
    "Signed by employee and reviewer after the review meeting on 12 November 2026.",
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"shre_ai": True}


async def test_the_job_suggests_a_category_and_the_uploaders_stands(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    payslip = await uploaded(client, admin.headers, PAYSLIP.encode(), title="Oktober")
    # A two-page PDF: the job extracts, embeds and classifies it end to end.
    review = await uploaded(
        client,
        admin.headers,
        pdf_with_pages(REVIEW[:5], REVIEW[5:]),
        filename="review.pdf",
        category="other",
        title="Review",
    )
    await work_off(runtime)

    found = (await client.get(f"{DOCS}/{payslip['id']}", headers=admin.headers)).json()
    assert found["processed"] is True
    assert found["suggested_category"] == "payslip"
    assert 0.5 < found["category_confidence"] <= 1
    assert found["category"] == "other"  # the uploader's, until someone changes it
    assert found["category_reviewed_at"] is None
    reviewed = (await client.get(f"{DOCS}/{review['id']}", headers=admin.headers)).json()
    assert reviewed["suggested_category"] == "performance"

    # hr takes the suggestion: the category changes and counts as reviewed.
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    taken = await client.patch(
        f"{DOCS}/{payslip['id']}", json={"category": "payslip"}, headers=hr.headers
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["category"] == "payslip"
    assert taken.json()["category_reviewed_at"] is not None


async def test_the_admin_sees_whether_classification_runs(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    status = await client.get("/api/v1/admin/ai", headers=admin.headers)
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["enabled"] is True
    assert body["active"] is True
    assert body["reason"] is None
    assert body["classifier"]["cv_macro_f1"] >= 0.85
    assert sum(body["classifier"]["samples"].values()) >= 150
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    assert_problem(await client.get("/api/v1/admin/ai", headers=hr.headers), 403)


REMOTE = b"""Remote work policy
Employees may work from home up to three days a week with their manager's agreement.
The company provides a laptop and pays a monthly allowance for internet at home.
Home offices must meet the health and safety checklist."""
TRAVEL = b"""Hotel invoice - Hamburg, two nights, breakfast included, paid by company card."""
SICK = b"""Medical certificate: unable to work from 3 to 7 March due to influenza. Dr. Weiss"""


async def test_documents_are_found_by_meaning_within_what_the_caller_may_read(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    me = await new_employee(client, admin, "Me")
    await accounts.create(Role.EMPLOYEE, "me@example.com", employee_id=me)
    mine = {"Authorization": f"Bearer {(await accounts.login('me@example.com'))['access_token']}"}
    remote = await uploaded(client, hr.headers, REMOTE, category="policy", title="Remote")
    await uploaded(client, hr.headers, TRAVEL, category="other", title="Hotel")
    await uploaded(client, hr.headers, SICK, category="medical", title="Sick")
    await uploaded(client, hr.headers, REMOTE, category="other", title="Mine", employee_id=me)
    await work_off(runtime)

    async def ranked(headers: dict[str, str], text: str) -> list[str]:
        answer = await client.get(DOCS, params={"semantic": text}, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == len(answer.json()["items"])
        return [d["title"] for d in answer.json()["items"]]

    found = await ranked(hr.headers, "may I work from my kitchen table")
    assert found[0] in {"Remote", "Mine"}
    assert set(found) == {"Remote", "Hotel", "Mine"}  # never the medical note: not embedded
    assert (await ranked(hr.headers, "overnight stay receipt"))[0] == "Hotel"
    assert await ranked(mine, "working from home") == ["Mine"]  # only what they may read
    # A document moved into a category that is never indexed loses its embedding at once.
    moved = await client.patch(
        f"{DOCS}/{remote['id']}", json={"category": "medical"}, headers=hr.headers
    )
    assert moved.status_code == 200
    assert "Remote" not in await ranked(hr.headers, "working from home")
