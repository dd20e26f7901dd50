"""How employees are cached: the namespaces and what invalidates them, the cached shape of
a row (ciphertext as stored, never the wrapped data key) and of a list page, and the reads
through the cache the service makes (a record, a page, the data keys, a manager's
subtree). The service decides who sees what; this module only keeps and brings back
rows as stored.

Namespaces (registered by the app at start-up, see `namespaces`):
- NAMESPACE: the list pages. A change of a field no list depends on (IN_PLACE_FIELDS)
  patches the pages holding the row (`carry_on_commit`); any other drops
  them all.
- RECORDS and `employee:<id>`: one record each, within RECORDS (bulk operations drop them
  all), patched like the pages.
- REPORTING_LINE: managers' subtrees, changed only by a new employee or a new manager_id.
- KEYS: the wrapped data keys, kept by each process only, never in the shared cache: a
  key destroyed (crypto-shredding) must leave no copy behind in Redis. Every change of
  one (shredding, a key issued, rotation) invalidates them all, in every process.
- FIGURES: moved when a field that figures count changes (STATS_FIELDS);
  it holds nothing itself: what others compute from employees (department statistics,
  analytics) follows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from types import SimpleNamespace
from typing import Any, cast

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shre.cache import (
    CacheLayer,
    Namespace,
    RowChanges,
    Watch,
    carry_on_commit,
    invalidate_on_commit,
    key_of,
)
from shre.cache.rows import RowCodec
from shre.employees.models import Employee
from shre.employees.repository import EmployeeRepository
from shre.employees.schemas import FIELD_ORDER
from shre.kit.http import json_bytes
from shre.policy import SENSITIVE_FIELDS, Principal, employee_fields_visible
from shre.settings import Settings

NAMESPACE = "employees"
RECORDS = "employee"  # every `employee:<id>` namespace lies within it (bulk operations)
REPORTING_LINE = "reporting_line"
KEYS = "employee_keys"
FIGURES = "employee_figures"
# What department statistics and analytics count (FIGURES): a change of anything else
# leaves them cached.
STATS_FIELDS = frozenset(
    {
        "department_id",
        "status",
        "employment_type",
        "hire_date",
        "termination_date",
        "job_title",  # pay bands by job title
        "salary",
        "salary_currency",
    }
)
# What no list's membership, order or count depends on (no filter, sort or search, nor
# the reporting line): a change of only these keeps cached pages, whose rows are patched
# (`row_change`). Any other field's change drops every cached page.
IN_PLACE_FIELDS = frozenset(
    {
        "phone",
        "location",
        "employment_type",
        "termination_date",
        "termination_reason",
        "salary",
        "salary_currency",
        "bank_account",
        "date_of_birth",
        "home_address",
    }
)
# What a change to employees outside a request (CLI: seed, key operations) invalidates.
ALL_NAMESPACES = (NAMESPACE, RECORDS, REPORTING_LINE, FIGURES, KEYS)
# A subtree larger than this is not cached (its ids would be megabytes to fetch and
# parse): its pages walk up from their rows instead, as without a cache.
SUBTREE_CACHED_UP_TO = 20_000
# Cached rows never carry the wrapped data key: it comes from KEYS, for the rows whose
# sensitive fields the caller may open. Nor the search column, which only queries read
# (the database computes it: a row just written does not have it loaded).
EMPLOYEE_ROWS = RowCodec(Employee, leave_out=frozenset({"dek_wrapped", "search_text"}))
ROW_ID = frozenset({"id"})
CachedRows = list[dict[str, Any]]  # rows in their cached form (EMPLOYEE_ROWS.dump)
SOMEONE_ELSE = uuid.UUID(int=0)  # no employee's id (ids are random, version 4)


def namespaces(settings: Settings) -> list[Namespace]:
    """Employees' namespaces, for the app to register at start-up."""
    ttl = settings.cache_ttl_employees
    return [Namespace(name, ttl) for name in ALL_NAMESPACES]


def changed(session: AsyncSession, employee: Employee, fields: Collection[str] | None) -> bool:
    """What a change of `fields` of `employee` (None: a new employee, everything)
    invalidates at commit: its record and every list page, unless only fields no list
    depends on changed; the figures when a field they count changed, the reporting line
    when the manager did. True: the record and the pages are to be patched instead, with
    the row as written (`carried`, once it is flushed)."""
    every = fields is None
    names = frozenset(fields or ())
    in_place = not every and names <= IN_PLACE_FIELDS
    if not in_place:
        invalidate_on_commit(session, f"employee:{employee.id}", NAMESPACE)
    if every or names & STATS_FIELDS:
        invalidate_on_commit(session, FIGURES)
    if every or "manager_id" in names:
        invalidate_on_commit(session, REPORTING_LINE)
    return in_place


def carried(session: AsyncSession, employee: Employee) -> None:
    """A change in place written (flushed): the pages and the record holding the row are
    patched with it as committed, so no reader need read it again (ciphertext as stored,
    the key left out; None if any of it is not loaded, e.g. a value the database
    computes: then they do)."""
    carry_on_commit(session, NAMESPACE, employee.id, EMPLOYEE_ROWS.dump_loaded(employee))


# Every ORM write of a data key (shredding, a key issued, rotation) drops KEYS at commit
# (attached by the app at start-up).
WATCHES = (Watch(Employee, lambda _row: [KEYS], fields=("dek_wrapped",)),)


class CachedPage:
    """A cached list page as this process keeps it: read-only rows, and each row written
    as JSON once per set of fields shown (directory fields; directory and employment
    fields). A caller shown no sensitive field of any row is answered from those: no
    view made, no decryption, no data key, no audit event."""

    __slots__ = ("_entries", "_ids", "_written", "reports", "rows", "total")

    def __init__(self, cached: dict[str, Any]) -> None:
        # Read-only rows: only `id` is compared (with the caller's own id); the rest is
        # answered as it is.
        self.rows = [EMPLOYEE_ROWS.load_for_reading(r, typed=ROW_ID) for r in cached["rows"]]
        for row in self.rows:
            row.dek_wrapped = None  # see _with_keys
        self.total = int(cached["total"])
        self.reports = frozenset(uuid.UUID(str(r)) for r in cached["reports"])
        self._entries: dict[frozenset[str], list[bytes]] = {}
        self._written: dict[frozenset[str], orjson.Fragment] = {}
        self._ids: frozenset[str] | None = None

    def row_ids(self) -> frozenset[str]:
        if self._ids is None:
            self._ids = frozenset(str(row.id) for row in self.rows)
        return self._ids

    def _entries_with(self, fields: frozenset[str]) -> list[bytes]:
        """Each row's `fields` as JSON (made once per set of fields: at most two, as no
        set with a sensitive field is ever written)."""
        found = self._entries.get(fields)
        if found is None:
            names = [name for name in FIELD_ORDER if name in fields]
            found = self._entries[fields] = [
                json_bytes({name: getattr(row, name) for name in names}) for row in self.rows
            ]
        return found

    def written(self, fields: frozenset[str]) -> orjson.Fragment:
        """The items with `fields` of every row, as JSON (made once per set of fields)."""
        found = self._written.get(fields)
        if found is None:
            found = self._written[fields] = _json_list(self._entries_with(fields))
        return found

    def items_for(self, actor: Principal, wanted: frozenset[str]) -> orjson.Fragment | None:
        """The items as the policy shows them to this caller, made of the rows' JSON,
        when it shows no sensitive field of any row; else None (each row then gets a
        view, its sensitive fields opened). What the policy shows of a record depends
        on the caller's role, whether it is their own and whether it reports to them:
        ask it for anyone else's, then for the rows that are the caller's own or their
        reports (if any)."""
        others = employee_fields_visible(actor, SOMEONE_ELSE, in_subtree=False) & wanted
        special = {
            row.id: employee_fields_visible(actor, row.id, in_subtree=row.id in self.reports)
            & wanted
            for row in self.rows
            if row.id == actor.employee_id or row.id in self.reports
        }
        if any(fields & SENSITIVE_FIELDS for fields in (others, *special.values())):
            return None
        if all(fields == others for fields in special.values()):
            return self.written(others)  # one set for every row: the page as written
        return _json_list(
            [
                self._entries_with(special.get(row.id, others))[at]
                for at, row in enumerate(self.rows)
            ]
        )


def _json_list(entries: list[bytes]) -> orjson.Fragment:
    return orjson.Fragment(b"[" + b",".join(entries) + b"]")


class EmployeeCache:
    """A request's reads of employees through the cache (a layer that serves when the
    request began): rows as stored; the service opens and filters them per caller."""

    def __init__(self, layer: CacheLayer, repo: EmployeeRepository) -> None:
        self.layer = layer
        self.repo = repo

    async def record(self, employee_id: uuid.UUID) -> Employee | None:
        """One employee's row as stored (ciphertext stays ciphertext). It has a namespace
        of its own, so other employees' writes leave it cached; RECORDS holds them all,
        for bulk operations. A change in place (a phone) is patched in from the list
        pages' change log, as theirs are; any other change drops this record's
        namespace."""

        async def load() -> dict[str, Any] | None:
            found = await self.repo.get(employee_id)
            return None if found is None else EMPLOYEE_ROWS.dump(found)

        async def patched(row: dict[str, Any], changes: RowChanges) -> dict[str, Any] | None:
            rows = await self._patched_rows([row], changes)
            return None if rows is None else rows[0]

        row = await self.layer.get_or_patch(
            f"employee:{employee_id}",
            "row",
            load,
            row_ids=_record_id,
            patch=patched,
            within=RECORDS,
            changes_of=NAMESPACE,
        )
        return None if row is None else EMPLOYEE_ROWS.load(row)

    async def page(
        self,
        key: str,
        load: Callable[[], Awaitable[tuple[list[Employee], int, set[uuid.UUID]]]],
    ) -> CachedPage:
        """A list page under `key` (which holds the blind-index values, never a national
        ID): its rows, its total and which of its rows report to the caller (a manager:
        every change of the reporting line is an employee write, which drops every cached
        list); those of its rows changed in place since are patched in."""

        async def as_json() -> dict[str, Any]:
            rows, total, reports = await load()
            return {
                "rows": [EMPLOYEE_ROWS.dump(r) for r in rows],
                "total": total,
                "reports": sorted(str(r) for r in reports),
            }

        page: CachedPage = await self.layer.get_or_patch(
            NAMESPACE,
            key,
            as_json,
            prepare=CachedPage,
            row_ids=CachedPage.row_ids,
            patch=self._patched,
        )
        return page

    async def with_keys(self, rows: list[Employee], wanted: list[uuid.UUID]) -> list[Employee]:
        """The rows, those `wanted` with their wrapped data keys (from this process's
        copies of the current KEYS version, or the database): cached rows never carry
        them. A cached list's rows are shared by the requests of this process, so they
        are never changed: the ones given a key are copies."""
        keys = await self.layer.get_many_here(KEYS, wanted, self.repo.wrapped_keys)
        return [row if row.id not in keys else _given_key(row, keys[row.id]) for row in rows]

    async def subtree(self, manager: uuid.UUID) -> frozenset[uuid.UUID] | None:
        """The manager's whole subtree, cached under REPORTING_LINE; None (also cached)
        when it is larger than SUBTREE_CACHED_UP_TO people."""

        async def load() -> list[str] | None:
            ids = await self.repo.subtree(manager)
            return None if len(ids) > SUBTREE_CACHED_UP_TO else sorted(str(i) for i in ids)

        found: frozenset[uuid.UUID] | None = await self.layer.get_or_load(
            REPORTING_LINE, key_of("subtree", manager), load, prepare=_id_set
        )
        return found

    async def _patched(self, page: dict[str, Any], changes: RowChanges) -> dict[str, Any] | None:
        """A cached page with those of its rows that changed in place brought up to date
        (only fields no list depends on changed: its rows, order and count stay)."""
        rows = await self._patched_rows(page["rows"], changes)
        return None if rows is None else {**page, "rows": rows}

    async def _patched_rows(self, cached: CachedRows, changes: RowChanges) -> CachedRows | None:
        """Cached rows, those among `changes` brought up to date: from the states the
        changes carried, the newest by the row's version (the log's order may not be the
        commits'), or read again when one of a row's changes carried none. None: a row is
        gone (it cannot be, employees stay)."""
        rows = cached.copy()
        stale: dict[uuid.UUID, int] = {}
        for at, row in enumerate(rows):
            row_id = str(row["id"])
            if row_id not in changes.ids:
                continue
            states = changes.states(row_id)
            if states is None:
                stale[uuid.UUID(row_id)] = at
                continue
            newest = max(states, key=lambda state: int(state["version"]))
            if int(newest["version"]) > int(row["version"]):
                rows[at] = newest
        if stale:
            fresh = await self.repo.by_ids(set(stale))
            if len(fresh) != len(stale):
                return None
            for employee in fresh:
                rows[stale[employee.id]] = EMPLOYEE_ROWS.dump(employee)
        return rows


def _record_id(row: dict[str, Any] | None) -> list[str]:
    return [] if row is None else [str(row["id"])]


def _id_set(values: list[str] | None) -> frozenset[uuid.UUID] | None:
    return None if values is None else frozenset(uuid.UUID(v) for v in values)


def _given_key(row: Employee, key: str | None) -> Employee:
    if isinstance(row, SimpleNamespace):  # shared (CachedPage): a copy
        return cast(Employee, SimpleNamespace(**{**vars(row), "dek_wrapped": key}))
    row.dek_wrapped = key  # an instance of this request's own
    return row
