"""ETags and If-Match as the app makes and reads them: tags reveal nothing of a record's
version, and If-Match names the versions a change may apply to."""

from __future__ import annotations

import secrets
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shre.kit.errors import PreconditionFailed
from shre.kit.http import MAX_VERSION, ETags

ETAGS = ETags(secrets.token_bytes(96))
RECORD = uuid.uuid4()


def tag(version: int, record: uuid.UUID = RECORD, kind: str = "employee") -> str:
    return ETAGS.for_version(kind, record, version)


@given(st.integers(min_value=0, max_value=MAX_VERSION))
def test_a_version_tag_is_read_back_by_this_server_only(version: int) -> None:
    made = tag(version)
    assert made.startswith('"')
    assert made.endswith('"')
    assert ETAGS.versions(made, "employee", RECORD) == {version}
    assert ETAGS.versions(made, "employee", uuid.uuid4()) == frozenset()  # another record
    assert ETAGS.versions(made, "user", RECORD) == frozenset()  # another kind
    other = ETags(secrets.token_bytes(96))  # another key (a rotated master key)
    assert other.versions(made, "employee", RECORD) == frozenset()


def test_tags_are_stable_and_tell_nothing_of_the_counter() -> None:
    assert tag(3) == tag(3)
    assert len({tag(v) for v in range(50)}) == 50
    # Neighbouring versions give unrelated tags: no order, no count to read off.
    assert len(set(tag(3)) & set(tag(4))) < len(tag(3))
    assert '"3"' not in (tag(3), tag(4))


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        (None, None),
        ("*", None),
        ("{3}, *", None),
        ("{3}", {3}),
        (" {3} , {12} ", {3, 12}),
        ("W/{3}", set()),  # weak: never matches (strong comparison)
        ('"3"', set()),  # a bare counter is no tag of ours
        ("{3}junk", set()),
        ('""', set()),
        ('"', set()),
        ('"' + "A" * 5000 + '"', set()),
        ("W/{1}, {2}, junk", {2}),
    ],
)
def test_if_match_names_versions(header: str | None, versions: set[int] | None) -> None:
    if header is not None:
        header = header.replace("{3}", tag(3)).replace("{12}", tag(12))
        header = header.replace("{1}", tag(1)).replace("{2}", tag(2))
    expected = None if versions is None else frozenset(versions)
    assert ETAGS.versions(header, "employee", RECORD) == expected


def test_a_precondition_checks_the_stored_version() -> None:
    for header in (None, "*", tag(2), f"{tag(1)}, {tag(2)}", f"W/{tag(2)}"):
        precondition = ETAGS.precondition(header, "employee", RECORD)
        allowed = precondition.versions()
        for version in (1, 2, 3):
            if allowed is None or version in allowed:
                precondition.check(version)
            else:
                with pytest.raises(PreconditionFailed):
                    precondition.check(version)


def test_a_view_tag_follows_the_view_and_names_no_version() -> None:
    view = {"id": str(RECORD), "first_name": "Ada", "phone": None}
    made = ETAGS.for_view("employee", RECORD, view)
    assert made == ETAGS.for_view("employee", RECORD, dict(reversed(view.items())))
    assert made != ETAGS.for_view("employee", RECORD, {**view, "phone": "+1 555"})
    assert made != ETAGS.for_view("employee", uuid.uuid4(), view)
    assert ETAGS.versions(made, "employee", RECORD) == frozenset()
