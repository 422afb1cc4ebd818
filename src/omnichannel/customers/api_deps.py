"""Request dependencies of the customer API.

Reading personal data writes an audit row in the same transaction as the read, so
these endpoints run in a writing unit of work even for GET: the shared session
dependency would roll a GET's transaction back and lose the row. The caller is
authenticated inside that same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from omnichannel.http.deps import (
    api_key_scheme,
    bearer_scheme,
    get_principal,
    get_writing_session,
    permitted,
    require,
)
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

# Reading personal data writes its audit row: a writer's transaction even for GET.
AuditedSession = Annotated[Session, Depends(get_writing_session, scope="function")]


def _audited_principal(
    request: Request,
    session: AuditedSession,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    return get_principal(request, session, bearer, api_key)


def audited(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Like `require`, for endpoints that use `AuditedSession`."""

    async def dependency(principal: Annotated[Principal, Depends(_audited_principal)]) -> Principal:
        return permitted(principal, permission)

    dependency.__name__ = f"audited_{permission.replace(':', '_')}"
    return dependency


def reveals(principal: Principal) -> bool:
    """Whether the caller may see personal fields (otherwise they come back null)."""
    return principal.can(Permission.CUSTOMERS_PII)


AuditedReader = Annotated[Principal, Depends(audited(Permission.CUSTOMERS_READ))]
Reader = Annotated[Principal, Depends(require(Permission.CUSTOMERS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.CUSTOMERS_WRITE))]


def staff_id(principal: Principal) -> uuid.UUID | None:
    """The staff member acting, for the timeline; None for a channel."""
    return principal.id if principal.kind == "staff" else None


def channel_of(principal: Principal, named: str | None) -> str | None:
    """The channel an action happened in: a channel is itself; staff may name one."""
    return principal.channel_code if principal.kind == "channel" else named
