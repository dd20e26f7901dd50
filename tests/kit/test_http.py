"""If-Match as the app reads it: which versions of ours a client's tags allow."""

from __future__ import annotations

import pytest

from shre.kit.errors import PreconditionFailed
from shre.kit.http import MAX_VERSION, check_if_match, etag_for, if_match_versions


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        (None, None),
        ("*", None),
        ('"3", *', None),
        ('"3"', {3}),
        (' "3" , "12" ', {3, 12}),
        ('W/"3"', set()),  # weak: never matches (strong comparison)
        ("3", set()),  # unquoted
        ('"03"', set()),  # not a tag we make
        ('"-3"', set()),
        ('"3.0"', set()),
        ('"٣"', set()),  # a digit, but not ours
        ('""', set()),
        ('"', set()),
        (f'"{MAX_VERSION}"', {MAX_VERSION}),
        (f'"{MAX_VERSION + 1}"', set()),  # no version column holds it
        ('"' + "9" * 5000 + '"', set()),  # never parsed as a number
        ('W/"1", "2", junk', {2}),
    ],
)
def test_if_match_versions(header: str | None, versions: set[int] | None) -> None:
    assert if_match_versions(header) == (None if versions is None else frozenset(versions))


def test_check_if_match_agrees_with_the_versions_allowed() -> None:
    for header in (None, "*", '"2"', '"1", "2"', 'W/"2"', '"02"'):
        allowed = if_match_versions(header)
        for version in (1, 2, 3):
            if allowed is None or version in allowed:
                check_if_match(header, version)
            else:
                with pytest.raises(PreconditionFailed):
                    check_if_match(header, version)
    assert if_match_versions(etag_for(41)) == {41}
