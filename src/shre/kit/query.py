"""A route's query parameters as one pydantic model, validated in one step.

FastAPI validates each declared query parameter on its own, which costs the busiest read
routes more than the rest of their work when the answer is cached. `query(Model)` is a
dependency that validates the whole query string with the model at once; errors are the
same 422 problem as FastAPI's (`loc` starts with "query"), and `documented(Model)` puts
the parameters in the OpenAPI schema (pass it as the route's `openapi_extra`). Every
list route takes its parameters this way, `page`, `page_size` and `sort` from `PagedQuery`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shre.kit.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageParams

M = TypeVar("M", bound="QueryModel")


class QueryModel(BaseModel):
    """Query parameters; unknown ones are ignored, as FastAPI does. A parameter given
    twice counts once, its last value (as FastAPI does for single values)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class PagedQuery(QueryModel):
    """`page`, `page_size` and `sort` of a list (CONTRACT.md §4)."""

    page: Annotated[int, Field(ge=1, le=1_000_000, description="Page number, from 1")] = 1
    page_size: Annotated[
        int, Field(ge=1, le=MAX_PAGE_SIZE, description="Items per page (max 500)")
    ] = DEFAULT_PAGE_SIZE
    sort: Annotated[
        str | None, Field(max_length=64, pattern=r"^-?[a-z_]+$", description="`field` or `-field`")
    ] = None

    @property
    def paging(self) -> PageParams:
        return PageParams(page=self.page, page_size=self.page_size, sort=self.sort)


def query(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency: the request's query string validated by `model` (422 if invalid)."""

    async def parse(request: Request) -> M:
        try:
            return model.model_validate(request.query_params)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False, include_context=False)
            raise RequestValidationError(
                [{**e, "loc": ("query", *e["loc"])} for e in errors]
            ) from None

    return parse


def documented(model: type[QueryModel]) -> dict[str, Any]:
    """`openapi_extra` declaring the model's fields as the route's query parameters."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    parameters = []
    for name, field_schema in schema["properties"].items():
        field_schema = dict(field_schema)
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in schema.get("required", ()),
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return {"parameters": parameters}
