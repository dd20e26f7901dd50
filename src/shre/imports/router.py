"""`/imports`: bulk import of employees and its template (hr, admin)."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shre.api.deps import Audit, DbSession, require
from shre.api.runtime import Runtime
from shre.documents.multipart import FormReader
from shre.employees.vault import EmployeeVault
from shre.imports.files import read_upload, template_csv, template_xlsx
from shre.imports.schemas import ImportResult
from shre.imports.service import ImportService
from shre.kit import xlsx
from shre.kit.export import CSV_MEDIA_TYPE
from shre.kit.openapi import BINARY, multipart_body
from shre.kit.problems import problem
from shre.policy import Principal, Role

router = APIRouter(prefix="/imports", tags=["imports"])
HrOrAdmin = Annotated[Principal, Depends(require(Role.HR, Role.ADMIN))]

IMPORT_BODY: Final = multipart_body(
    {
        "file": BINARY,
        "dry_run": {"type": "boolean", "default": False},
        "create_departments": {"type": "boolean", "default": False},
    },
    ["file"],
    description="A CSV or XLSX file whose header row names the fields (see the "
    "template); `dry_run` and `create_departments` as form fields or query parameters.",
)


@router.post(
    "/employees",
    response_model=ImportResult,
    openapi_extra=IMPORT_BODY,
    responses={
        413: {"description": "The file is over IMPORT_MAX_MB"},
        422: {
            "description": "An unreadable file, an unknown column, more rows than "
            "IMPORT_MAX_ROWS, or (not a dry run) invalid rows: a problem with the "
            "import's answer in it (`errors`, `error_count`, `preview`), nothing written"
        },
    },
)
async def import_employees(
    request: Request,
    principal: HrOrAdmin,
    session: DbSession,
    audit: Audit,
    dry_run: Annotated[bool, Query(description="Check only, write nothing")] = False,
    create_departments: Annotated[
        bool, Query(description="Create the departments named that do not exist")
    ] = False,
) -> Response:
    """Create or update employees from a file, matched by `employee_number`: all rows or
    none. A dry run answers what the import would do (200, with the rows' errors)."""
    runtime: Runtime = request.app.state.runtime
    form = FormReader(request.stream(), request.headers.get("content-type"))
    upload = await read_upload(form, runtime.settings.import_max_mb)
    dry_run = upload.flags.get("dry_run", dry_run)
    service = ImportService(
        session,
        runtime.part(EmployeeVault),
        audit,
        max_rows=runtime.settings.import_max_rows,
    )
    result = await service.import_employees(
        principal,
        upload.data,
        dry_run=dry_run,
        create_departments=upload.flags.get("create_departments", create_departments),
    )
    body = result.model_dump(mode="json")
    if result.error_count and not dry_run:
        return problem(
            422,
            f"{result.error_count} invalid cell(s): nothing was imported",
            code="import_invalid",
            errors=body.pop("errors"),
            extra=body,
        )
    return JSONResponse(body)


@router.get(
    "/employees/template",
    responses={
        200: {"content": {xlsx.MEDIA_TYPE: {}, CSV_MEDIA_TYPE: {}}},
    },
)
async def template(
    principal: HrOrAdmin,
    format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx",
) -> Response:
    """An empty import file: every column (XLSX: the allowed values offered in the cells,
    and a second sheet saying what each column takes)."""
    if format == "csv":
        content, media = template_csv(), CSV_MEDIA_TYPE
    else:
        content, media = template_xlsx(), xlsx.MEDIA_TYPE
    headers = {"Content-Disposition": f'attachment; filename="employees-template.{format}"'}
    return Response(content, media_type=media, headers=headers)
