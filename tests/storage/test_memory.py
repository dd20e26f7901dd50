"""Streaming with bounded memory: ~200 MB up and down through each backend, made on the
fly and never held whole. The peak of Python allocations (tracemalloc) and, where Linux
lets us reset it, the peak RSS growth stay far below the file size.

Marked `slow` (a few seconds each); deselect with `-m "not slow"`.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shre.crypto import DataKey
from shre.storage import Storage
from tests.support.storage import Generated, MiB, drain, new_key

pytestmark = pytest.mark.slow

SIZE = 200 * MiB


def _vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


class Peak:
    python: int = 0  # bytes
    rss_growth: int | None = None  # bytes; None where the peak cannot be reset


@contextmanager
def measured() -> Iterator[Peak]:
    peak = Peak()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        baseline: int | None = _vm_kib("VmRSS")
    except OSError:
        baseline = None
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.python = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if baseline is not None:
            peak.rss_growth = (_vm_kib("VmHWM") - baseline) * 1024


async def _round_trip(store: Storage, limit: int) -> tuple[Peak, Peak]:
    dek = DataKey.generate()
    key = new_key()
    source = Generated(SIZE)
    with measured() as up:
        info = await store.upload_file(
            key, source, "application/octet-stream", data_key=dek, max_size=SIZE
        )
    assert info.size == SIZE
    assert info.sha256 == source.sha256.hexdigest()
    with measured() as down:
        stream = await store.get_file(key, data_key=dek)
        assert await drain(stream) == (SIZE, source.sha256.hexdigest())
    for name, peak in (("upload", up), ("download", down)):
        assert peak.python < limit, f"{name}: {peak.python / MiB:.1f} MiB traced"
        if peak.rss_growth is not None:
            assert peak.rss_growth < 100 * MiB, f"{name}: RSS grew {peak.rss_growth / MiB:.1f} MiB"
    await store.delete_file(key)
    return up, down


async def test_local_streams_200_mb_in_bounded_memory(
    local_storage: Storage,
) -> None:
    # A 1 MiB batch of chunks, its ciphertext, and the source's 1 MiB pieces.
    await _round_trip(local_storage, limit=12 * MiB)


async def test_s3_streams_200_mb_in_bounded_memory(s3_storage: Storage) -> None:
    # One 5 MiB part being assembled and one being sent, plus the 1 MiB pieces.
    await _round_trip(s3_storage, limit=24 * MiB)
