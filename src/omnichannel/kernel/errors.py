"""Domain errors carry their meaning: an HTTP status and a stable machine code.

The API renders every one of them as RFC 9457 problem+json in one place; the CLI
prints them. Services raise them; nothing else needs to know HTTP.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a business rule about its shape."""

    status = 422
    code = "validation_error"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    """An If-Match that no longer matches: somebody else edited it first."""

    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"
