"""Request dependencies of the customer API.

Reading personal data writes an audit row in the same transaction as the read, so
these endpoints run in a writing unit of work even for GET: the shared session
dependency would roll a GET's transaction back and lose the row. The caller is
authenticated inside that same transaction.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from omnichannel.http.deps import AuditedSession as AuditedSession  # for the routers here
from omnichannel.http.deps import audited as audited
from omnichannel.http.deps import require
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission


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
