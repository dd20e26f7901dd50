"""The yardstick for `bench.load --compare-bare`: a bare FastAPI endpoint that answers
with a page of employees serialised once in advance (the file in BARE_PAGE_FILE)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

PAGE = Path(os.environ.get("BARE_PAGE_FILE", "/dev/null")).read_bytes()
app = FastAPI()


@app.get("/page")
async def page() -> Response:
    return Response(content=PAGE, media_type="application/json")
