"""Object keys, content types, download names and link lifetimes (pure logic)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shre.storage import (
    InvalidExpiry,
    InvalidKey,
    ObjectKeyParts,
    check_expires_in,
    content_disposition,
    object_key,
    parse_object_key,
    safe_filename,
    validate_key,
)
from shre.storage.keys import validate_content_type

EMPLOYEE = uuid.UUID("8d3c1a52-3f0e-4d4b-9f5e-0c1d2e3f4a5b")
DOCUMENT = uuid.UUID("1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081")


def test_object_keys_are_generated_from_ids() -> None:
    assert object_key(EMPLOYEE, DOCUMENT, 1) == f"employees/{EMPLOYEE}/documents/{DOCUMENT}/v1"
    assert object_key(None, DOCUMENT, 12) == f"company/documents/{DOCUMENT}/v12"
    assert object_key(str(EMPLOYEE), str(DOCUMENT).upper(), 2) == object_key(EMPLOYEE, DOCUMENT, 2)


@pytest.mark.parametrize(
    ("employee", "document", "version"),
    [
        ("../../etc", DOCUMENT, 1),
        (EMPLOYEE, "contract.pdf", 1),
        (EMPLOYEE, DOCUMENT, 0),
        (EMPLOYEE, DOCUMENT, -1),
        (EMPLOYEE, DOCUMENT, True),
        (EMPLOYEE, DOCUMENT, "1"),
    ],
)
def test_object_key_refuses_anything_but_ids(
    employee: object, document: object, version: object
) -> None:
    with pytest.raises(InvalidKey):
        object_key(employee, document, version)  # type: ignore[arg-type]


@given(st.uuids() | st.none(), st.uuids(), st.integers(min_value=1, max_value=10**6))
def test_keys_parse_back_to_their_ids(
    employee: uuid.UUID | None, document: uuid.UUID, version: int
) -> None:
    key = object_key(employee, document, version)
    assert validate_key(key) == key
    assert parse_object_key(key) == ObjectKeyParts(employee, document, version)


@pytest.mark.parametrize(
    "key",
    [
        "employees/x/documents/y/v1",
        f"employees/{EMPLOYEE}/documents/{DOCUMENT}/v0",
        f"employees/{EMPLOYEE}/documents/{DOCUMENT}/v01",
        f"employees/{EMPLOYEE}/documents/{DOCUMENT}/v1/extra",
        f"employees/{str(EMPLOYEE).upper()}/documents/{DOCUMENT}/v1",
        f"company/documents/{DOCUMENT}",
    ],
)
def test_parse_refuses_other_keys(key: str) -> None:
    with pytest.raises(InvalidKey):
        parse_object_key(key)


@given(st.text(max_size=60))
def test_any_accepted_key_stays_below_its_root(key: str) -> None:
    try:
        validate_key(key)
    except InvalidKey:
        return
    parts = key.split("/")
    assert not key.startswith("/")
    assert all(p not in {"", ".", ".."} for p in parts)
    assert all(not p.startswith(".") and p.isascii() for p in parts)
    assert "\\" not in key
    assert "\x00" not in key


def test_invalid_key_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="relative"):
        validate_key("/abs")


@pytest.mark.parametrize(
    "value",
    [
        "application/pdf",
        "text/plain; charset=utf-8",
        'multipart/mixed; boundary="a b c"',
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ],
)
def test_plain_content_types_pass(value: str) -> None:
    assert validate_content_type(value) == value


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("contract.pdf", "attachment; filename=\"contract.pdf\"; filename*=UTF-8''contract.pdf"),
        (
            "résumé 2026.pdf",
            'attachment; filename="resume 2026.pdf"; '
            "filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf",
        ),
        ('a"b%.txt', "attachment; filename=\"a_b_.txt\"; filename*=UTF-8''a%22b%25.txt"),
        ("C:\\Users\\me\\cv.pdf", "attachment; filename=\"cv.pdf\"; filename*=UTF-8''cv.pdf"),
        ("合同.pdf", "attachment; filename=\".pdf\"; filename*=UTF-8''%E5%90%88%E5%90%8C.pdf"),
        ("../../etc/passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''download"),
    ],
)
def test_content_disposition_carries_the_real_name(filename: str, expected: str) -> None:
    assert content_disposition(filename) == expected


@given(st.text(max_size=300))
def test_content_disposition_is_always_a_safe_header(filename: str) -> None:
    value = content_disposition(filename, "inline")
    assert value.startswith('inline; filename="')
    assert value.isascii()
    assert value.isprintable()
    assert "\r" not in value
    assert "\n" not in value
    assert len(safe_filename(filename)) <= 255


@pytest.mark.parametrize("good", [1, 300, 3600])
def test_expiry_bounds(good: int) -> None:
    assert check_expires_in(good) == good


@pytest.mark.parametrize("bad", [0, -5, 3601, True, 1.5, "60"])
def test_expiry_out_of_bounds(bad: object) -> None:
    with pytest.raises(InvalidExpiry):
        check_expires_in(bad)  # type: ignore[arg-type]
