"""Confirmed orders that have no fulfilment orders yet, handed to their locations: the
catch-up of the `fulfillment.allocate` outbox consumer, for orders confirmed before
it ran (an upgrade) or whose event it parked.

Each order is allocated in a transaction of its own, so one that fails stops none
of the others; `allocate` is idempotent, so an order the consumer takes meanwhile is
allocated once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from omnichannel.db.session import Units
from omnichannel.fulfillment.allocating import ACTOR, allocate
from omnichannel.fulfillment.models import FulfilmentOrder
from omnichannel.kernel.errors import DomainError
from omnichannel.orders import service as orders

log = logging.getLogger(__name__)


@dataclass
class Caught:
    orders: int = 0  # allocated now
    fulfilment_orders: int = 0
    failures: int = 0


def waiting(session: Session, *, limit: int = 100) -> list[uuid.UUID]:
    """Confirmed orders with no fulfilment order yet (a till sale never gets one),
    oldest first."""
    # The orders domain offers no query by state; this reads its mapped class through
    # its service, ids only, until it does.
    order = orders.Order
    return list(
        session.scalars(
            select(order.id)
            .where(
                order.status == orders.OrderStatus.CONFIRMED,
                order.fulfilment != orders.Fulfilment.CARRY_OUT,
                ~exists().where(FulfilmentOrder.order_id == order.id),
            )
            .order_by(order.placed_at, order.id)
            .limit(limit)
        )
    )


def allocate_waiting(units: Units, *, limit: int = 100, actor: str = ACTOR) -> Caught:
    """Allocate up to `limit` confirmed orders that have no fulfilment orders yet."""
    out = Caught()
    with units() as session:
        due = waiting(session, limit=limit)
    for order_id in due:
        try:
            with units() as session:
                made = allocate(session, order_id=order_id, actor=actor)
        except DomainError as e:  # one order must not stop the rest
            out.failures += 1
            log.warning("allocating order %s failed: %s", order_id, e.detail)
            continue
        if made:
            out.orders += 1
            out.fulfilment_orders += len(made)
    return out
