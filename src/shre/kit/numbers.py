"""JSON numbers as they were written, for the routes whose decimals must keep their text.

`json.loads` turns `85000.50` into the float 85000.5 (the scale is gone) and `1e5` into
100000.0 (the notation is gone), before any validator can look. A router made with
`route_class=ExactNumbersRoute` parses request bodies with every number that has a
fraction or an exponent as a `JSONNumber`: a Decimal that keeps the text it was written
as, so a field's validator can check the notation and keep the scale. Integers stay ints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

# What may carry a JSON body; a read's request is left as it is (no second Request made).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class JSONNumber(Decimal):
    """A JSON number with a fraction or an exponent, as written (`text`)."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JSONNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


class ExactNumbersRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=JSONNumber)
        return self._json


class ExactNumbersRoute(APIRoute):
    """A route whose JSON body keeps its numbers as written (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            if request.method in BODY_METHODS:
                request = ExactNumbersRequest(request.scope, request.receive)
            return await handler(request)

        return exact
