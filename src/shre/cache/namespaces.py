"""The cache's namespaces as the domains declare them. Each domain's `cache.py` lists its
own — a name, its entries' TTL, and the namespaces whose invalidation invalidates it too
(what its entries are computed from) — and the app registers them all with the layer at
start-up (`CacheLayer.register`). The cache itself names no domain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Namespace:
    """`name`: the namespace, and the prefix of its per-record ones (`name:<id>`), which
    take its TTL; `ttl`: its entries' lifetime in seconds; `follows`: the namespaces
    whose invalidation also invalidates this one."""

    name: str
    ttl: int
    follows: tuple[str, ...] = ()


class Namespaces:
    """The registered namespaces: their TTLs, and who follows whom."""

    def __init__(self, ttls: dict[str, int] | None = None) -> None:
        self.ttls: dict[str, int] = dict(ttls or {})
        self._followers: dict[str, set[str]] = {}

    def register(self, *namespaces: Namespace) -> None:
        for namespace in namespaces:
            known = self.ttls.get(namespace.name)
            if known is not None and known != namespace.ttl:
                raise ValueError(f"cache namespace {namespace.name!r} registered twice")
            self.ttls[namespace.name] = namespace.ttl
            for upstream in namespace.follows:
                self._followers.setdefault(upstream, set()).add(namespace.name)

    def ttl_for(self, namespace: str) -> int | None:
        """A namespace's TTL; `employee:<id>` (one record) takes that of `employee`."""
        return self.ttls.get(namespace, self.ttls.get(namespace.split(":", 1)[0]))

    def with_followers(self, names: Iterable[str]) -> set[str]:
        """`names` and every namespace that follows one of them, however indirectly (a
        row change, `name@row`, brings its namespace's followers in whole)."""
        found = set(names)
        todo = [name.partition("@")[0] for name in found]
        while todo:
            for follower in self._followers.get(todo.pop(), ()):
                if follower not in found:
                    found.add(follower)
                    todo.append(follower)
        return found
