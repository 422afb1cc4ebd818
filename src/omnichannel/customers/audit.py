"""The audit log: every read of personal data and every write, in the transaction of
the work it records. It names fields, never values."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from enum import StrEnum

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from omnichannel.customers.models import AuditEntry
from omnichannel.kernel import new_id, utcnow

SYSTEM_ACTOR = "system"


class Action(StrEnum):
    READ = "read"
    LOOKUP = "lookup"
    EXPORT = "export"
    CREATE = "create"
    UPDATE = "update"
    IDENTITY_ADD = "identity_add"
    IDENTITY_REMOVE = "identity_remove"
    ADDRESS_ADD = "address_add"
    ADDRESS_REMOVE = "address_remove"
    CONSENT = "consent"
    TIMELINE_APPEND = "timeline_append"
    CASE_OPEN = "case_open"
    CASE_UPDATE = "case_update"
    CASE_MESSAGE = "case_message"
    SEGMENT_ADD = "segment_add"
    SEGMENT_REMOVE = "segment_remove"
    MERGE = "merge"
    ERASE = "erase"


_audit: Table = AuditEntry.__table__  # type: ignore[assignment]


def record(
    session: Session,
    *,
    action: Action,
    customer_ids: Iterable[uuid.UUID | None],
    fields: Sequence[str] = (),
    purpose: str | None = None,
) -> None:
    """Write one entry per customer, as the session's actor, in its transaction."""
    actor = session.info.get("actor") or SYSTEM_ACTOR
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "at": now,
            "actor": actor,
            "action": action.value,
            "customer_id": customer_id,
            "fields": list(fields),
            "purpose": purpose,
        }
        for customer_id in dict.fromkeys(customer_ids)
    ]
    if rows:
        session.execute(insert(_audit), rows)


def entries(
    session: Session,
    *,
    customer_id: uuid.UUID | None = None,
    actor: str | None = None,
    action: Action | None = None,
    before: uuid.UUID | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally about one customer or by one actor."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if customer_id is not None:
        q = q.where(AuditEntry.customer_id == customer_id)
    if actor is not None:
        q = q.where(AuditEntry.actor == actor)
    if action is not None:
        q = q.where(AuditEntry.action == action.value)
    if before is not None:
        q = q.where(AuditEntry.id < before)
    return list(session.scalars(q))
