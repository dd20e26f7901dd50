"""Document metadata through the API: the contract's shape, ETags and If-Match, lists
(paging, sorting, filters), and input validation of the multipart upload."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from shre.api.runtime import Runtime
from shre.settings import Settings
from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.documents import (
    DOCS,
    TEXT_TYPE,
    files_under,
    new_employee,
    row_counts,
    upload,
    uploaded,
)
from tests.support.jobs import work_off

SHAPE = {
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
}


async def test_shape_etag_and_if_match(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    employee = await new_employee(client, admin, "Shape")
    expires = (date.today() + timedelta(days=365)).isoformat()
    response = await client.post(
        DOCS,
        data={
            "employee_id": employee,
            "category": "certificate",
            "expires_on": expires,
            "tags": ["first aid", "renewal, 2027"],
        },
        files={"file": ("../../etc/first\u202eaid.txt", b"certified", "text/html")},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == SHAPE
    assert created["employee_id"] == employee
    assert created["filename"] == "firstaid.txt"  # the last path part, no control characters
    assert created["title"] == "firstaid.txt"  # defaults to the filename
    assert created["content_type"] == TEXT_TYPE  # from the bytes, not the client's claim
    assert created["tags"] == ["first aid", "renewal", "2027"]
    assert created["expires_on"] == expires
    assert created["uploaded_by"] == str(admin.id)
    assert created["version"] == 1
    url = f"{DOCS}/{created['id']}"
    assert response.headers["location"] == url
    etag = response.headers["etag"]
    fetched = await client.get(url, headers=admin.headers)
    assert fetched.json() == created
    assert fetched.headers["etag"] == etag
    assert created["processed"] is False  # its job comes after the commit
    await work_off(runtime)
    processed = await client.get(url, headers=admin.headers)
    assert processed.json() == {**created, "processed": True}  # nothing to suggest (AI off)
    assert processed.headers["etag"] == etag  # the job changes nothing a PATCH would

    stale = await client.patch(
        url, json={"title": "First aid"}, headers={**admin.headers, "If-Match": '"999"'}
    )
    assert_problem(stale, 412, "stale_etag")
    changed = await client.patch(
        url,
        json={"title": "First aid", "tags": ["a", "a", "b"], "expires_on": None},
        headers={**admin.headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != etag
    body = changed.json()
    assert (body["title"], body["tags"], body["expires_on"]) == ("First aid", ["a", "b"], None)
    assert (await client.get(url, headers=admin.headers)).json() == body  # not a stale cache
    again = await client.patch(
        url, json={"title": "Lost update"}, headers={**admin.headers, "If-Match": etag}
    )
    assert_problem(again, 412)
    for bad in ({"category": "secret"}, {"title": ""}, {"employee_id": employee}, {"tags": "x"}):
        assert_problem(await client.patch(url, json=bad, headers=admin.headers), 422)
    assert await row_counts(runtime) == (1, 1)


async def test_lists_page_sort_and_filter(client: httpx.AsyncClient, admin: Account) -> None:
    ada = await new_employee(client, admin, "Ada")
    today = date.today()
    specs: list[tuple[str, str, str | None, int | None]] = [
        ("Bravo", "contract", ada, 10),
        ("alpha", "certificate", ada, 40),
        ("Charlie", "contract", None, None),
        ("delta", "policy", None, 5),
    ]
    ids = {}
    for title, category, owner, days in specs:
        extra: dict[str, Any] = {"title": title}
        if days is not None:
            extra["expires_on"] = (today + timedelta(days=days)).isoformat()
        doc = await uploaded(
            client, admin.headers, title.encode(), category=category, employee_id=owner, **extra
        )
        ids[title] = doc["id"]

    async def titles(**params: Any) -> list[str]:
        response = await client.get(DOCS, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [d["title"] for d in response.json()["items"]]

    assert await titles() == ["delta", "Charlie", "alpha", "Bravo"]  # newest first
    assert await titles(sort="title") == ["alpha", "Bravo", "Charlie", "delta"]  # any case
    assert await titles(sort="-title", page_size=2, page=2) == ["Bravo", "alpha"]
    page = (await client.get(DOCS, params={"page_size": 3}, headers=admin.headers)).json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (4, 1, 3, 3)
    assert set(await titles(category="contract")) == {"Bravo", "Charlie"}
    assert set(await titles(employee_id=ada)) == {"Bravo", "alpha"}
    soon = (today + timedelta(days=11)).isoformat()
    assert set(await titles(expiring_before=soon)) == {"Bravo", "delta"}
    assert await titles(expiring_before=soon, sort="expires_on") == ["delta", "Bravo"]
    for bad in ({"sort": "sha256"}, {"category": "x"}, {"page_size": 501}, {"q": "a\x00"}):
        assert_problem(await client.get(DOCS, params=bad, headers=admin.headers), 422)
    assert_problem(await client.get(f"{DOCS}/{uuid.uuid4()}", headers=admin.headers), 404)
    assert_problem(await client.get(f"{DOCS}/not-a-uuid", headers=admin.headers), 422)
    assert_problem(await client.get(DOCS), 401)


async def test_upload_input_is_validated_and_nothing_is_kept(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, settings: Settings
) -> None:
    h = admin.headers
    file = {"file": ("a.txt", b"hello", "text/plain")}
    cases: list[tuple[httpx.Response, int, str | None]] = [
        (await upload(client, h, b"x", category="secret"), 422, "validation_error"),
        (await client.post(DOCS, files=file, headers=h), 422, "validation_error"),
        (await client.post(DOCS, data={"category": "other"}, headers=h), 415, "not_multipart"),
        (
            await client.post(DOCS, data={"category": "other"}, files={}, headers=h),
            415,
            "not_multipart",
        ),
        (await upload(client, h, b"x", employee_id=uuid.uuid4()), 422, "employee_not_found"),
        (await upload(client, h, b"x", employee_id="nope"), 422, "validation_error"),
        (await upload(client, h, b"x", expires_on="31/12/2030"), 422, "validation_error"),
        (await upload(client, h, b"x", colour="red"), 422, "validation_error"),
        (await upload(client, h, b"x", tags=["x" * 51]), 422, "validation_error"),
        (
            await client.post(
                DOCS,
                data={"category": "other"},
                files={"attachment": ("a.txt", b"x", "text/plain")},
                headers=h,
            ),
            422,
            "invalid_multipart",
        ),
        (
            await client.post(
                DOCS,
                content=b'--b\r\nContent-Disposition: form-data; name="category"\r\n\r\nother'
                b'\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="t.txt"'
                b"\r\n\r\ntruncated in the middle of the fi",
                headers={**h, "Content-Type": "multipart/form-data; boundary=b"},
            ),
            422,
            "invalid_multipart",
        ),
    ]
    # A field after the file: the file was streamed already, and is removed again.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="category"\r\n\r\nother\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        b"hello\r\n"
        b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nlate\r\n--b--\r\n'
    )
    late = await client.post(
        DOCS, content=body, headers={**h, "Content-Type": "multipart/form-data; boundary=b"}
    )
    cases.append((late, 422, "invalid_multipart"))
    for n, (response, status, code) in enumerate(cases):
        assert response.status_code == status, (n, response.text)
        assert_problem(response, status, code)
    assert await row_counts(runtime) == (0, 0)
    assert files_under(settings.upload_dir) == []
    # The same body with the field before the file is fine (and takes a UTF-8 filename*).
    body = (
        b'--b\r\nContent-Disposition: form-data; name="category"\r\n\r\nother\r\n'
        b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nearly\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.txt"; '
        b"filename*=UTF-8''M%C3%A4rz.txt\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"
    )
    fine = await client.post(
        DOCS, content=body, headers={**h, "Content-Type": "multipart/form-data; boundary=b"}
    )
    assert fine.status_code == 201, fine.text
    assert (fine.json()["title"], fine.json()["filename"]) == ("early", "März.txt")
