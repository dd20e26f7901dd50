"""GET /docs and its files. Nothing here is under /api/v1 or in the OpenAPI schema."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from shre.kit.errors import NotFound

HERE = Path(__file__).parent
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
# The only files served: name -> (file, media type). Nothing else of either directory.
ASSETS: Final = {
    "swagger-ui-bundle.js": (SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css"),
    "favicon.png": (SWAGGER_UI / "favicon.png", "image/png"),
    "init.js": (HERE / "init.js", "text/javascript"),
}
# The files change only with an upgrade of shre or of fastapi-offline.
ASSET_CACHE = "public, max-age=3600"

router = APIRouter(include_in_schema=False)
_page = (HERE / "page.html").read_bytes()


@router.get("/docs")
async def docs_page() -> HTMLResponse:
    return HTMLResponse(_page, headers={"Cache-Control": "no-cache"})


@router.get("/docs/{name}")
async def docs_asset(name: str) -> FileResponse:
    try:
        path, media_type = ASSETS[name]
    except KeyError:
        raise NotFound("No such file of the API documentation", code="not_found") from None
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": ASSET_CACHE})
