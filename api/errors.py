"""Every error leaves the API as Lunogram-shaped problem JSON: `{"title", "detail"}` (unexpected ones
through `api.middleware.GuardedRequests`)."""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from temporalio.service import RPCError

from core.errors import Conflict, DomainError, Forbidden, Gone, Invalid, NotFound, TooManyAttempts, Unauthenticated

log = logging.getLogger(__name__)

TITLES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "resource not found",
    405: "method not allowed",
    409: "conflict",
    410: "gone",
    413: "payload too large",
    429: "too many requests",
    500: "internal server error",
    503: "service unavailable",
}
DOMAIN_STATUS: dict[type[DomainError], int] = {
    Invalid: 400, Unauthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409, Gone: 410, TooManyAttempts: 429,
}  # fmt: skip


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"title": TITLES.get(status, "error"), "detail": detail, **extra}, status_code=status)


def describe_validation(errors: Sequence[Any], body: Any = None) -> list[dict[str, str]]:
    """`[{"field": "body[0].identifier[0].external_id", "message": "Field required"}, …]`. A union's tag,
    which pydantic puts in the path (`body.smtp.config.host`), is left out: the caller sent `kind`."""
    described = []
    for error in errors:
        field = ""
        for part in _without_union_tags(error.get("loc", ()), body):
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        described.append({"field": field, "message": message})
    return described


def _without_union_tags(loc: Sequence[Any], body: Any) -> list[Any]:
    """Follows the path through the request body; a step that is not a key of the object there but one
    of its values (its discriminator's) is the union's tag."""
    kept: list[Any] = []
    node = body
    for index, part in enumerate(loc):
        if index == 0 and part == "body":
            kept.append(part)
            continue
        if isinstance(node, dict) and isinstance(part, str) and part not in node and part in node.values():
            continue
        kept.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return kept


def validation_detail(errors: list[dict[str, str]]) -> str:
    """`field: message; field: message` — the one-line form shown to API callers."""
    return "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = describe_validation(exc.errors(), exc.body)
    return problem(400, validation_detail(errors), errors=errors)


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    response = problem(DOMAIN_STATUS.get(type(exc), 400), exc.detail)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def _integrity(_: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity error: %s", exc)
    return problem(409, "the change conflicts with existing data; retry the request")


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("dependency unavailable: %s", exc)
    if isinstance(getattr(exc, "orig", None), QueryCanceled):
        return problem(503, "the database did not finish the request's query within its time limit")
    what = "Temporal" if isinstance(exc, RPCError) else "the database"
    response = problem(503, f"{what} is unavailable; retry the request (re-posts with the same ids are safe)")
    response.headers["Retry-After"] = "5"
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(InterfaceError, _unavailable)
    app.add_exception_handler(RPCError, _unavailable)
