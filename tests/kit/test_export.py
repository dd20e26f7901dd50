"""A cell of an exported list holds what the list's JSON holds (shre.kit.export)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from shre.kit.export import csv_text, filename, xlsx_value
from shre.policy import Role

ID = uuid.UUID(int=7)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("plain", "plain"),
        ("=1+2", "'=1+2"),
        ("+41 44", "'+41 44"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (Decimal("85000.50"), "85000.50"),
        (date(2026, 1, 31), "2026-01-31"),
        (datetime(2026, 1, 31, 8, 5, 1, 123_456, tzinfo=UTC), "2026-01-31T08:05:01.123456Z"),
        (ID, str(ID)),
        (Role.HR, "hr"),
        ([ID, "=x"], f'["{ID}","=x"]'),
        (["Zoë"], '["Zoë"]'),
        ([], "[]"),
    ],
)
def test_csv_cells_hold_the_json_values(value: Any, text: str) -> None:
    assert csv_text(value) == text


def test_xlsx_cells_are_typed_values() -> None:
    assert xlsx_value(Role.ADMIN) == "admin"
    assert xlsx_value(["a", ID]) == f'["a","{ID}"]'
    assert xlsx_value(Decimal("1.50")) == Decimal("1.50")
    assert xlsx_value(True) is True


def test_the_file_is_named_after_the_list_and_the_day() -> None:
    assert filename("audit", "xlsx", date(2026, 2, 3)) == "audit-20260203.xlsx"
