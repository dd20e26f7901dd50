"""Validated text types shared by every domain's schemas and query parameters."""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

# Unicode's category Cc, whole: C0 (incl. NUL), DEL and the C1 range (U+0080-U+009F,
# e.g. CSI). One search of the text, not a lookup per character: a bulk import checks
# millions of values.
CONTROL_CHARS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def no_control_chars(value: str) -> str:
    if CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


# A list's `q`: NUL is refused by PostgreSQL and ends the LIKE pattern early on SQLite.
SearchText = Annotated[str, StringConstraints(max_length=200), AfterValidator(no_control_chars)]

# An email address as every domain accepts it: at most 320 characters, kept in lower case.
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(str.lower)]
