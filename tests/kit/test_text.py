"""The shared text rules."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from shre.kit.text import CONTROL_CHARS, no_control_chars


def test_control_chars_are_exactly_unicodes_category_cc() -> None:
    found = {c for c in range(sys.maxunicode + 1) if CONTROL_CHARS.search(chr(c))}
    cc = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    assert found == cc


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[31m", "x\x7f", "\x9b2J", "tab\there"])
def test_text_with_a_control_char_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        no_control_chars(text)


@pytest.mark.parametrize("text", ["", "Zürich", "Ça va — ok", "\u200bzero width", "日本"])
def test_text_without_one_is_kept(text: str) -> None:
    assert no_control_chars(text) == text
