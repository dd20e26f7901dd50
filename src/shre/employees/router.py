from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import Field

from shre.api.deps import Audit, CurrentUser, DbSession, ETagsDep, IfMatch, reading
from shre.api.runtime import Runtime
from shre.cache import reads_cache, rows_of
from shre.employees.cache import KEYS, NAMESPACE, RECORDS, REPORTING_LINE
from shre.employees.directory import DEFAULT_LIMIT, MAX_LIMIT, Cursor, directory_page
from shre.employees.schemas import (
    ChangeOut,
    DirectoryPageOut,
    EmployeeCreate,
    EmployeeOut,
    EmployeeUpdate,
    FieldNames,
)
from shre.employees.service import KIND, EmployeeService, Filters, View
from shre.employees.vault import EmployeeVault
from shre.kit.export import FILE_RESPONSES, FormatParam, export_response
from shre.kit.http import JSONBytes
from shre.kit.numbers import ExactNumbersRoute
from shre.kit.pagination import Page
from shre.kit.query import PagedQuery, QueryModel, documented, query
from shre.kit.text import SearchText
from shre.policy import Principal

# Bodies keep their numbers as written: a salary comes back with the scale it was given.
router = APIRouter(prefix="/employees", tags=["employees"], route_class=ExactNumbersRoute)


async def _service(request: Request, session: DbSession, audit: Audit) -> EmployeeService:
    runtime: Runtime = request.app.state.runtime
    return EmployeeService(
        session, runtime.part(EmployeeVault), audit, runtime.cache, runtime.etags
    )


Service = Annotated[EmployeeService, Depends(_service)]


async def _reader(request: Request) -> EmployeeService:
    """The service for the read routes: a session that only reads, no `yield`."""
    runtime: Runtime = request.app.state.runtime
    session, audit = reading(request)
    return EmployeeService(
        session, runtime.part(EmployeeVault), audit, runtime.cache, runtime.etags
    )


Reader = Annotated[EmployeeService, Depends(_reader)]


class EmployeeQuery(PagedQuery):
    q: SearchText | None = Field(None, description="Name, email, employee number or job title")
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    status: Literal["active", "on_leave", "terminated"] | None = None
    employment_type: Literal["full_time", "part_time", "contractor", "intern"] | None = None
    ssn: SearchText | None = Field(None, description="Exact national ID (hr, admin)")
    fields: FieldNames = frozenset()
    format: FormatParam = None

    def filters(self) -> Filters:
        return Filters(
            q=self.q,
            department_id=self.department_id,
            manager_id=self.manager_id,
            status=self.status,
            employment_type=self.employment_type,
            ssn=self.ssn,
        )


class RecordQuery(QueryModel):
    fields: FieldNames = frozenset()


class ReportsQuery(QueryModel):
    depth: Literal["direct", "all"] = Field(
        "direct", description="Direct reports, or the whole subtree"
    )
    fields: FieldNames = frozenset()


def _out(view: View) -> EmployeeOut:
    # Only the fields the caller may see are set; unset fields are left out of the JSON.
    return EmployeeOut(**view)


@router.get(
    "",
    response_model=Page[EmployeeOut],
    response_model_exclude_unset=True,
    openapi_extra=documented(EmployeeQuery),
    responses=FILE_RESPONSES,
)
@reads_cache(NAMESPACE, rows_of(NAMESPACE), KEYS)
async def list_employees(
    request: Request,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[EmployeeQuery, Depends(query(EmployeeQuery))],
) -> Response:
    """Directory and employment fields the caller may see; sensitive ones only when
    named in `fields` (an audited read). With `format`, every matching row as a CSV or
    XLSX file (`page` and `page_size` do not apply)."""
    if params.format is not None:
        return await _export(request, principal, service, params, params.format)
    views, total = await service.list(principal, params.paging, params.filters(), params.fields)
    page = {"items": views, "total": total, "page": params.page, "page_size": params.page_size}
    return JSONBytes(page)


async def _export(
    request: Request,
    principal: Principal,
    service: EmployeeService,
    params: EmployeeQuery,
    file_format: str,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    columns, batches = await service.export(
        principal,
        params.sort,
        params.filters(),
        file_format=file_format,
        max_rows=runtime.settings.export_max_rows,
        fields=params.fields,
    )
    return await export_response("employees", file_format, columns, batches)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EmployeeOut,
    response_model_exclude_unset=True,
)
async def create_employee(
    body: EmployeeCreate, principal: CurrentUser, service: Service, response: Response
) -> EmployeeOut:
    employee, view, etag = await service.create(principal, body)
    response.headers["ETag"] = etag
    response.headers["Location"] = f"/api/v1/employees/{employee.id}"
    return _out(view)


@router.get(
    "/{employee_id}",
    response_model=EmployeeOut,
    response_model_exclude_unset=True,
    openapi_extra=documented(RecordQuery),
)
@reads_cache("employee:{employee_id}", RECORDS, rows_of(NAMESPACE), REPORTING_LINE, KEYS)
async def get_employee(
    employee_id: uuid.UUID,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[RecordQuery, Depends(query(RecordQuery))],
) -> Response:
    """Every field the caller may see but `ssn` and `bank_account`, which come only when
    named in `fields` (the UI's "Reveal")."""
    view, etag = await service.get(principal, employee_id, params.fields)
    return JSONBytes(view, headers={"ETag": etag})


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
    etags: ETagsDep,
    if_match: IfMatch = None,
) -> EmployeeOut:
    precondition = etags.precondition(if_match, KIND, employee_id)
    view, etag = await service.update(principal, employee_id, body, precondition)
    response.headers["ETag"] = etag
    return _out(view)


@router.delete("/{employee_id}", status_code=status.HTTP_204_NO_CONTENT)
async def terminate_employee(
    employee_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    etags: ETagsDep,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
    if_match: IfMatch = None,
) -> Response:
    """Terminate: the record is kept with status `terminated`, a date and the reason."""
    precondition = etags.precondition(if_match, KIND, employee_id)
    await service.terminate(principal, employee_id, precondition, reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{employee_id}/reports",
    response_model=list[EmployeeOut],
    response_model_exclude_unset=True,
    openapi_extra=documented(ReportsQuery),
)
async def reports(
    employee_id: uuid.UUID,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[ReportsQuery, Depends(query(ReportsQuery))],
) -> list[EmployeeOut]:
    """Direct reports, or the whole subtree with `depth=all`; as a list, sensitive fields
    only when named in `fields`."""
    views = await service.reports(
        principal, employee_id, all_levels=params.depth == "all", fields=params.fields
    )
    return [_out(v) for v in views]


@router.get("/{employee_id}/history")
async def history(
    employee_id: uuid.UUID, principal: CurrentUser, service: Reader
) -> list[ChangeOut]:
    """Every change of job title, department, manager, status and salary, with its
    effective date and who made it (salary entries only for those who may see salaries)."""
    return [ChangeOut(**v) for v in await service.history(principal, employee_id)]


# The staff directory a phone keeps offline (shre.employees.directory).
directory_router = APIRouter(prefix="/directory", tags=["employees"])


class DirectoryQuery(QueryModel):
    since: str | None = Field(
        None,
        max_length=200,
        description="The `cursor` of the previous answer; none: the whole directory",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Changes per page")


@directory_router.get("", response_model=DirectoryPageOut, openapi_extra=documented(DirectoryQuery))
async def directory(
    request: Request,
    principal: CurrentUser,
    params: Annotated[DirectoryQuery, Depends(query(DirectoryQuery))],
) -> Response:
    """Everyone not terminated, with their directory fields only (every role sees them);
    then, from a cursor, only who joined, changed a directory field or left (`removed`)
    since. Page until `complete`, keep the last `cursor` for the next sync."""
    since = None if params.since is None else Cursor.decode(params.since)
    session, _ = reading(request)
    page = await directory_page(session, since, params.limit)
    return JSONBytes(
        {
            "items": page.items,
            "removed": page.removed,
            "cursor": page.cursor,
            "complete": page.complete,
            "remaining": page.remaining,
        }
    )
