from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from shre.cache import reads_cache
from shre.employees.schemas import ChangeOut, EmployeeCreate, EmployeeOut, EmployeeUpdate
from shre.employees.service import EmployeeService, View
from shre.kit.deps import Audit, CurrentUser, DbSession
from shre.kit.http import JSONBytes, etag_for
from shre.kit.pagination import Page, PageQuery
from shre.kit.runtime import Runtime
from shre.kit.text import SearchText

router = APIRouter(prefix="/employees", tags=["employees"])
IfMatch = Annotated[str | None, Header(description="ETag from a previous read")]


async def _service(request: Request, session: DbSession, audit: Audit) -> EmployeeService:
    runtime: Runtime = request.app.state.runtime
    return EmployeeService(session, runtime.vault, audit, runtime.cache)


Service = Annotated[EmployeeService, Depends(_service)]


def _out(view: View) -> EmployeeOut:
    # Only the fields the caller may see are set; unset fields are left out of the JSON.
    return EmployeeOut(**view)


@router.get("", response_model=Page[EmployeeOut], response_model_exclude_unset=True)
@reads_cache("employees")
async def list_employees(
    principal: CurrentUser,
    service: Service,
    paging: PageQuery,
    q: Annotated[
        SearchText | None, Query(description="Name, email, employee number or job title")
    ] = None,
    department_id: uuid.UUID | None = None,
    manager_id: uuid.UUID | None = None,
    status: Literal["active", "on_leave", "terminated"] | None = None,
    ssn: Annotated[SearchText | None, Query(description="Exact national ID (hr, admin)")] = None,
) -> Response:
    views, total = await service.list(
        principal,
        paging,
        q=q,
        department_id=department_id,
        manager_id=manager_id,
        status=status,
        ssn=ssn,
    )
    page = {"items": views, "total": total, "page": paging.page, "page_size": paging.page_size}
    return JSONBytes(page)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EmployeeOut,
    response_model_exclude_unset=True,
)
async def create_employee(
    body: EmployeeCreate, principal: CurrentUser, service: Service, response: Response
) -> EmployeeOut:
    employee, view = await service.create(principal, body)
    response.headers["ETag"] = etag_for(employee.version)
    response.headers["Location"] = f"/api/v1/employees/{employee.id}"
    return _out(view)


@router.get("/{employee_id}", response_model=EmployeeOut, response_model_exclude_unset=True)
@reads_cache("employee:{employee_id}", "employee", "reporting_line")
async def get_employee(
    employee_id: uuid.UUID, principal: CurrentUser, service: Service
) -> Response:
    employee, view = await service.get(principal, employee_id)
    return JSONBytes(view, headers={"ETag": etag_for(employee.version)})


@router.patch(
    "/{employee_id}",
    response_model=EmployeeOut,
    response_model_exclude_unset=True,
    responses={412: {"description": "Stale If-Match"}},
)
async def update_employee(
    employee_id: uuid.UUID,
    body: EmployeeUpdate,
    principal: CurrentUser,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> EmployeeOut:
    employee, view = await service.update(principal, employee_id, body, if_match)
    response.headers["ETag"] = etag_for(employee.version)
    return _out(view)


@router.delete("/{employee_id}", status_code=status.HTTP_204_NO_CONTENT)
async def terminate_employee(
    employee_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
    if_match: IfMatch = None,
) -> Response:
    """Terminate: the record is kept with status `terminated`, a date and the reason."""
    await service.terminate(principal, employee_id, if_match, reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{employee_id}/reports",
    response_model=list[EmployeeOut],
    response_model_exclude_unset=True,
)
async def reports(
    employee_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    depth: Literal["direct", "all"] = "direct",
) -> list[EmployeeOut]:
    """Direct reports, or the whole subtree with `depth=all`."""
    views = await service.reports(principal, employee_id, all_levels=depth == "all")
    return [_out(v) for v in views]


@router.get("/{employee_id}/history")
async def history(
    employee_id: uuid.UUID, principal: CurrentUser, service: Service
) -> list[ChangeOut]:
    """Every change of job title, department, manager, status and salary, with its
    effective date and who made it (salary entries only for those who may see salaries)."""
    return [ChangeOut(**v) for v in await service.history(principal, employee_id)]
