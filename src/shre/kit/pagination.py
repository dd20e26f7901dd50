"""List paging and sorting as the contract defines them: page, page_size, sort."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, UnaryExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.kit.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def sort_spec(
    sort: str | None, allowed: Mapping[str, SQLColumnExpression[Any]], default: str
) -> tuple[SQLColumnExpression[Any], bool]:
    """The column and direction (descending?) of `field` / `-field`, refusing fields that
    are not sortable (422)."""
    spec = sort or default
    name = spec.lstrip("-")
    column = allowed.get(name)
    if column is None:
        raise InvalidInput(
            f"Cannot sort by '{name}'; sortable fields: {', '.join(sorted(allowed))}",
            code="invalid_sort",
            errors=[{"field": "sort", "location": "query", "message": "unknown sort field"}],
        )
    return column, spec.startswith("-")


def ordering(
    sort: str | None,
    allowed: Mapping[str, SQLColumnExpression[Any]],
    default: str,
    tiebreaker: SQLColumnExpression[Any],
) -> list[UnaryExpression[Any]]:
    """ORDER BY for `field` / `-field`, then the tiebreaker in the same direction."""
    column, descending = sort_spec(sort, allowed, default)
    return directed([column, tiebreaker], descending)


def directed(
    columns: Sequence[SQLColumnExpression[Any]], descending: bool
) -> list[UnaryExpression[Any]]:
    return [c.desc() if descending else c.asc() for c in columns]


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    params: PageParams,
    order: Sequence[UnaryExpression[Any]],
) -> tuple[list[Any], int]:
    """Rows of one page and the total count (two queries, both on indexes when filtered)."""
    total = (
        await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ).scalar_one()
    rows = (
        (await session.execute(stmt.order_by(*order).offset(params.offset).limit(params.page_size)))
        .scalars()
        .all()
    )
    return list(rows), int(total)


async def ids_in_order(
    session: AsyncSession,
    stmt: Select[Any],
    order: Sequence[UnaryExpression[Any]],
    limit: int,
) -> list[Any]:
    """The ids `stmt` (a select of one id column) finds, at most `limit`, in the list's
    order: what an export walks."""
    return list((await session.execute(stmt.order_by(*order).limit(limit))).scalars())


async def rows_in_order(
    session: AsyncSession,
    entity: Any,
    ids: Sequence[Any],
    *conditions: ColumnElement[bool],
) -> list[Any]:
    """The rows of `ids` (primary keys of `entity`) that still meet `conditions`, in the
    order of `ids`."""
    stmt = select(entity).where(entity.id.in_(ids), *conditions)
    found = {row.id: row for row in (await session.execute(stmt)).scalars()}
    return [found[one] for one in ids if one in found]
