"""`/api/v1/analytics/*`: thin routes over `AnalyticsService`. With `format=csv|xlsx`
each answers its table as a file (an audited `analytics.export`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from shre.analytics.attrition import read_risk
from shre.analytics.cache import COMPLIANCE, FIGURES
from shre.analytics.insights import insights as find_insights
from shre.analytics.schemas import (
    AnalyticsQuery,
    AttritionRisk,
    BandsQuery,
    DocumentCompliance,
    DocumentsQuery,
    Headcount,
    Insights,
    PeriodQuery,
    SalaryBands,
    Tenure,
    Turnover,
)
from shre.analytics.service import AnalyticsService
from shre.api.deps import CurrentUser, reading
from shre.api.runtime import Runtime
from shre.cache import reads_cache
from shre.employees.vault import EmployeeVault
from shre.kit.export import FILE_RESPONSES, Batches, check_size, export_response
from shre.kit.query import documented, query

router = APIRouter(prefix="/analytics", tags=["analytics"])
Row = dict[str, Any]


async def _reader(request: Request) -> AnalyticsService:
    runtime: Runtime = request.app.state.runtime
    session, audit = reading(request)
    return AnalyticsService(
        session,
        audit,
        runtime.part(EmployeeVault),
        runtime.cache,
        runtime.sessionmaker,
        runtime.settings.required_document_categories,
    )


Reader = Annotated[AnalyticsService, Depends(_reader)]
RESPONSES: dict[int | str, dict[str, Any]] = {
    **FILE_RESPONSES,
    403: {"description": "Employees (and, for pay bands, managers)"},
}


async def _file(
    service: AnalyticsService,
    report: str,
    file_format: str,
    columns: Sequence[str],
    rows: list[Row],
) -> Response:
    await service.record_export(report, file_format, columns, len(rows))

    async def batches() -> Batches:
        yield rows

    return await export_response(f"{report}", file_format, columns, batches())


@router.get(
    "/headcount",
    response_model=Headcount,
    openapi_extra=documented(PeriodQuery),
    responses=RESPONSES,
)
@reads_cache(FIGURES)
async def headcount(
    principal: CurrentUser,
    service: Reader,
    params: Annotated[PeriodQuery, Depends(query(PeriodQuery))],
) -> Headcount | Response:
    """Headcount at the end of each month (`from` to `to`), with hires and leavers, from
    the employment history: a past month counts who was employed then, in the department
    they were in then. `by_department`: headcount at the end of `to` per department."""
    found = await service.headcount(principal, params.department_id, params.from_, params.to)
    if params.format is not None:
        columns = ("period", "headcount", "hires", "leavers")
        return await _file(service, "headcount", params.format, columns, found["series"])
    return Headcount.model_validate(found)


@router.get(
    "/attrition-risk",
    response_model=AttritionRisk,
    responses={
        403: {"description": "Managers and employees"},
        409: {"description": "No model trained yet (one is being trained: ask again soon)"},
        422: {"description": "Too little history to score (the reason is in `detail`)"},
    },
)
async def attrition_risk(
    request: Request,
    principal: CurrentUser,
    department_id: Annotated[
        uuid.UUID | None, Query(description="Only this department and those below it")
    ] = None,
    employee_id: Annotated[uuid.UUID | None, Query(description="Only this employee")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000, description="The highest risks only")] = 10_000,
) -> AttritionRisk:
    """Each current employee's risk of leaving within the model's horizon, with the
    factors behind it, from a model trained on the organisation's own history (retrained
    daily; `model.auc` is its time-split backtest). hr and admin only; an audited read."""
    runtime: Runtime = request.app.state.runtime
    session, audit = reading(request)
    from shre.intelligence import ai_off

    off = ai_off(runtime.settings.shre_ai)
    found = await read_risk(session, runtime.keyring, runtime.queue, principal, department_id, off)
    if employee_id is not None:
        found["items"] = [i for i in found["items"] if i["employee_id"] == str(employee_id)]
    found["items"] = found["items"][:limit]
    await audit.record_read(
        "analytics.read_attrition_risk",
        target_type="analytics",
        target_id="attrition-risk",
        target_ids=[uuid.UUID(item["employee_id"]) for item in found["items"]][:1000],
    )
    return AttritionRisk.model_validate(found)


@router.get(
    "/insights",
    response_model=Insights,
    responses={403: {"description": "Managers and employees"}},
)
async def insights(principal: CurrentUser, service: Reader) -> Insights:
    """What deserves HR's attention now, each with its number and a link into the web
    app: salary outliers within job titles, the department whose median pay is furthest
    from the organisation's, unusual turnover, expired and missing documents. hr and
    admin; an audited read. No group of fewer than five is described."""
    return Insights.model_validate(await find_insights(service, principal))


@router.get(
    "/turnover",
    response_model=Turnover,
    openapi_extra=documented(PeriodQuery),
    responses=RESPONSES,
)
@reads_cache(FIGURES)
async def turnover(
    principal: CurrentUser,
    service: Reader,
    params: Annotated[PeriodQuery, Depends(query(PeriodQuery))],
) -> Turnover | Response:
    """Each month's leavers over its average headcount, and the trailing 12-month rate."""
    found = await service.turnover(principal, params.department_id, params.from_, params.to)
    if params.format is not None:
        columns = ("period", "leavers", "average_headcount", "rate")
        rows = [
            *found["series"],
            {"period": f"12 months to {found['to']}", "rate": found["rate_12m"]},
        ]
        return await _file(service, "turnover", params.format, columns, rows)
    return Turnover.model_validate(found)


@router.get(
    "/tenure",
    response_model=Tenure,
    openapi_extra=documented(AnalyticsQuery),
    responses=RESPONSES,
)
@reads_cache(FIGURES)
async def tenure(
    principal: CurrentUser,
    service: Reader,
    params: Annotated[AnalyticsQuery, Depends(query(AnalyticsQuery))],
) -> Tenure | Response:
    """Current employees by years of service today."""
    found = await service.tenure(principal, params.department_id)
    if params.format is not None:
        columns = ("label", "min_years", "max_years", "count")
        return await _file(service, "tenure", params.format, columns, found["buckets"])
    return Tenure.model_validate(found)


@router.get(
    "/salary-bands",
    response_model=SalaryBands,
    openapi_extra=documented(BandsQuery),
    responses=RESPONSES,
)
@reads_cache(FIGURES)
async def salary_bands(
    principal: CurrentUser,
    service: Reader,
    params: Annotated[BandsQuery, Depends(query(BandsQuery))],
) -> SalaryBands | Response:
    """Current salaries per job title (over the department's subtree) or per department
    (each over its own subtree), per currency: count, min, p25, median, p75, max. HR and
    admin only; an audited read of salaries. A group of fewer than five is never shown,
    nor one whose figures, set against another answer's, would isolate fewer than five."""
    found = await service.salary_bands(principal, params.department_id, params.group_by)
    if params.format is not None:
        columns: tuple[str, ...] = (
            "group",
            "currency",
            "count",
            "min",
            "p25",
            "median",
            "p75",
            "max",
        )
        if params.group_by == "department":
            columns = ("group", "department_id", *columns[1:])
        return await _file(service, "salary-bands", params.format, columns, found["bands"])
    return SalaryBands.model_validate(found)


@router.get(
    "/documents",
    response_model=DocumentCompliance,
    openapi_extra=documented(DocumentsQuery),
    responses=RESPONSES,
)
@reads_cache(COMPLIANCE)
async def documents(
    request: Request,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[DocumentsQuery, Depends(query(DocumentsQuery))],
) -> DocumentCompliance | Response:
    """Documents of current employees expired or expiring within 30, 60 and 90 days, and
    who misses a category of REQUIRED_DOCUMENT_CATEGORIES. As a file: every missing
    document, one row each."""
    if params.format is not None:
        most = request.app.state.runtime.settings.export_max_rows
        found = await service.documents(principal, params.department_id, most + 1)
        check_size(len(found["missing"]), most)
        columns = (
            "employee_id",
            "employee_number",
            "first_name",
            "last_name",
            "department_id",
            "category",
        )
        return await _file(service, "documents", params.format, columns, found["missing"])
    found = await service.documents(principal, params.department_id, params.limit)
    return DocumentCompliance.model_validate(found)
