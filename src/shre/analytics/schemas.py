"""The analytics API's query parameters and answers (CONTRACT.md §4 "Analytics")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shre.kit.export import FormatParam
from shre.kit.query import QueryModel

MonthText = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
        description="A month, `YYYY-MM`",
        examples=["2025-03"],
    ),
]


class AnalyticsQuery(QueryModel):
    """Every analytics endpoint's filter, and its file format."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    department_id: uuid.UUID | None = Field(
        None, description="Narrow to this department and every department below it"
    )
    format: FormatParam = None


class PeriodQuery(AnalyticsQuery):
    """A series' months: `from` to `to` (default: the twelve months to this one)."""

    from_: MonthText | None = Field(None, alias="from", description="First month, `YYYY-MM`")
    to: MonthText | None = Field(None, description="Last month, `YYYY-MM` (default: this one)")


class BandsQuery(AnalyticsQuery):
    group_by: Literal["job_title", "department"] = Field(
        "job_title", description="One band per job title, or per department (its subtree)"
    )


class DocumentsQuery(AnalyticsQuery):
    limit: int = Field(
        100, ge=0, le=10_000, description="How many of the missing documents to list"
    )


class Period(BaseModel):
    from_: str = Field(alias="from", description="First month of the series")
    to: str

    model_config = ConfigDict(populate_by_name=True)


class HeadcountMonth(BaseModel):
    period: str = Field(description="`YYYY-MM`")
    headcount: int = Field(description="Employed at the end of the month (today, this month)")
    hires: int
    leavers: int = Field(description="Whose termination date falls in the month")


class DepartmentHeadcount(BaseModel):
    department_id: uuid.UUID | None = Field(description="null: people in no department")
    name: str | None
    headcount: int


class Headcount(Period):
    series: list[HeadcountMonth]
    by_department: list[DepartmentHeadcount] = Field(
        description="Headcount at the end of `to` by the department people were in then "
        "(its own members, not its sub-departments')"
    )


class TurnoverMonth(BaseModel):
    period: str
    leavers: int
    average_headcount: float = Field(description="Mean of the headcounts at its start and end")
    rate: float | None = Field(description="leavers / average_headcount; null when none employed")


class Turnover(Period):
    series: list[TurnoverMonth]
    rate_12m: float | None = Field(
        description="Leavers of the 12 months to `to` over the mean of their average headcounts"
    )


class TenureBucket(BaseModel):
    label: str
    min_years: int
    max_years: int | None = Field(description="Fewer than this many years; null: no end")
    count: int


class Tenure(BaseModel):
    as_of: date
    total: int = Field(description="Current employees counted")
    buckets: list[TenureBucket]


class PayBand(BaseModel):
    group: str | None = Field(description="The job title, or the department's name")
    department_id: uuid.UUID | None = Field(
        None, description="The department (group_by=department)"
    )
    currency: str
    count: int = Field(ge=5)
    min: str
    p25: str
    median: str
    p75: str
    max: str


class SalaryBands(BaseModel):
    group_by: Literal["job_title", "department"]
    bands: list[PayBand]
    groups_below_minimum: int = Field(
        description="Groups left out: fewer than five people, or a group whose figures "
        "could be subtracted from another's to isolate fewer than five"
    )


class MissingDocument(BaseModel):
    employee_id: uuid.UUID
    employee_number: str
    first_name: str
    last_name: str
    department_id: uuid.UUID | None
    category: str


class CategoryCount(BaseModel):
    category: str
    count: int


class DocumentCompliance(BaseModel):
    as_of: date
    expired: int = Field(description="Documents of current employees past their expiry date")
    expiring_30: int = Field(description="Expiring within 30 days (from today, inclusive)")
    expiring_60: int = Field(description="Within 60 days (includes the 30)")
    expiring_90: int = Field(description="Within 90 days (includes the 60)")
    required_categories: list[str] = Field(description="REQUIRED_DOCUMENT_CATEGORIES")
    missing_total: int = Field(description="Current employees x required categories missing")
    missing_by_category: list[CategoryCount]
    missing: list[MissingDocument] = Field(
        description="The first `limit` missing documents by employee number (the file "
        "format lists all of them)"
    )


class AttritionModelInfo(BaseModel):
    trained_at: datetime
    samples: int = Field(description="Monthly snapshots of employees the model learnt from")
    leavers: int = Field(description="People who left within the horizon, among them")
    auc: float = Field(
        description="ROC AUC of a time-split backtest: trained on the earlier snapshots, "
        "scored on the later ones (0.5 is chance)"
    )
    horizon_months: int = Field(description="The risk is of leaving within this many months")


class AttritionFactor(BaseModel):
    name: str
    effect: float = Field(
        description="The factor's push on the log-odds of leaving, against the average "
        "employee (positive: more likely to leave)"
    )


class AttritionItem(BaseModel):
    employee_id: uuid.UUID
    risk: float = Field(description="Probability of leaving within the horizon, 0-1")
    factors: list[AttritionFactor]


class AttritionRisk(BaseModel):
    model: AttritionModelInfo
    items: list[AttritionItem] = Field(description="Current employees, highest risk first")


class Insight(BaseModel):
    kind: str = Field(description="salary_outliers, pay_gap, unusual_turnover or documents")
    title: str
    detail: str
    value: float = Field(description="The insight's number (a count, a percentage)")
    link: str = Field(description="Where in the web app to look (a path)")


class Insights(BaseModel):
    items: list[Insight]
