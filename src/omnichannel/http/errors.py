"""Every error leaves as RFC 9457 problem+json with a stable `code`.

One place renders them all: domain errors (with their status and code), request
validation (with the failing fields), HTTP errors from routing, database integrity
races, and anything unexpected (a 500 that reveals nothing internal).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from omnichannel.db.idempotency import Replay
from omnichannel.db.session import DatabaseBusy
from omnichannel.kernel.errors import DomainError

log = logging.getLogger("omnichannel.api")

PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    408: ("request_timeout", "Request timeout"),
    409: ("conflict", "Conflict"),
    412: ("precondition_failed", "Precondition failed"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "Invalid input"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    503: ("service_busy", "Service busy"),
}


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the failing field, e.g. `variants.0.gtin`.")
    message: str
    type: str = Field(description="Machine-readable kind of failure, e.g. `invalid_gtin`.")


class Problem(BaseModel):
    """RFC 9457 problem details, plus a stable `code` and, for validation, `errors`."""

    type: str = Field("about:blank", description="URI reference identifying the problem type.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str = Field(description="Stable machine-readable error code.")
    errors: list[FieldError] = Field(default_factory=list)


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://omnichannel.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "errors": errors or [],
    }
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    # Drop the request part ("body", "query", ...) so clients see their own field names,
    # but keep it when it is all there is.
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        # Pydantic prefixes messages raised from our validators with "Value error, ".
        message = message.removeprefix("Value error, ")
        out.append(
            {
                "field": _loc_to_field(err.get("loc", ())),
                "message": message,
                "type": err.get("type", "invalid"),
            }
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every exception into problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        if (retry_after := exc.extra.get("retry_after")) is not None:
            headers["Retry-After"] = str(retry_after)
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            extra=exc.extra,
            headers=headers or None,
        )

    @app.exception_handler(Replay)
    async def _replay(request: Request, exc: Replay) -> Response:
        # The first answer to this Idempotency-Key, byte for byte; nothing ran again.
        answer = exc.answer
        return Response(
            answer.body.encode(),
            status_code=answer.status_code,
            headers={**answer.headers, Replay.replayed_header: "true"},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(e["field"] for e in errors[:5])
        return problem_response(
            request,
            status=422,
            code="validation_error",
            title="Invalid input",
            detail=f"The request has invalid fields: {fields}"
            if fields
            else "The request is invalid.",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request,
            status=exc.status_code,
            code=code,
            title=title,
            detail=detail,
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check uniqueness first; reaching this means a concurrent writer won.
        log.info("integrity error on %s: %s", request.url.path, exc.orig)
        return problem_response(
            request,
            status=409,
            code="conflict",
            title="Conflict",
            detail="The change conflicts with data written concurrently; reload and retry.",
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return problem_response(
            request,
            status=409,
            code="edit_conflict",
            title="Conflict",
            detail="Somebody else changed this resource first; reload and retry.",
        )

    @app.exception_handler(DatabaseBusy)
    async def _busy(request: Request, exc: DatabaseBusy) -> JSONResponse:
        log.warning("writer queue timed out on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            status=503,
            code="database_busy",
            title="Service busy",
            detail="Too many changes at once; nothing was written. Retry shortly.",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            status=500,
            code="internal_error",
            title="Internal server error",
            detail="Something went wrong on our side; it has been logged.",
        )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: documents the problem+json answers it can give."""
    return {
        s: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": _HTTP_CODES.get(s, ("", "Error"))[1],
        }
        for s in statuses
    }
