"""`shre worker` with one task of the tests' own, `test.block`, run as a process a test
can kill: the task's first run marks `<id>.started` in MARKS and hangs; a later run
(after the worker that ran it died) marks `<id>.done`. Settings come from the
environment, as the real command's do.

    python -m tests.support.blocking_worker MARKS
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from shre.api.runtime import Runtime
from shre.app import open_runtime
from shre.jobs import TaskSpec, register_tasks, run_worker
from shre.settings import load_settings


async def main(marks: Path) -> None:
    runtime = await open_runtime(load_settings())

    async def block(_runtime: Runtime, document_id: str) -> None:
        started = marks / f"{document_id}.started"
        if started.exists():
            (marks / f"{document_id}.done").write_text(str(os.getpid()))
            return
        started.write_text(str(os.getpid()))
        await asyncio.sleep(3600)

    register_tasks(runtime.queue, [TaskSpec("test.block", block)])
    try:
        await run_worker(runtime, concurrency=2, name=f"test-{os.getpid()}")
    finally:
        await runtime.aclose()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
