"""Departments: unique names, an acyclic parent tree, and who may change them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from shre.audit.trail import AuditTrail
from shre.cache import CacheLayer, invalidate_on_commit
from shre.crypto.derived import SealedJson
from shre.departments.cache import STATS, STATS_BY_LINE, STATS_KEY_VERSION
from shre.departments.models import Department
from shre.departments.repository import DepartmentFilters, DepartmentRepository
from shre.departments.schemas import DepartmentCreate, DepartmentOut, DepartmentUpdate
from shre.departments.stats import department_stats, withheld
from shre.employees.repository import EmployeeRepository
from shre.employees.vault import EmployeeVault
from shre.kit.errors import Conflict, Forbidden, InvalidInput, NotFound, changed_concurrently
from shre.kit.export import Batches, check_size, export_target, in_batches
from shre.kit.http import Precondition, check_if_match
from shre.kit.pagination import PageParams
from shre.kit.sql import is_foreign_key_violation, is_unique_violation
from shre.policy import (
    AnalyticsScope,
    Principal,
    analytics_scope,
    may_see_salary_figures,
    may_write_departments,
)

log = structlog.get_logger("shre.departments")
EXPORT = "department.export"
# An export's columns: the list's fields, in its order.
EXPORT_COLUMNS = tuple(DepartmentOut.model_fields)


def _name_taken() -> Conflict:
    return Conflict("A department with this name already exists", code="department_name_taken")


def _bad_parent(message: str, code: str) -> InvalidInput:
    return InvalidInput(
        message,
        code=code,
        errors=[{"field": "parent_id", "location": "body", "message": message}],
    )


# Department statistics with salary figures are a read of salaries: audited, fail closed.
SALARY_STATS_FIELDS = ("salary", "salary_currency")


class DepartmentService:
    def __init__(self, session: AsyncSession, audit: AuditTrail) -> None:
        self.session = session
        self.audit = audit
        self.repo = DepartmentRepository(session)

    async def stats(
        self,
        actor: Principal,
        department_id: uuid.UUID,
        vault: EmployeeVault,
        cache: CacheLayer | None = None,
    ) -> dict[str, Any]:
        """Statistics over the department and its sub-departments: headcount for anyone;
        the breakdown as `analytics_scope` allows and the size rule passes (see
        shre.departments.stats); salary figures for hr and admin.

        Cached per department as computed for hr (salary figures included), the salary
        part sealed under a key derived from the master key; an employee's headcount
        comes from that entry. A manager's figures depend on the reporting line: they
        are cached apart, per department and manager (STATS_BY_LINE, which a change of
        any reporting line drops too), never under the department's key. Without a cache
        that answers (disabled, or down when the request begins) only what the caller
        may see is computed: no salary is opened for anyone else. A cached entry stands
        for a department that exists: deleting one invalidates them."""
        scope = analytics_scope(actor)
        layer = None if cache is None else cache.if_serving()
        if scope is AnalyticsScope.REPORTING_LINE:
            stats = await self._line_figures(actor, layer, department_id, vault)
            return {"department_id": department_id, **stats}
        with_salary = may_see_salary_figures(actor)
        if layer is None:
            stats = await self._figures(
                actor, department_id, vault, AnalyticsScope.DEPARTMENT, with_salary=with_salary
            )
        else:
            stats = await self._cached_figures(actor, layer, department_id, vault, with_salary)
        if scope is None:
            stats = {"headcount": stats["headcount"], **withheld(None, "not_permitted")}
        if stats.get("salary") is not None:
            await self.audit.record_read(
                "department.read_salary_stats",
                target_type="department",
                target_id=department_id,
                fields=SALARY_STATS_FIELDS,
            )
        return {"department_id": department_id, **stats}

    async def _figures(
        self,
        actor: Principal,
        department_id: uuid.UUID,
        vault: EmployeeVault,
        scope: AnalyticsScope,
        *,
        within: set[uuid.UUID] | None = None,
        with_salary: bool = False,
    ) -> dict[str, Any]:
        department = await self.get(actor, department_id)  # 404 for no such department
        tree = await self.repo.subtree_parents(department.id)
        members = await EmployeeRepository(self.session).in_departments(list(tree))
        return department_stats(
            department.id,
            tree,
            members,
            vault,
            scope=scope.value,
            within=within,
            with_salary=with_salary,
        )

    async def _cached_figures(
        self,
        actor: Principal,
        layer: CacheLayer,
        department_id: uuid.UUID,
        vault: EmployeeVault,
        with_salary: bool,
    ) -> dict[str, Any]:
        # Salary aggregates are derived from sealed values: cached, they are sealed too,
        # bound to the department (only what is cached is sealed).
        sealer = SealedJson(
            vault.keyring,
            b"shre/cache/department-stats/v1",
            "cache",
            STATS,
            department_id,
        )

        async def compute() -> dict[str, Any]:
            found = await self._figures(
                actor, department_id, vault, AnalyticsScope.DEPARTMENT, with_salary=True
            )
            salary = found["salary"]
            return {**found, "salary": None if salary is None else sealer.seal(salary)}

        key = f"v{STATS_KEY_VERSION}:{department_id}"
        cached = await layer.get_or_load(STATS, key, compute)
        stats = {k: v for k, v in cached.items() if k != "salary"}
        if with_salary:
            salary = None if cached["salary"] is None else sealer.open(cached["salary"])
            if salary is None and cached["salary"] is not None:
                # Sealed under a retired master key: compute afresh.
                fresh = await self._figures(
                    actor, department_id, vault, AnalyticsScope.DEPARTMENT, with_salary=True
                )
                salary = fresh["salary"]
            stats["salary"] = salary
        return stats

    async def _line_figures(
        self,
        actor: Principal,
        layer: CacheLayer | None,
        department_id: uuid.UUID,
        vault: EmployeeVault,
    ) -> dict[str, Any]:
        """A manager's figures (no salary): cached per department and manager, dropped
        with the department's and whenever a reporting line changes."""
        scope = AnalyticsScope.REPORTING_LINE

        async def compute() -> dict[str, Any]:
            within = await self._reporting_line(actor)
            return await self._figures(actor, department_id, vault, scope, within=within)

        if layer is None or actor.employee_id is None:
            return await compute()
        # An entry stands for a department that exists (deleting one drops STATS, and
        # these with it), as the hr figures' entries do.
        key = f"v{STATS_KEY_VERSION}:{department_id}:{actor.employee_id}"
        figures: dict[str, Any] = await layer.get_or_load(STATS_BY_LINE, key, compute)
        return figures

    async def _reporting_line(self, actor: Principal) -> set[uuid.UUID]:
        """The manager and everyone who reports to them, directly or not."""
        if actor.employee_id is None:
            return set()
        below = await EmployeeRepository(self.session).subtree(actor.employee_id)
        return below | {actor.employee_id}

    def _authorize_write(self, actor: Principal) -> None:
        if not may_write_departments(actor):
            raise Forbidden("Only HR and administrators change departments", code="hr_only")

    async def get(self, actor: Principal, department_id: uuid.UUID) -> Department:
        department = await self.repo.get(department_id)
        if department is None:
            raise NotFound("No such department", code="department_not_found")
        return department

    async def list(
        self, actor: Principal, params: PageParams, filters: DepartmentFilters
    ) -> tuple[list[Department], int]:
        return await self.repo.list(params, filters)

    async def export(
        self,
        actor: Principal,
        sort: str | None,
        filters: DepartmentFilters,
        *,
        file_format: str,
        max_rows: int,
    ) -> tuple[Sequence[str], Batches]:
        """Every department the list pages through (its filters and sort): the columns,
        and the rows in batches. Recorded first, as one `department.export` event."""
        ids = await self.repo.ids_in_order(sort, filters, limit=max_rows + 1)
        check_size(len(ids), max_rows)
        await self.audit.record_read(
            EXPORT,
            target_type="department",
            target_id=export_target(file_format, len(ids)),
            fields=EXPORT_COLUMNS,
        )
        return EXPORT_COLUMNS, in_batches(
            ids, self.repo.in_order, _row, after=self.session.expunge_all
        )

    async def create(self, actor: Principal, data: DepartmentCreate) -> Department:
        self._authorize_write(actor)
        if await self.repo.name_taken(data.name):
            raise _name_taken()
        if data.parent_id is not None and await self.repo.get(data.parent_id) is None:
            raise _bad_parent("No such parent department", "parent_not_found")
        department = Department(
            name=data.name, parent_id=data.parent_id, description=data.description
        )
        await self._flush(department)
        invalidate_on_commit(self.session, STATS)
        log.info("department.created", department_id=str(department.id), by=str(actor.id))
        await self.audit.record(
            "department.create",
            target_type="department",
            target_id=department.id,
            fields=data.model_dump(exclude_none=True).keys(),
        )
        return department

    async def update(
        self,
        actor: Principal,
        department_id: uuid.UUID,
        data: DepartmentUpdate,
        if_match: Precondition | None,
    ) -> Department:
        department = await self.get(actor, department_id)
        self._authorize_write(actor)
        check_if_match(if_match, department.version)
        changes = data.model_dump(exclude_unset=True)
        if "name" in changes and await self.repo.name_taken(
            changes["name"], other_than=department.id
        ):
            raise _name_taken()
        if "parent_id" in changes and changes["parent_id"] != department.parent_id:
            await self._check_parent(department, changes["parent_id"])
        changed = [name for name, value in changes.items() if getattr(department, name) != value]
        for name, value in changes.items():
            setattr(department, name, value)
        await self._flush(department)
        invalidate_on_commit(self.session, STATS)  # a move changes subtrees
        if changes.get("parent_id") is not None:
            await self._recheck_cycle(department, changes["parent_id"])
        log.info(
            "department.updated",
            department_id=str(department.id),
            fields=sorted(changes),
            by=str(actor.id),
        )
        await self.audit.record(
            "department.update", target_type="department", target_id=department.id, fields=changed
        )
        return department

    async def delete(
        self, actor: Principal, department_id: uuid.UUID, if_match: Precondition | None
    ) -> None:
        department = await self.get(actor, department_id)
        self._authorize_write(actor)
        check_if_match(if_match, department.version)
        if await EmployeeRepository(self.session).in_department(department.id):
            raise Conflict(
                "The department has employees; move them first", code="department_has_employees"
            )
        if await self.repo.has_children(department.id):
            raise Conflict(
                "The department has sub-departments; move or delete them first",
                code="department_has_children",
            )
        try:
            await self.repo.delete(department)
        except IntegrityError:
            # A sub-department or member was added concurrently.
            raise Conflict("The department is in use", code="department_in_use") from None
        except StaleDataError:
            # Deleted or changed by a concurrent request since we read it.
            raise changed_concurrently("department") from None
        invalidate_on_commit(self.session, STATS)
        log.info("department.deleted", department_id=str(department_id), by=str(actor.id))
        await self.audit.record(
            "department.delete", target_type="department", target_id=department_id
        )

    async def _check_parent(self, department: Department, parent_id: uuid.UUID | None) -> None:
        if parent_id is None:
            return
        if parent_id == department.id:
            raise _bad_parent("A department cannot be its own parent", "department_cycle")
        if await self.repo.get(parent_id) is None:
            raise _bad_parent("No such parent department", "parent_not_found")
        if department.id in await self.repo.ancestors(parent_id):
            raise _bad_parent(
                "The new parent is inside this department: that would make a cycle",
                "department_cycle",
            )

    async def _recheck_cycle(self, department: Department, parent_id: uuid.UUID) -> None:
        """The cycle check again, after our own write and under the tree lock: two moves
        checked at once (A under B, B under A) each pass `_check_parent` alone."""
        await self.repo.lock_tree()
        if department.id in await self.repo.ancestors(parent_id):
            raise _bad_parent(
                "The new parent is inside this department: that would make a cycle",
                "department_cycle",
            )

    async def _flush(self, department: Department) -> None:
        try:
            await self.repo.add(department)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise _name_taken() from None
            if is_foreign_key_violation(exc):
                # The parent was deleted after we checked that it exists.
                raise _bad_parent("No such parent department", "parent_not_found") from None
            raise
        except StaleDataError:
            raise changed_concurrently("department") from None


def _row(department: Department) -> dict[str, Any]:
    return DepartmentOut.model_validate(department).model_dump()
