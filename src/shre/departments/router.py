from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import Field

from shre.api.deps import Audit, CurrentUser, DbSession, ETagsDep, IfMatch, reading
from shre.api.runtime import Runtime
from shre.cache import reads_cache
from shre.departments.cache import STATS
from shre.departments.repository import DepartmentFilters
from shre.departments.schemas import (
    DepartmentCreate,
    DepartmentOut,
    DepartmentStats,
    DepartmentUpdate,
)
from shre.departments.service import DepartmentService
from shre.employees.vault import EmployeeVault
from shre.kit.export import FILE_RESPONSES, FormatParam, list_file
from shre.kit.pagination import Page
from shre.kit.query import PagedQuery, documented, query
from shre.kit.text import SearchText

router = APIRouter(prefix="/departments", tags=["departments"])
DEPARTMENT = "department"  # the kind of record, for its ETags


async def _service(session: DbSession, audit: Audit) -> DepartmentService:
    return DepartmentService(session, audit)


Service = Annotated[DepartmentService, Depends(_service)]


async def _reader(request: Request) -> DepartmentService:
    """The service for the read routes: a session that only reads, no `yield`."""
    return DepartmentService(*reading(request))


Reader = Annotated[DepartmentService, Depends(_reader)]


class DepartmentQuery(PagedQuery):
    q: SearchText | None = Field(None, description="Name contains")
    parent_id: uuid.UUID | None = None
    format: FormatParam = None

    def filters(self) -> DepartmentFilters:
        return DepartmentFilters(q=self.q, parent_id=self.parent_id)


@router.get(
    "",
    response_model=Page[DepartmentOut],
    openapi_extra=documented(DepartmentQuery),
    responses=FILE_RESPONSES,
)
async def list_departments(
    request: Request,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[DepartmentQuery, Depends(query(DepartmentQuery))],
) -> Page[DepartmentOut] | Response:
    """Departments. With `format`, every matching department as a CSV or XLSX file
    (`page` and `page_size` do not apply)."""
    if params.format is not None:
        return await list_file(request, "departments", principal, service, params, params.format)
    items, total = await service.list(principal, params.paging, params.filters())
    return Page(
        items=[DepartmentOut.model_validate(d) for d in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_department(
    body: DepartmentCreate,
    principal: CurrentUser,
    service: Service,
    response: Response,
    etags: ETagsDep,
) -> DepartmentOut:
    department = await service.create(principal, body)
    response.headers["ETag"] = etags.for_version(DEPARTMENT, department.id, department.version)
    response.headers["Location"] = f"/api/v1/departments/{department.id}"
    return DepartmentOut.model_validate(department)


@router.get("/{department_id}")
async def get_department(
    department_id: uuid.UUID,
    principal: CurrentUser,
    service: Reader,
    response: Response,
    etags: ETagsDep,
) -> DepartmentOut:
    department = await service.get(principal, department_id)
    response.headers["ETag"] = etags.for_version(DEPARTMENT, department.id, department.version)
    return DepartmentOut.model_validate(department)


@router.get("/{department_id}/stats")
@reads_cache(STATS)
async def department_stats(
    department_id: uuid.UUID, principal: CurrentUser, service: Reader, request: Request
) -> DepartmentStats:
    """Headcount (not counting terminated), by status and employment type, average tenure,
    over the department and its sub-departments; salary figures per currency for hr and
    admin only, and never for a group of fewer than five."""
    runtime: Runtime = request.app.state.runtime
    stats = await service.stats(
        principal, department_id, runtime.part(EmployeeVault), runtime.cache
    )
    return DepartmentStats.model_validate(stats)


@router.patch("/{department_id}", responses={412: {"description": "Stale If-Match"}})
async def update_department(
    department_id: uuid.UUID,
    body: DepartmentUpdate,
    principal: CurrentUser,
    service: Service,
    response: Response,
    etags: ETagsDep,
    if_match: IfMatch = None,
) -> DepartmentOut:
    precondition = etags.precondition(if_match, DEPARTMENT, department_id)
    department = await service.update(principal, department_id, body, precondition)
    response.headers["ETag"] = etags.for_version(DEPARTMENT, department.id, department.version)
    return DepartmentOut.model_validate(department)


@router.delete("/{department_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_department(
    department_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    etags: ETagsDep,
    if_match: IfMatch = None,
) -> Response:
    await service.delete(
        principal, department_id, etags.precondition(if_match, DEPARTMENT, department_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
