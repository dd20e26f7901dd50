"""Reading namespace versions ahead: an endpoint declares the cache namespaces its
answer comes from (`reads_cache`), and the caller's authentication reads their versions
in its own round trip to the cache (`CacheLayer.prefetch`), kept for the rest of the
request in a context variable; every request starts and ends with none."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
CACHE_READS = "__shre_cache_reads__"
# The namespace versions read ahead for the current request (see `prefetch`), with the
# layer's epoch then: a request runs in a task of its own, which has its own copy.
PREFETCHED: ContextVar[tuple[int, dict[str, int]] | None] = ContextVar(
    "shre_cache_versions", default=None
)


def forget_prefetched() -> None:
    """No versions read ahead: every request starts (and ends) with this."""
    PREFETCHED.set(None)


def reads_cache(*namespaces: str) -> Callable[[F], F]:
    """Mark a read endpoint whose answer comes from these cache namespaces (`{name}` is
    filled from the path's parameters): the caller's authentication reads their versions
    in its own round trip to the cache, so the endpoint needs none of its own."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, CACHE_READS, (namespaces, any("{" in n for n in namespaces)))
        return endpoint

    return mark


def cache_reads_of(endpoint: object, path_params: Mapping[str, Any]) -> tuple[str, ...]:
    """The namespaces an endpoint declared with `reads_cache`, for this request."""
    declared: tuple[str, ...]
    declared, templated = getattr(endpoint, CACHE_READS, ((), False))
    if not templated:
        return declared
    try:
        return tuple(name.format(**path_params) for name in declared)
    except (KeyError, IndexError, ValueError):
        return ()
