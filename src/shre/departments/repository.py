"""All SQL for departments."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, UnaryExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.departments.models import Department, name_key
from shre.kit.pagination import PageParams, ids_in_order, ordering, paginate, rows_in_order
from shre.kit.sql import LIKE_ESCAPE, contains_pattern

SORTABLE: dict[str, SQLColumnExpression[Any]] = {
    "name": Department.name_key,
    "created_at": Department.created_at,
    "updated_at": Department.updated_at,
}

# PostgreSQL advisory lock key for the department tree ("SHRE" + 1); unique in the app.
TREE_LOCK_KEY = 0x5348_5245_0001


@dataclass(frozen=True, slots=True)
class DepartmentFilters:
    q: str | None = None  # name contains
    parent_id: uuid.UUID | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.q:
            pattern = contains_pattern(name_key(self.q))
            found.append(Department.name_key.like(pattern, escape=LIKE_ESCAPE))
        if self.parent_id is not None:
            found.append(Department.parent_id == self.parent_id)
        return found


class DepartmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, department_id: uuid.UUID) -> Department | None:
        return await self.session.get(Department, department_id)

    async def name_taken(self, name: str, *, other_than: uuid.UUID | None = None) -> bool:
        stmt = select(Department.id).where(Department.name_key == name_key(name))
        if other_than is not None:
            stmt = stmt.where(Department.id != other_than)
        return (await self.session.execute(stmt)).first() is not None

    async def has_children(self, department_id: uuid.UUID) -> bool:
        stmt = select(Department.id).where(Department.parent_id == department_id).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def ancestors(self, department_id: uuid.UUID) -> list[uuid.UUID]:
        """`department_id` and every department above it (one recursive query)."""
        chain = (
            select(Department.id, Department.parent_id)
            .where(Department.id == department_id)
            .cte("chain", recursive=True)
        )
        chain = chain.union(
            select(Department.id, Department.parent_id).join(
                chain, Department.id == chain.c.parent_id
            )
        )
        return list((await self.session.execute(select(chain.c.id))).scalars())

    async def subtree_parents(self, department_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID | None]:
        """`department_id` and every department below it, each with its parent (one
        recursive query); the top one's parent is given as None."""
        tree = (
            select(Department.id, Department.parent_id)
            .where(Department.id == department_id)
            .cte("tree", recursive=True)
        )
        tree = tree.union(
            select(Department.id, Department.parent_id).join(
                tree, Department.parent_id == tree.c.id
            )
        )
        rows = (await self.session.execute(select(tree.c.id, tree.c.parent_id))).all()
        return {row.id: None if row.id == department_id else row.parent_id for row in rows}

    async def lock_tree(self) -> None:
        """Serialise changes to the tree's shape until this transaction ends.

        PostgreSQL: a transaction-scoped advisory lock; the next statement then sees every
        move committed before it. SQLite needs nothing more: the caller has already written,
        which holds the database's single write lock until the commit."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(TREE_LOCK_KEY)))

    async def add(self, department: Department) -> None:
        self.session.add(department)
        await self.session.flush()

    async def delete(self, department: Department) -> None:
        await self.session.delete(department)
        await self.session.flush()

    async def list(
        self, params: PageParams, filters: DepartmentFilters
    ) -> tuple[list[Department], int]:
        stmt = select(Department).where(*filters.conditions())
        return await paginate(self.session, stmt, params, _order(params.sort))

    async def ids_in_order(
        self, sort: str | None, filters: DepartmentFilters, *, limit: int
    ) -> builtins.list[uuid.UUID]:
        stmt = select(Department.id).where(*filters.conditions())
        return await ids_in_order(self.session, stmt, _order(sort), limit)

    async def in_order(self, ids: Sequence[uuid.UUID]) -> builtins.list[Department]:
        return await rows_in_order(self.session, Department, ids)


def _order(sort: str | None) -> list[UnaryExpression[Any]]:
    return ordering(sort, SORTABLE, "name", Department.id)
