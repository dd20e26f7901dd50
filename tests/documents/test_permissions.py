"""CONTRACT.md §4 "documents: read / upload / delete", role x action x category x whose
document, as tables. Not visible is 404 (existence is not revealed), visible but not
allowed is 403, and lists hold exactly the visible documents.

The organisation: T heads it; M and O report to T; R1 reports to M and R2 to R1. The
manager is linked to M (subtree: R1, R2), the employee to R2; "-" is a document of no
employee (company documents)."""

from __future__ import annotations

from typing import Any

import httpx

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.documents import DOCS, add_version, content, new_employee, upload, uploaded

OWNERS = ("T", "M", "R1", "R2", "O", "-")
MANAGERS = {"T": None, "M": "T", "R1": "M", "R2": "R1", "O": "T"}
CATEGORIES = ("performance", "medical", "identity", "certificate", "contract")
CALLERS = (
    "admin",
    "hr",
    "manager",
    "employee",
    "manager without record",
    "employee without record",
)
ALL = dict.fromkeys(CATEGORIES, "YYYYYY")
NONE = dict.fromkeys(CATEGORIES, "------")

# Who reads which document (one letter per owner, in OWNERS order).
READ: dict[str, dict[str, str]] = {
    "admin": ALL,
    "hr": ALL,
    "manager": {
        "performance": "-YYY--",  # own, and the subtree's performance reviews
        "medical": "-Y----",
        "identity": "-Y----",
        "certificate": "-Y----",
        "contract": "-Y----",
    },
    "employee": dict.fromkeys(CATEGORIES, "---Y--"),
    "manager without record": NONE,
    "employee without record": NONE,
}
# Who uploads (a new document, a new version, a metadata change) for whom.
UPLOAD: dict[str, dict[str, str]] = {
    "admin": ALL,
    "hr": ALL,
    "manager": {
        "performance": "--YY--",  # the subtree, not their own review
        "medical": "------",
        "identity": "-Y----",  # as an employee: their own identity, certificate, other
        "certificate": "-Y----",
        "contract": "------",
    },
    "employee": {
        "performance": "------",
        "medical": "------",
        "identity": "---Y--",
        "certificate": "---Y--",
        "contract": "------",
    },
    "manager without record": NONE,
    "employee without record": NONE,
}
DELETE = {"admin": True, "hr": True}


def allowed(table: dict[str, dict[str, str]], caller: str, owner: str, category: str) -> bool:
    return table[caller][category][OWNERS.index(owner)] == "Y"


async def _org(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    people: dict[str, str] = {}
    for name in ("T", "M", "R1", "R2", "O"):
        boss = MANAGERS[name]
        people[name] = await new_employee(client, admin, name, people[boss] if boss else None)

    async def sign_in(role: Role, email: str, employee: str | None = None) -> dict[str, str]:
        await accounts.create(role, email, employee_id=employee)
        tokens = await accounts.login(email)
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    callers = {
        "admin": admin.headers,
        "hr": await sign_in(Role.HR, "hr@example.com"),
        "manager": await sign_in(Role.MANAGER, "m@example.com", people["M"]),
        "employee": await sign_in(Role.EMPLOYEE, "r2@example.com", people["R2"]),
        "manager without record": await sign_in(Role.MANAGER, "m0@example.com"),
        "employee without record": await sign_in(Role.EMPLOYEE, "e0@example.com"),
    }
    return people, callers


def _owner_id(people: dict[str, str], owner: str) -> str | None:
    return None if owner == "-" else people[owner]


async def test_the_documents_permission_matrix(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    people, callers = await _org(client, admin, accounts)
    docs: dict[tuple[str, str], str] = {}
    for owner in OWNERS:
        for category in CATEGORIES:
            created = await uploaded(
                client,
                admin.headers,
                f"{category} of {owner}".encode(),
                category=category,
                employee_id=_owner_id(people, owner),
                title=f"{category}-{owner}",
            )
            docs[owner, category] = created["id"]
    by_id = {doc_id: where for where, doc_id in docs.items()}
    wrong: list[str] = []

    def expect(what: str, got: int, want: int) -> None:
        if got != want:
            wrong.append(f"{what}: {got}, expected {want}")

    for caller in CALLERS:  # lists first, before the uploads below add documents
        listed = await client.get(DOCS, params={"page_size": 500}, headers=callers[caller])
        seen = {by_id[d["id"]] for d in listed.json()["items"]}
        should = {w for w in docs if allowed(READ, caller, *w)}
        if seen != should or listed.json()["total"] != len(should):
            wrong.append(f"{caller} lists {sorted(seen ^ should)} wrongly")
    for caller in CALLERS:
        headers = callers[caller]
        for (owner, category), doc_id in docs.items():
            where = f"{caller} on {category} of {owner}"
            reads = allowed(READ, caller, owner, category)
            writes = allowed(UPLOAD, caller, owner, category)
            hidden = 404
            got = await client.get(f"{DOCS}/{doc_id}", headers=headers)
            expect(f"{where}: GET", got.status_code, 200 if reads else hidden)
            got = await content(client, headers, doc_id, version=1)
            expect(f"{where}: content", got.status_code, 200 if reads else hidden)
            if reads:
                assert got.content == f"{category} of {owner}".encode()
            got = await client.get(f"{DOCS}/{doc_id}/download-url", headers=headers)
            expect(f"{where}: download-url", got.status_code, 200 if reads else hidden)
            got = await client.get(f"{DOCS}/{doc_id}/versions", headers=headers)
            expect(f"{where}: versions", got.status_code, 200 if reads else hidden)
            change = 200 if reads and writes else (403 if reads else hidden)
            got = await client.patch(
                f"{DOCS}/{doc_id}", json={"tags": [caller.replace(" ", "-")]}, headers=headers
            )
            expect(f"{where}: PATCH", got.status_code, change)
            got = await add_version(client, headers, doc_id, b"next")
            expect(f"{where}: new version", got.status_code, 201 if change == 200 else change)
            if caller not in DELETE:  # deletes that succeed are checked below
                got = await client.delete(f"{DOCS}/{doc_id}", headers=headers)
                expect(f"{where}: DELETE", got.status_code, 403 if reads else hidden)
            response = await upload(
                client,
                headers,
                b"new",
                category=category,
                employee_id=_owner_id(people, owner),
            )
            expect(f"{where}: upload", response.status_code, 201 if writes else 403)
    assert wrong == []

    for caller in DELETE:
        doc_id = docs["T", "medical" if caller == "hr" else "contract"]
        response = await client.delete(f"{DOCS}/{doc_id}", headers=callers[caller])
        assert response.status_code == 204
        assert (await client.get(f"{DOCS}/{doc_id}", headers=callers[caller])).status_code == 404


async def test_a_manager_cannot_move_a_review_out_of_reach(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    people, callers = await _org(client, admin, accounts)
    review = await uploaded(
        client, admin.headers, b"review", category="performance", employee_id=people["R1"]
    )
    manager = callers["manager"]
    for category in ("medical", "identity", "contract"):
        response = await client.patch(
            f"{DOCS}/{review['id']}", json={"category": category}, headers=manager
        )
        assert response.status_code == 403, category
    response = await client.patch(f"{DOCS}/{review['id']}", json={"title": "Q3"}, headers=manager)
    assert response.status_code == 200
    # Once the employee moves out of the manager's line, the review is out of sight.
    moved = await client.patch(
        f"/api/v1/employees/{people['R1']}", json={"manager_id": people["O"]}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    for path in ("", "/content"):
        response = await client.get(f"{DOCS}/{review['id']}{path}", headers=manager)
        assert response.status_code == 404, path
    listed: dict[str, Any] = (await client.get(DOCS, headers=manager)).json()
    assert review["id"] not in {d["id"] for d in listed["items"]}
