"""Spend: what a customer paid and kept, the figure spend segments (and anything
computed from spend) add up.

"Paid" means captured: money the provider (or the till, the courier, the
marketplace) actually took for an order, payment status `captured` (or
`partially_refunded`, for what is left). An authorisation (`authorised`) only holds
money and is voided on cancel; money `due` (cash on delivery, pay at pickup) or
`pending` (a transfer) has not been paid yet; `failed` and `voided` never were.
"Kept" means not given back: a refund, for a cancel after payment or for a return,
takes its amount off. So spend is captured less refunded, and an order placed and
then cancelled, or never paid, counts for nothing.

The orders domain reports every capture and refund of an order's payments
(`order_paid`, `order_refunded` timeline entries, amounts positive) through
`record_payments`, as an outbox consumer of the payment events; the order's own
placed, cancelled and returned entries carry its total for the record only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, case, func, insert, select
from sqlalchemy.orm import Session, aliased

from omnichannel.customers import audit
from omnichannel.customers.models import Customer, TimelineEntry
from omnichannel.customers.rules import CustomerStatus, TimelineType
from omnichannel.kernel import Money, new_id, utcnow

PAID = TimelineType.ORDER_PAID
REFUNDED = TimelineType.ORDER_REFUNDED


@dataclass(frozen=True, slots=True)
class PaymentMove:
    """Money taken for an order (`refund=False`) or given back (`refund=True`)."""

    customer_id: uuid.UUID  # the order's customer; a merged id reaches its survivor
    order_id: uuid.UUID
    order_number: str
    amount: Money  # positive
    refund: bool
    occurred_at: datetime
    payment_id: uuid.UUID | None = None


def record_payments(session: Session, *, moves: Sequence[PaymentMove]) -> int:
    """Put each move on its customer's timeline (one INSERT for all of them); moves of
    erased or unknown customers are left out: nothing more is recorded about them.
    Returns how many were recorded."""
    live = _live_ids(session, {m.customer_id for m in moves})
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "customer_id": live[m.customer_id],
            "type": (REFUNDED if m.refund else PAID).value,
            "channel": None,
            "staff_id": None,
            "occurred_at": m.occurred_at,
            "recorded_at": now,
            "amount_minor": m.amount.amount,
            "currency": m.amount.currency,
            "reference": m.order_number,
            "summary": None,
            "data": {
                "order_id": str(m.order_id),
                **({"payment_id": str(m.payment_id)} if m.payment_id else {}),
            },
        }
        for m in moves
        if m.customer_id in live and m.amount.amount > 0
    ]
    if not rows:
        return 0
    session.execute(insert(_timeline), rows)
    audit.record(
        session,
        action=audit.Action.TIMELINE_APPEND,
        customer_ids=sorted({r["customer_id"] for r in rows}),
        fields=sorted({r["type"] for r in rows}),
        purpose="payments",
    )
    return len(rows)


_timeline: Table = TimelineEntry.__table__  # type: ignore[assignment]


def _live_ids(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The live, not erased profile behind each id (one statement)."""
    if not ids:
        return {}
    survivor = aliased(Customer)
    live_id = func.coalesce(survivor.id, Customer.id)
    live_status = func.coalesce(survivor.status, Customer.status)
    rows = session.execute(
        select(Customer.id, live_id, live_status)
        .select_from(Customer)
        .outerjoin(survivor, survivor.id == Customer.merged_into_id)
        .where(Customer.id.in_(sorted(ids)))
    )
    return {
        uuid.UUID(str(cid)): uuid.UUID(str(lid))
        for cid, lid, status in rows
        if status != CustomerStatus.ERASED.value
    }


def spenders(currency: str, since: datetime) -> Select[uuid.UUID]:
    """Customer ids with what they paid and kept in `currency` since `since`, grouped:
    add `.having(spent() >= ...)` to pick by amount."""
    t = TimelineEntry
    return (
        select(t.customer_id)
        .where(
            t.type.in_([PAID.value, REFUNDED.value]),
            t.currency == currency,
            t.occurred_at >= since,
        )
        .group_by(t.customer_id)
    )


def spent() -> ColumnElement[Any]:
    """The SUM that `spenders` groups by: paid less refunded."""
    t = TimelineEntry
    return func.sum(case((t.type == REFUNDED.value, -t.amount_minor), else_=t.amount_minor))


def paid() -> ColumnElement[bool]:
    """The condition of an entry that records a purchase: money taken for an order."""
    return TimelineEntry.type == PAID.value
