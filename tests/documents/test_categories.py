"""The document categories are written out three times on purpose — the policy's tuple,
the schema's Literal (a type checkers and OpenAPI can read), the migration's CHECK (a
frozen snapshot) — so a test keeps them equal."""

from __future__ import annotations

from typing import get_args

from shre.documents.schemas import Category
from shre.policy import DOCUMENT_CATEGORIES


def test_the_schema_and_the_policy_know_the_same_categories() -> None:
    assert get_args(Category) == DOCUMENT_CATEGORIES
