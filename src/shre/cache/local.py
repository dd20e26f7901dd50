"""Decoded values kept by one process (`LocalCopies`): the cache layer's copies of the
values it used, under their versioned keys, so a hit is as fresh as the shared entry
without fetching and decoding the value again."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any


class LocalCopies:
    """Decoded (and prepared) values of this process, by versioned key: least recently
    used first out, bounded by the size of their serialised form. Values are shared by
    every request that finds them: nobody may change them."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self._entries: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> tuple[bool, Any]:
        found = self._entries.get(key)
        if found is None:
            return False, None
        if found[0] <= time.monotonic():
            self._drop(key)
            return False, None
        self._entries.move_to_end(key)
        self.hits += 1
        return True, found[2]

    def put(self, key: str, value: Any, size: int, ttl: float) -> None:
        # One value may take at most a quarter of the room: a huge page never evicts all.
        if size > self.max_bytes // 4:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (time.monotonic() + ttl, size, value)
        self.size += size
        while self.size > self.max_bytes:
            _, (_, dropped, _) = self._entries.popitem(last=False)
            self.size -= dropped

    def _drop(self, key: str) -> None:
        self.size -= self._entries.pop(key)[1]

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0
