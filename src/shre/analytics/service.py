"""Analytics: who may see which figures, over whom; caching; audit; files.

Admin and hr see the whole organisation (or a department's subtree); a manager sees
their own reporting line (themself and everyone below them, as it is today), never
salaries; an employee gets 403 (CONTRACT.md §4, the analytics row).

The organisation's figures are cached like department statistics (CONTRACT.md §6), in a
namespace that follows theirs, so every change of an employee field they count and
every change of a department invalidates them; document compliance also follows the
documents' namespace (see shre.analytics.cache). Pay bands are cached sealed, under a
subkey of the primary master key, never in clear. A manager's figures depend on their
reporting line: computed afresh, never cached under the organisation's keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import false
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from shre.analytics import figures
from shre.analytics.cache import COMPLIANCE, FIGURES
from shre.analytics.periods import DEFAULT_MONTHS, MAX_MONTHS, Month, months_between
from shre.analytics.repository import TENURE_BUCKETS, AnalyticsRepository
from shre.audit.trail import AuditTrail
from shre.cache import CacheLayer
from shre.crypto.derived import SealedJson
from shre.departments.repository import DepartmentRepository
from shre.departments.service import SALARY_STATS_FIELDS
from shre.employees.models import Employee
from shre.employees.paycells import PayCells
from shre.employees.vault import EmployeeVault
from shre.kit.errors import Forbidden, InvalidInput, NotFound
from shre.policy import (
    AnalyticsScope,
    Principal,
    analytics_scope,
    may_see_salary_figures,
)

Result = dict[str, Any]
EXPORT: Final = "analytics.export"
READ_BANDS: Final = "analytics.read_salary_bands"
# In every cache key: entries of another shape are never read back.
KEY_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures a request covers: `within` narrows the employees (a manager's
    reporting line; empty for everyone), `departments` the departments (a subtree;
    None: all, and people in none), `top` the subtree's department."""

    within: list[ColumnElement[bool]]
    departments: frozenset[uuid.UUID] | None
    top: uuid.UUID | None
    cacheable: bool

    def key(self, *parts: object) -> str:
        return ":".join(str(p) for p in (f"v{KEY_VERSION}", *parts, self.top or "all"))

    def current_department(self) -> list[ColumnElement[bool]]:
        if self.departments is None:
            return list(self.within)
        return [*self.within, Employee.department_id.in_(list(self.departments))]


class AnalyticsService:
    def __init__(
        self,
        session: AsyncSession,
        audit: AuditTrail,
        vault: EmployeeVault,
        cache: CacheLayer | None,
        sessionmaker: async_sessionmaker[AsyncSession] | None,
        required_categories: Sequence[str],
        today: date | None = None,
    ) -> None:
        self.session = session
        self.audit = audit
        self.vault = vault
        self.cache = cache
        self.sessionmaker = sessionmaker
        self.required = tuple(required_categories)
        self.today = today or date.today()
        self.repo = AnalyticsRepository(session)

    # --- who and what ----------------------------------------------------------------
    async def _scope(self, actor: Principal, department_id: uuid.UUID | None) -> Scope:
        scope = analytics_scope(actor)
        if scope is None:
            raise Forbidden(
                "Analytics are for HR, administrators and managers", code="analytics_forbidden"
            )
        departments = None
        if department_id is not None:
            tree = await DepartmentRepository(self.session).subtree_parents(department_id)
            if not tree:
                raise NotFound("No such department", code="department_not_found")
            departments = frozenset(tree)
        if scope is AnalyticsScope.DEPARTMENT:
            return Scope([], departments, department_id, cacheable=True)
        line = false() if actor.employee_id is None else self.repo.reporting_line(actor.employee_id)
        return Scope([line], departments, department_id, cacheable=False)

    async def _cached(
        self,
        scope: Scope,
        key: str,
        compute: Callable[[], Awaitable[Result]],
        *,
        documents: bool = False,
    ) -> Result:
        layer = None if self.cache is None or not scope.cacheable else self.cache.if_serving()
        if layer is None:
            return await compute()
        value = await layer.get_or_load(COMPLIANCE if documents else FIGURES, key, compute)
        result: Result = value
        return result

    def _period(self, first: str | None, last: str | None) -> tuple[Month, Month]:
        this = Month.of(self.today)
        end = this if last is None else Month.parse(last)
        start = end.plus(1 - DEFAULT_MONTHS) if first is None else Month.parse(first)
        problems = []
        if end > this:
            problems.append(("to", "must not be after this month"))
        if start > end:
            problems.append(("from", "must not be after `to`"))
        elif len(months_between(start, end)) > MAX_MONTHS:
            problems.append(("from", f"a series is at most {MAX_MONTHS} months long"))
        if problems:
            raise InvalidInput(
                "; ".join(f"{f}: {m}" for f, m in problems),
                code="invalid_period",
                errors=[{"field": f, "location": "query", "message": m} for f, m in problems],
            )
        return start, end

    # --- headcount and turnover ------------------------------------------------------
    async def headcount(
        self, actor: Principal, department_id: uuid.UUID | None, first: str | None, last: str | None
    ) -> Result:
        scope = await self._scope(actor, department_id)
        start, end = self._period(first, last)

        async def compute() -> Result:
            events = await self.repo.events(self.today, scope.within)
            series = figures.monthly(events, start, end, figures.in_set(scope.departments))
            names = await self.repo.departments(scope.departments)
            levels = figures.by_department(events, end)
            shown = [
                {
                    "department_id": None if d is None else str(d),
                    "name": None if d is None else names[d][0],
                    "headcount": n,
                }
                for d, n in levels.items()
                if n > 0
                and (scope.departments is None or d in scope.departments)
                and (d is None or d in names)
            ]
            shown.sort(key=lambda row: (-int(row["headcount"] or 0), str(row["name"] or "")))
            return {
                "from": str(start),
                "to": str(end),
                "series": [
                    {
                        "period": str(m.period),
                        "headcount": m.headcount,
                        "hires": m.hires,
                        "leavers": m.leavers,
                    }
                    for m in series
                ],
                "by_department": shown,
            }

        return await self._cached(scope, scope.key("headcount", self.today, start, end), compute)

    async def turnover(
        self, actor: Principal, department_id: uuid.UUID | None, first: str | None, last: str | None
    ) -> Result:
        scope = await self._scope(actor, department_id)
        start, end = self._period(first, last)

        async def compute() -> Result:
            events = await self.repo.events(self.today, scope.within)
            year_start = end.plus(1 - 12)
            months = figures.monthly(
                events, min(start, year_start), end, figures.in_set(scope.departments)
            )
            series = [m for m in months if m.period >= start]
            rate_12m = figures.trailing_rate([m for m in months if m.period >= year_start])
            return {
                "from": str(start),
                "to": str(end),
                "series": [
                    {
                        "period": str(m.period),
                        "leavers": m.leavers,
                        "average_headcount": float(figures.average_headcount(m)),
                        "rate": _number(figures.rate(m.leavers, figures.average_headcount(m))),
                    }
                    for m in series
                ],
                "rate_12m": _number(rate_12m),
            }

        return await self._cached(scope, scope.key("turnover", self.today, start, end), compute)

    # --- tenure ----------------------------------------------------------------------
    async def tenure(self, actor: Principal, department_id: uuid.UUID | None) -> Result:
        scope = await self._scope(actor, department_id)

        async def compute() -> Result:
            counts = dict(await self.repo.tenure(self.today, scope.current_department()))
            return {
                "as_of": self.today.isoformat(),
                "total": sum(counts.values()),
                "buckets": [
                    {"label": label, "min_years": low, "max_years": high, "count": counts[label]}
                    for label, low, high in TENURE_BUCKETS
                ],
            }

        return await self._cached(scope, scope.key("tenure", self.today), compute)

    # --- document compliance ---------------------------------------------------------
    async def documents(
        self, actor: Principal, department_id: uuid.UUID | None, limit: int | None
    ) -> Result:
        """Expired and expiring documents of current employees; who misses a required
        category. `limit`: how many of the missing to list (None: every one)."""
        scope = await self._scope(actor, department_id)

        async def compute() -> Result:
            where = scope.current_department()
            found = await self.repo.compliance(self.today, where, self.required, limit)
            expiries, missing = found.expiries, found.missing
            listed: list[Result] = []
            for category, count in zip(self.required, missing, strict=True):
                room = count if limit is None else min(count, limit - len(listed))
                listed.extend(
                    {
                        "employee_id": str(r.id),
                        "employee_number": r.employee_number,
                        "first_name": r.first_name,
                        "last_name": r.last_name,
                        "department_id": None if r.department_id is None else str(r.department_id),
                        "category": category,
                    }
                    for r in found.listed[category][: max(room, 0)]
                )
            return {
                "as_of": self.today.isoformat(),
                **expiries,
                "required_categories": list(self.required),
                "missing_total": sum(missing),
                "missing_by_category": [
                    {"category": c, "count": n} for c, n in zip(self.required, missing, strict=True)
                ],
                "missing": listed,
            }

        key = scope.key("documents", self.today, limit, ",".join(self.required))
        return await self._cached(scope, key, compute, documents=True)

    # --- pay bands -------------------------------------------------------------------
    async def salary_bands(
        self, actor: Principal, department_id: uuid.UUID | None, group_by: str
    ) -> Result:
        """Bands of current salaries per job title or department and currency, hr and
        admin only; every group under the size rule of `figures.PayTree`. An audited read
        of salaries (recorded before the figures go out)."""
        if not may_see_salary_figures(actor):
            raise Forbidden(
                "Pay bands are for HR and administrators", code="salary_figures_forbidden"
            )
        scope = await self._scope(actor, department_id)
        key = scope.key("bands", group_by)
        # Pay bands are sealed in a cache, bound to their key.
        sealer = SealedJson(
            self.vault.keyring, b"shre/cache/analytics/v1", "cache", "analytics", key
        )

        async def compute() -> Result:
            return {"sealed": sealer.seal(await self._bands(scope, group_by))}

        cached = await self._cached(scope, key, compute)
        result = sealer.open(cached["sealed"])
        if result is None:  # sealed under a master key no longer primary
            result = await self._bands(scope, group_by)
        await self.audit.record_read(
            READ_BANDS,
            target_type="analytics",
            target_id=f"salary-bands:{group_by}",
            fields=SALARY_STATS_FIELDS,
        )
        return result

    async def _bands(self, scope: Scope, group_by: str) -> Result:
        departments = await self.repo.departments()
        salaries = await PayCells(self.session, self.vault, self.sessionmaker).salaries()
        tree = figures.PayTree(departments, salaries)
        top: figures.Node = scope.top if scope.top is not None else figures.ORGANISATION
        if group_by == "department":
            bands, left_out = tree.by_department(top)
        else:
            bands, left_out = tree.by_title(top)
        for b in bands:  # text: the database's own UUID type is no JSON for the sealer
            if b.get("department_id") is not None:
                b["department_id"] = str(b["department_id"])
        return {"group_by": group_by, "bands": bands, "groups_below_minimum": left_out}

    # --- files -----------------------------------------------------------------------
    async def record_export(
        self, report: str, file_format: str, columns: Sequence[str], rows: int
    ) -> None:
        fields = [*columns, *SALARY_STATS_FIELDS] if report == "salary-bands" else columns
        await self.audit.record_read(
            EXPORT,
            target_type="analytics",
            target_id=f"{report}:{file_format}:{rows}",
            fields=fields,
        )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
