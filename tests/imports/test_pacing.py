"""An import's passes over its rows give the event loop back as they go (`paced`): the
other requests of its server process get their turns during a long import."""

from __future__ import annotations

import asyncio

from shre.imports.plan import PACE, paced


async def test_paced_rows_let_other_tasks_run() -> None:
    turns = 0

    async def other_request() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_request())
    await asyncio.sleep(0)
    seen_at: list[int] = []
    async for _row in paced(range(PACE * 20)):
        seen_at.append(turns)  # plain CPU work per row, no await of its own
    other.cancel()
    assert len(seen_at) == PACE * 20
    # The other task ran between every PACE rows, and never within them.
    assert seen_at[-1] - seen_at[0] >= 19
    assert all(seen_at[n] == seen_at[n - 1] for n in range(1, len(seen_at)) if n % PACE)
