"""The field-access matrix and the list features again, with the cache turned off
(CACHE_ENABLED=false): rows then come straight from the database, by another path."""

from __future__ import annotations

from typing import Any

import pytest

from shre.kit.runtime import Runtime
from tests.employees.test_listing import *  # noqa: F403
from tests.employees.test_permissions import (  # noqa: F401
    test_history_follows_the_employment_and_salary_visibility,
    test_list_pages_and_reports_apply_the_same_matrix,
    test_only_hr_and_admin_search_by_national_id,
    test_single_reads_return_exactly_the_allowed_fields,
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"cache_enabled": False}


def test_these_run_without_a_cache(runtime: Runtime) -> None:
    assert not runtime.cache.cache.is_enabled()
    assert not runtime.cache.is_serving()
