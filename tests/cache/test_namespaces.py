"""The namespaces each domain registers: their TTLs, and the invalidation that reaches
whatever follows them (however indirectly), through the layer, a command's immediate
invalidation and a running app alike."""

from __future__ import annotations

import pytest

from shre.api.runtime import Runtime
from shre.cache import Cache, CacheLayer, Namespace
from shre.cache.namespaces import Namespaces


def test_followers_are_found_however_indirectly_and_row_changes_bring_them() -> None:
    known = Namespaces()
    known.register(
        Namespace("people", 60),
        Namespace("stats", 30, follows=("people",)),
        Namespace("report", 10, follows=("stats", "files")),
        Namespace("files", 20),
    )
    assert known.with_followers(["people"]) == {"people", "stats", "report"}
    assert known.with_followers(["files"]) == {"files", "report"}
    assert known.with_followers(["report"]) == {"report"}
    # A row changed in place drops what is computed from its namespace in whole.
    assert known.with_followers(["people@7"]) == {"people@7", "stats", "report"}
    assert known.ttl_for("stats") == 30
    assert known.ttl_for("people:42") == 60  # one record's namespace takes its family's
    assert known.ttl_for("unknown") is None


def test_a_namespace_registered_twice_with_another_ttl_is_refused() -> None:
    known = Namespaces()
    known.register(Namespace("people", 60))
    known.register(Namespace("people", 60))  # the same again: harmless
    with pytest.raises(ValueError, match="people"):
        known.register(Namespace("people", 30))


async def test_invalidating_a_namespace_drops_the_entries_that_follow_it(cache: Cache) -> None:
    layer = CacheLayer(cache)
    layer.register(Namespace("people", 60), Namespace("stats", 60, follows=("people",)))
    computed: list[int] = []

    async def stats() -> int:
        computed.append(1)
        return len(computed)

    assert await layer.get_or_load("stats", "all", stats) == 1
    assert await layer.get_or_load("stats", "all", stats) == 1  # cached
    await layer.invalidate("people")
    assert await layer.get_or_load("stats", "all", stats) == 2
    assert await layer.invalidate_now("people") == []  # a command's: followers too
    assert await layer.get_or_load("stats", "all", stats) == 3

    loads: list[int] = []

    async def people() -> int:
        loads.append(1)
        return len(loads)

    assert await layer.get_or_load("people", "page", people) == 1
    await layer.invalidate("stats")  # following is one way: people's entries stay
    assert await layer.get_or_load("people", "page", people) == 1
    assert await layer.get_or_load("stats", "all", stats) == 4


def test_the_app_registers_every_domains_namespaces(runtime: Runtime) -> None:
    known = runtime.cache.namespaces
    settings = runtime.settings
    assert known.ttl_for("employees") == settings.cache_ttl_employees
    assert known.ttl_for("user:1") == settings.cache_ttl_users
    assert known.ttl_for("documents") == settings.cache_ttl_documents
    # What is computed from employees follows their figures; a manager's documents, the
    # reporting line.
    assert {"department_stats", "analytics", "analytics_documents"} <= known.with_followers(
        ["employee_figures"]
    )
    assert "documents" in known.with_followers(["reporting_line"])
    assert "analytics_documents" in known.with_followers(["documents"])
    assert "employees" not in known.with_followers(["documents", "department_stats"])
