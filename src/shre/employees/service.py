"""Employees: uniqueness, the reporting line without cycles, termination, and the access
rules of CONTRACT.md §4 applied to every read and write through `shre.policy`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from shre.audit import AuditTrail
from shre.cache import (
    CacheLayer,
    invalidate_on_commit,
    key_of,
)
from shre.crypto import FieldBox, normalise_national_id
from shre.db import utcnow
from shre.employees.cache import (
    ALL_NAMESPACES,
    IN_PLACE_FIELDS,
    SOMEONE_ELSE,
    EmployeeCache,
    carried,
    changed,
)
from shre.employees.directory import SHOWN, listing
from shre.employees.headcount import COUNTED_FIELDS, HeadcountLedger
from shre.employees.models import HISTORY_FIELDS, Employee, EmployeeChange
from shre.employees.repository import EmployeeRepository, Match, Scope
from shre.employees.rights import rights_state
from shre.employees.schemas import FIELD_ORDER, EmployeeCreate, EmployeeUpdate
from shre.employees.vault import SEALED_COLUMNS, EmployeeVault
from shre.kit.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    changed_concurrently,
)
from shre.kit.export import check_size, export_target
from shre.kit.http import ETags, Precondition, check_if_match, if_match_versions
from shre.kit.pagination import PageParams
from shre.kit.sql import is_foreign_key_violation, is_unique_violation
from shre.policy import (
    ALL_EMPLOYEE_FIELDS,
    DIRECTORY_FIELDS,
    EMPLOYMENT_FIELDS,
    SENSITIVE_FIELDS,
    Principal,
    Role,
    employee_fields_editable,
    employee_fields_visible,
    may_manage_employees,
)

log = structlog.get_logger("shre.employees")
KIND = "employee"  # the kind of record, for its ETags
READ_SENSITIVE = "employee.read_sensitive"
EXPORT = "employee.export"
EXPORT_BATCH = 500  # rows an export reads, opens and writes at a time
# What a termination changes (a reason alone too: it is written as one).
TERMINATION_FIELDS = ("status", "termination_date", "termination_reason")
# What a change may write in one statement, without reading the row (`_changed_in_place`):
# fields changed in place, with no history, nothing sealed (that takes the data key) and
# no rule that reads the stored record (termination_date's, against hire_date).
QUICK_FIELDS = IN_PLACE_FIELDS - set(HISTORY_FIELDS) - SEALED_COLUMNS.keys() - {"termination_date"}
# Data minimisation (CONTRACT.md §4): what a response carries unless the request names more
# (`fields`). Lists: no sensitive field; one record: no national ID or bank account (the
# UI's "Reveal"). A change's response is the record's default.
LIST_FIELDS = DIRECTORY_FIELDS | EMPLOYMENT_FIELDS
RECORD_FIELDS = ALL_EMPLOYEE_FIELDS - {"ssn", "bank_account"}
View = dict[str, Any]
Views = list[View]
# A list page's items: one view per row, or (no sensitive field shown) JSON made of the
# rows' JSON, written once per cached page.
Items = Views | orjson.Fragment


@dataclass(frozen=True, slots=True)
class Filters:
    """What a caller narrows a list of employees by (GET /employees' filters)."""

    q: str | None = None
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    status: str | None = None
    employment_type: str | None = None
    ssn: str | None = None  # the national ID searched for (hr, admin)


NO_FILTERS = Filters()


def _invalid(field: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: {message}",
        code=code,
        errors=[{"field": field, "location": "body", "message": message}],
    )


class EmployeeService:
    def __init__(
        self,
        session: AsyncSession,
        vault: EmployeeVault,
        audit: AuditTrail,
        cache: CacheLayer | None = None,
        etags: ETags | None = None,
    ) -> None:
        self.session = session
        self.vault = vault
        self.audit = audit
        self.etags = etags
        # A disabled cache (CACHE_ENABLED=false), or one down when the request begins, is
        # no cache: rows straight from the database, wrapped keys and all, with no detour
        # through the cached form.
        self.repo = EmployeeRepository(session)
        layer = None if cache is None else cache.if_serving()
        self.cache = None if layer is None else EmployeeCache(layer, self.repo)

    async def _audit_sensitive(
        self, rows: list[Employee], views: Views, *, single: bool = False, with_change: bool = False
    ) -> None:
        """One event per request that returns sensitive fields: which employees, which
        fields (names only). A read is committed at once and fails the request if it
        cannot be (fail closed); after a change it joins the change's transaction."""
        fields: set[str] = set()
        shown: list[uuid.UUID] = []
        for row, view in zip(rows, views, strict=True):
            names = SENSITIVE_FIELDS & view.keys()
            if names:
                fields |= names
                shown.append(row.id)
        if not shown:
            return
        target = {"target_id": shown[0]} if single else {"target_ids": shown}
        record = self.audit.record if with_change else self.audit.record_read
        await record(READ_SENSITIVE, target_type="employee", fields=fields, **target)

    async def _denied(self, action: str, employee_id: uuid.UUID, fields: list[str]) -> None:
        """A refused change is recorded too (in its own transaction: the request's is
        rolled back with the refusal)."""
        await self.audit.record_read(
            action, target_type="employee", target_id=employee_id, fields=fields, outcome="denied"
        )

    async def _stored(self, employee_id: uuid.UUID) -> Employee | None:
        """One employee's row as stored (ciphertext stays ciphertext), through the cache
        when there is one. Field filtering and decryption happen after the cache, per
        caller, in `view`."""
        if self.cache is None:
            return await self.repo.get(employee_id)
        return await self.cache.record(employee_id)

    async def _with_keys(
        self, actor: Principal, rows: list[Employee], fields: frozenset[str]
    ) -> list[Employee]:
        """The rows, those whose sensitive `fields` the caller may open with their wrapped
        data keys (from this process's copies of the current KEYS version, or the
        database): cached rows never carry them. A cached list's rows are shared by the
        requests of this process, so they are never changed: the ones given a key are
        copies."""
        if self.cache is None or not fields & SENSITIVE_FIELDS:
            return rows  # rows straight from the database have them; or none is needed
        wanted = [
            r.id
            for r in rows
            if fields & SENSITIVE_FIELDS & employee_fields_visible(actor, r.id, in_subtree=False)
        ]
        if not wanted:
            return rows
        return await self.cache.with_keys(rows, wanted)

    async def _reports_of(
        self, actor: Principal, rows: list[Employee], *, fresh: bool = False
    ) -> set[uuid.UUID]:
        """Which of `rows` are in the actor's reporting subtree (managers only). Without a
        cache, or `fresh` (inside a write's own transaction), it walks up from the rows, so
        its cost follows the page. With one that answers, the manager's whole subtree is
        read once and cached under REPORTING_LINE, which only new employees and manager
        changes invalidate."""
        if actor.role is not Role.MANAGER or actor.employee_id is None or not rows:
            return set()
        subtree = None
        if self.cache is not None and not fresh and self.cache.layer.is_serving():
            subtree = await self.cache.subtree(actor.employee_id)
        if subtree is None:  # no cache to keep it in, or too large to keep: walk up
            return await self.repo.reporting_to(actor.employee_id, [r.id for r in rows])
        return {r.id for r in rows if r.id in subtree}

    @staticmethod
    def _employment_scope(actor: Principal, filters: Filters, sort: str | None) -> Scope | None:
        """Status, type and dates are employment fields: a list filtered or sorted by them
        would disclose them for records the caller may not read, so it then ranges only
        over the records whose employment fields the caller sees (self, and a manager's
        subtree). None: no limit."""
        if may_manage_employees(actor) or (
            filters.status is None
            and filters.employment_type is None
            and (sort or "").lstrip("-") not in EMPLOYMENT_FIELDS
        ):
            return None
        return Scope(actor.employee_id, with_reports=actor.role is Role.MANAGER)

    def _match(self, actor: Principal, filters: Filters, sort: str | None) -> Match:
        """The employees a list of the caller's ranges over: their filters, a national ID
        as its blind-index values (hr, admin), and the caller's scope where the filter or
        sort would disclose employment fields."""
        indexes = None
        if filters.ssn is not None:
            if not may_manage_employees(actor):
                raise Forbidden("Only HR and administrators search by national ID", code="hr_only")
            if not normalise_national_id(filters.ssn):
                raise _invalid("ssn", "must contain letters or digits", "invalid_ssn")
            indexes = tuple(self.vault.ssn_candidates(filters.ssn))
        return Match(
            q=filters.q,
            department_id=filters.department_id,
            manager_id=filters.manager_id,
            status=filters.status,
            employment_type=filters.employment_type,
            ssn_indexes=indexes,
            only=self._employment_scope(actor, filters, sort),
        )

    def view(
        self,
        actor: Principal,
        employee: Employee,
        subtree: set[uuid.UUID],
        fields: frozenset[str],
    ) -> View:
        """The record's `fields` that this actor may see; sensitive values are decrypted
        only here, and only those shown."""
        visible = fields & employee_fields_visible(
            actor, employee.id, in_subtree=employee.id in subtree
        )
        out: View = {name: getattr(employee, name) for name in visible - SENSITIVE_FIELDS}
        out.update(self.vault.open(employee, visible & SENSITIVE_FIELDS))
        return out

    def etag(
        self, actor: Principal, employee: Employee, subtree: set[uuid.UUID], view: View
    ) -> str:
        """The record's ETag for this caller: its version (sealed) for one who sees every
        field of it — the only callers who may change it, so If-Match reads it back;
        otherwise a keyed hash of what they see, which moves only when that does (a
        change of a salary or a status they cannot see leaves it as it was)."""
        if self.etags is None:
            raise RuntimeError("EmployeeService needs its ETags to tag a record")
        visible = employee_fields_visible(actor, employee.id, in_subtree=employee.id in subtree)
        if visible == ALL_EMPLOYEE_FIELDS:
            return self.etags.for_version(KIND, employee.id, employee.version)
        return self.etags.for_view(KIND, employee.id, view)

    async def _load(self, employee_id: uuid.UUID, *, to_change: bool = False) -> Employee:
        """The stored row; `to_change`: locked until the transaction ends (PostgreSQL), so
        a concurrent change of the same record waits for this one and then works on what
        it wrote, instead of failing on the version it read before."""
        employee = await self.repo.get(employee_id, lock=to_change)
        if employee is None:
            raise NotFound("No such employee", code="employee_not_found")
        return employee

    async def get(
        self, actor: Principal, employee_id: uuid.UUID, fields: frozenset[str] = frozenset()
    ) -> tuple[View, str]:
        """One record: every field the caller may see but the national ID and the bank
        account, which come only when named in `fields`; and its ETag for the caller."""
        employee = await self._stored(employee_id)
        if employee is None:
            raise NotFound("No such employee", code="employee_not_found")
        shown = RECORD_FIELDS | fields
        [employee] = await self._with_keys(actor, [employee], shown)
        subtree = await self._reports_of(actor, [employee])
        view = self.view(actor, employee, subtree, shown)
        await self._audit_sensitive([employee], [view], single=True)
        etag = self.etag(actor, employee, subtree, view)
        if may_manage_employees(actor) and (
            employee.legal_hold_since is not None or employee.erasure_requested_at is not None
        ):
            # A hold or an erasure is shown to hr and admin; absent, neither (the record's
            # shape stays as it was for everyone else). After the ETag: for them it is
            # the version, which both changes move.
            view.update(rights_state(employee))
        return view, etag

    async def list(
        self,
        actor: Principal,
        params: PageParams,
        filters: Filters = NO_FILTERS,
        fields: frozenset[str] = frozenset(),
    ) -> tuple[Items, int]:
        """A page: directory and employment fields the caller may see, sensitive ones
        only when named in `fields` (then an audited read)."""
        shown = LIST_FIELDS | fields
        match = self._match(actor, filters, params.sort)

        # A manager's page also caches which of its rows report to them: every change of
        # the reporting line is an employee write, which drops every cached list.
        manager = actor.employee_id if actor.role is Role.MANAGER else None

        async def load() -> tuple[list[Employee], int, set[uuid.UUID]]:
            rows, total = await self.repo.list(params, match)
            return rows, total, await self._reports_of(actor, rows)

        if self.cache is None:
            rows, total, subtree = await load()
        else:
            # The key holds the blind-index values, never the national ID itself.
            page = await self.cache.page(key_of("list", params, match, manager), load)
            items = page.items_for(actor, shown)
            if items is not None:
                return items, page.total  # nothing to open, nothing to audit
            rows, total, subtree = page.rows, page.total, set(page.reports)
        rows = await self._with_keys(actor, rows, shown)
        views = [self.view(actor, row, subtree, shown) for row in rows]
        await self._audit_sensitive(rows, views)
        return views, total

    async def export(
        self,
        actor: Principal,
        sort: str | None,
        filters: Filters,
        *,
        file_format: str,
        max_rows: int,
        fields: frozenset[str] = frozenset(),
    ) -> tuple[Sequence[str], AsyncIterator[Views]]:
        """Every row the list pages through (its filters, sort and `fields`): the columns,
        and the rows' views in batches. Recorded first, as one `employee.export` event
        whatever the file holds (no event, no file): the columns in `fields`, and the
        format and the number of rows as its target ("csv:1234"; the ids of a file of
        100,000 rows would not fit an event). The rows are those that matched when the
        export began, in their order then; each is read as it is when its batch is."""
        shown = LIST_FIELDS | fields
        match = self._match(actor, filters, sort)
        ids = await self.repo.ids_in_order(sort, match, limit=max_rows + 1)
        check_size(len(ids), max_rows)
        # The fields the caller may see of some record: someone else's, their own, a report's.
        kinds = [(SOMEONE_ELSE, False), (SOMEONE_ELSE, True)]
        if actor.employee_id is not None:
            kinds.append((actor.employee_id, False))
        seen = frozenset().union(
            *(employee_fields_visible(actor, one, in_subtree=sub) for one, sub in kinds)
        )
        columns = [name for name in FIELD_ORDER if name in shown & seen]
        await self.audit.record_read(
            EXPORT,
            target_type="employee",
            target_id=export_target(file_format, len(ids)),
            fields=columns,
        )
        return columns, self._export_batches(actor, ids, shown)

    async def _export_batches(
        self, actor: Principal, ids: Sequence[uuid.UUID], shown: frozenset[str]
    ) -> AsyncIterator[Views]:
        # Rows straight from the database: their data keys with them, nothing cached.
        for start in range(0, len(ids), EXPORT_BATCH):
            rows = await self.repo.in_order(ids[start : start + EXPORT_BATCH])
            subtree = await self._reports_of(actor, rows)
            yield [self.view(actor, row, subtree, shown) for row in rows]
            self.session.expunge_all()  # a batch's rows are not kept past it

    async def reports(
        self,
        actor: Principal,
        employee_id: uuid.UUID,
        *,
        all_levels: bool,
        fields: frozenset[str] = frozenset(),
    ) -> Views:
        """A list too: sensitive fields only when named in `fields`."""
        shown = LIST_FIELDS | fields
        await self._load(employee_id)
        if all_levels:
            rows = await self.repo.by_ids(await self.repo.subtree(employee_id))
        else:
            rows = await self.repo.direct_reports(employee_id)
        subtree = await self._reports_of(actor, rows)
        views = [self.view(actor, row, subtree, shown) for row in rows]
        await self._audit_sensitive(rows, views)
        return views

    async def history(self, actor: Principal, employee_id: uuid.UUID) -> Views:
        """Every tracked change; salary entries only for those who may read the salary.
        Records outside the caller's scope are 404, as if they did not exist."""
        employee = await self._load(employee_id)
        visible = employee_fields_visible(
            actor, employee.id, in_subtree=employee.id in await self._reports_of(actor, [employee])
        )
        if "status" not in visible:
            raise NotFound("No such employee", code="employee_not_found")
        changes = await self.repo.history(employee.id)
        with_salary = "salary" in visible
        wanted = [c for c in changes if c.field != "salary" or with_salary]
        box = None
        if any(c.field == "salary" for c in wanted) and employee.dek_wrapped is not None:
            box = self.vault.box(employee)
        out: Views = []
        for change in wanted:
            old, new = self.vault.open_change(box, change)
            out.append(
                {
                    "id": change.id,
                    "field": change.field,
                    "old_value": old,
                    "new_value": new,
                    "effective_date": change.effective_date,
                    "changed_by": change.changed_by,
                    "changed_at": change.changed_at,
                }
            )
        if any(c.field == "salary" for c in wanted):
            await self.audit.record_read(
                READ_SENSITIVE, target_type="employee", target_id=employee.id, fields=["salary"]
            )
        return out

    def _record(
        self,
        actor: Principal,
        employee: Employee,
        box: FieldBox | None,
        before: dict[str, Any],
        after: dict[str, Any],
        effective: date,
    ) -> None:
        """History rows for the tracked fields that changed (salary sealed)."""
        self.session.add_all(
            history_rows(self.vault, employee, box, before, after, effective, actor.id)
        )

    # --- writing -------------------------------------------------------------------
    async def create(self, actor: Principal, data: EmployeeCreate) -> tuple[Employee, View, str]:
        if not may_manage_employees(actor):
            await self.audit.record_read(
                "employee.create", target_type="employee", outcome="denied"
            )
            raise Forbidden("Only HR and administrators create employees", code="hr_only")
        values = data.model_dump()
        await self._check_unique(values, other_than=None)
        await self._check_department(values.get("department_id"))
        if values.get("manager_id") is not None and not await self.repo.exists(
            values["manager_id"]
        ):
            raise _invalid("manager_id", "no such employee", "manager_not_found")
        _check_dates(values)
        sensitive = {k: values.pop(k) for k in SEALED_COLUMNS}
        employee = Employee(id=uuid.uuid4(), **values)
        box = self.vault.issue_key(employee)
        self.vault.seal(box, employee, sensitive)
        await self._flush(employee)
        self._record(actor, employee, box, {}, {**values, **sensitive}, employee.hire_date)
        await self.session.flush()
        await HeadcountLedger(self.session).record([employee.id], {})
        await self.audit.record(
            "employee.create",
            target_type="employee",
            target_id=employee.id,
            fields=[k for k, v in {**values, **sensitive}.items() if v is not None],
        )
        log.info("employee.created", employee_id=str(employee.id), by=str(actor.id))
        subtree = await self._reports_of(actor, [employee], fresh=True)
        view = self.view(actor, employee, subtree, RECORD_FIELDS)
        await self._audit_sensitive([employee], [view], single=True, with_change=True)
        return employee, view, self.etag(actor, employee, subtree, view)

    async def update(
        self,
        actor: Principal,
        employee_id: uuid.UUID,
        data: EmployeeUpdate,
        if_match: Precondition | None,
    ) -> tuple[View, str]:
        changes = data.model_dump(exclude_unset=True)
        effective = changes.pop("effective_date", None) or date.today()
        quick = await self._changed_in_place(actor, employee_id, changes, if_match)
        if quick is not None:
            return await self._updated(actor, quick, list(changes))
        employee = await self._load(employee_id, to_change=True)
        _check_not_erased(employee)
        allowed = employee_fields_editable(actor, employee.id)
        refused = sorted(set(changes) - allowed)
        # A record the caller may not change at all refuses even an empty change (or one
        # carrying only effective_date): 403, as the contract says, never a silent 200.
        if refused or not allowed:
            await self._denied("employee.update", employee.id, refused)
            detail = f"You may not change: {', '.join(refused) or 'this employee'}"
            raise Forbidden(detail, code="field_not_editable")
        check_if_match(if_match, employee.version)
        await self._check_unique(changes, other_than=employee.id)
        if "department_id" in changes:
            await self._check_department(changes["department_id"])
        if "manager_id" in changes and changes["manager_id"] != employee.manager_id:
            await self._check_manager(employee, changes["manager_id"])
        if changes.get("status") == "terminated" and employee.status != "terminated":
            changes.setdefault("termination_date", employee.termination_date or date.today())
        merged = {
            "hire_date": employee.hire_date,
            "termination_date": employee.termination_date,
            **changes,
        }
        _check_dates(merged)
        # The headcount ledger counts this employee's events again after the change.
        ledger = HeadcountLedger(self.session)
        counted = await ledger.count([employee.id]) if COUNTED_FIELDS & changes.keys() else None
        sensitive = {k: changes.pop(k) for k in list(changes) if k in SEALED_COLUMNS}
        box = _sealing_box(self.vault, employee, sensitive) if sensitive else None
        history = apply_change(self.vault, employee, changes, sensitive, box, effective, actor.id)
        await self._flush(employee, {*changes, *sensitive})
        self.session.add_all(history)
        await self.session.flush()
        if counted is not None:
            await ledger.record([employee.id], counted)
        return await self._updated(actor, employee, [*changes, *sensitive])

    async def _changed_in_place(
        self,
        actor: Principal,
        employee_id: uuid.UUID,
        changes: dict[str, Any],
        if_match: Precondition | None,
    ) -> Employee | None:
        """A change of QUICK_FIELDS only that the caller may make: no rule for them reads
        the stored record, so it is made in one statement, without reading or locking the
        row first (UPDATE … WHERE the version is one the client's If-Match allows,
        RETURNING the row as written). None when it does not apply or writes nothing (no
        such employee, or a stale If-Match): the locked path then decides, on the row as
        stored, and answers 404 or 412 as ever."""
        if not changes or not changes.keys() <= QUICK_FIELDS:
            return None
        if not changes.keys() <= employee_fields_editable(actor, employee_id):
            return None  # the locked path records the refusal
        versions = if_match_versions(if_match)
        if versions is not None and not versions:
            return None  # no version of ours: 412 from the locked path
        values = dict(changes)
        if changes.keys() & SHOWN:  # a directory field (phone, location) written
            values["directory_changed_at"] = utcnow()
        employee = await self.repo.update_in_place(employee_id, versions, values)
        if employee is None:
            return None
        await self._flush(employee, changes.keys())
        return employee

    async def _updated(
        self, actor: Principal, employee: Employee, fields: Sequence[str]
    ) -> tuple[View, str]:
        """A change written: its audit event, and the record as the caller may see it."""
        await self.audit.record(
            "employee.update", target_type="employee", target_id=employee.id, fields=fields
        )
        log.info(
            "employee.updated",
            employee_id=str(employee.id),
            fields=sorted(fields),
            by=str(actor.id),
        )
        subtree = await self._reports_of(actor, [employee], fresh=True)
        view = self.view(actor, employee, subtree, RECORD_FIELDS)
        await self._audit_sensitive([employee], [view], single=True, with_change=True)
        return view, self.etag(actor, employee, subtree, view)

    async def terminate(
        self,
        actor: Principal,
        employee_id: uuid.UUID,
        if_match: Precondition | None,
        reason: str | None,
    ) -> None:
        """DELETE keeps the record: status `terminated`, with a date and reason."""
        employee = await self._load(employee_id, to_change=True)
        if not may_manage_employees(actor):
            await self._denied("employee.terminate", employee.id, [])
            raise Forbidden("Only HR and administrators terminate employees", code="hr_only")
        _check_not_erased(employee)
        check_if_match(if_match, employee.version)
        ledger = HeadcountLedger(self.session)
        counted = None
        if employee.status != "terminated":
            counted = await ledger.count([employee.id])
            self._record(
                actor,
                employee,
                None,
                {"status": employee.status},
                {"status": "terminated"},
                date.today(),
            )
            employee.status = "terminated"
            employee.termination_date = max(date.today(), employee.hire_date)
            employee.directory_changed_at = utcnow()  # they leave the directory
        if reason is not None:
            employee.termination_reason = reason
        await self._flush(employee, TERMINATION_FIELDS)
        if counted is not None:
            await ledger.record([employee.id], counted)
        await self.audit.record(
            "employee.terminate",
            target_type="employee",
            target_id=employee.id,
            fields=["status", "termination_date", "termination_reason"],
        )
        log.info("employee.terminated", employee_id=str(employee.id), by=str(actor.id))

    # --- rules ---------------------------------------------------------------------
    async def _check_unique(self, values: dict[str, Any], other_than: uuid.UUID | None) -> None:
        taken = await self.repo.taken(
            employee_number=values.get("employee_number"),
            email=values.get("email"),
            other_than=other_than,
        )
        if taken:
            field = sorted(taken)[0]
            raise Conflict(f"Another employee has this {field}", code=f"{field}_taken")

    async def _check_department(self, department_id: uuid.UUID | None) -> None:
        if department_id is not None and not await self.repo.department_exists(department_id):
            raise _invalid("department_id", "no such department", "department_not_found")

    async def _check_manager(self, employee: Employee, manager_id: uuid.UUID | None) -> None:
        if manager_id is None:
            return
        if manager_id == employee.id:
            raise _invalid("manager_id", "an employee cannot manage themselves", "manager_cycle")
        await self.repo.lock_reporting_line()
        if not await self.repo.exists(manager_id):
            raise _invalid("manager_id", "no such employee", "manager_not_found")
        if employee.id in await self.repo.chain_above(manager_id):
            raise _invalid(
                "manager_id",
                "the new manager reports to this employee: that would make a cycle",
                "manager_cycle",
            )

    async def _flush(self, employee: Employee, fields: Collection[str] | None = None) -> None:
        """Write the employee, asking the cache to drop (or patch) what the change of
        `fields` makes stale (None: a new employee)."""
        patch = changed(self.session, employee, fields)
        try:
            await self.repo.add(employee)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise Conflict(
                    "Another employee has this employee number or email", code="duplicate"
                ) from None
            # Employees are never deleted, so the reference that vanished after we checked
            # it is the department (deleted concurrently).
            if is_foreign_key_violation(exc):
                raise _invalid(
                    "department_id", "no such department", "department_not_found"
                ) from None
            raise
        except StaleDataError:
            raise changed_concurrently("employee") from None
        if patch:
            carried(self.session, employee)


def written_in_bulk(session: AsyncSession) -> None:
    """Employees written in bulk (the import's INSERTs): every cached page, record,
    reporting line, data key and figure of employees is dropped at commit."""
    invalidate_on_commit(session, *ALL_NAMESPACES)


def _sealing_box(
    vault: EmployeeVault, employee: Employee, values: dict[str, Any]
) -> FieldBox | None:
    """What seals a change's sensitive values: the employee's data key. A destroyed key
    (crypto-shredding) seals nothing: 410, unless the change only clears fields (None)."""
    if employee.dek_wrapped is not None:
        return vault.box(employee)
    if any(value is not None for value in values.values()):
        raise Gone(
            "This employee's data key was destroyed: their sensitive fields can only be cleared",
            code="key_destroyed",
        )
    return None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def tracked_changes(
    before: dict[str, Any], after: dict[str, Any]
) -> list[tuple[str, str | None, str | None]]:
    """What the history records of a change from `before` to `after`: each tracked field
    that `after` names and whose text differs, with its old and new text (the bulk import
    writes the same rows as `_record`)."""
    return [
        (name, _text(before.get(name)), _text(after[name]))
        for name in HISTORY_FIELDS
        if name in after and _text(before.get(name)) != _text(after[name])
    ]


def apply_change(
    vault: EmployeeVault,
    employee: Employee,
    changes: dict[str, Any],
    sensitive: dict[str, Any],
    box: FieldBox | None,
    effective: date,
    changed_by: uuid.UUID | None,
) -> list[EmployeeChange]:
    """Write checked `changes` (clear fields) and `sensitive` ones (sealed under `box`)
    into a stored employee, its directory stamp moved when what the directory lists
    changed: the history rows of the change (the API's update and the bulk import's)."""
    before = {name: getattr(employee, name) for name in HISTORY_FIELDS if name != "salary"}
    if "salary" in sensitive and box is not None:
        before.update(vault.open(employee, frozenset({"salary"})))
    listed = listing(employee)
    for name, value in changes.items():
        setattr(employee, name, value)
    if listing(employee) != listed:
        employee.directory_changed_at = utcnow()
    if sensitive:
        vault.seal(box, employee, sensitive)
    after = {**changes, **sensitive}
    return history_rows(vault, employee, box, before, after, effective, changed_by)


def history_rows(
    vault: EmployeeVault,
    employee: Employee,
    box: FieldBox | None,
    before: dict[str, Any],
    after: dict[str, Any],
    effective: date,
    changed_by: uuid.UUID | None,
) -> list[EmployeeChange]:
    """The history rows of a change of a stored employee (salary sealed under its key):
    the API's update and the bulk import's write the same."""
    rows = []
    for name, old, new in tracked_changes(before, after):
        change = EmployeeChange(
            id=uuid.uuid4(),
            employee_id=employee.id,
            field=name,
            old_value=old,
            new_value=new,
            effective_date=effective,
            changed_by=changed_by,
        )
        if name == "salary" and box is not None:
            vault.seal_change(box, change)
        rows.append(change)
    return rows


DATES_RULE = "must not be before hire_date"


def dates_in_order(values: dict[str, Any]) -> bool:
    """The rule on a record's dates: no termination before the hire."""
    hired, left = values.get("hire_date"), values.get("termination_date")
    return hired is None or left is None or left >= hired


ERASED_RULE = "this employee was erased: the record keeps only what analytics need"


def _check_not_erased(employee: Employee) -> None:
    """An erased record (or one whose erasure has begun) is never written again: a
    change would bring back what the erasure removed."""
    if employee.erasure_requested_at is not None:
        raise Conflict(f"Employee {employee.id} was erased: {ERASED_RULE}", code="erased")


def _check_dates(values: dict[str, Any]) -> None:
    if not dates_in_order(values):
        raise _invalid("termination_date", DATES_RULE, "invalid_dates")
