"""A pickup's goods carried to its store by a transfer that keeps them the order's.

A pickup store that lacks some units has them held at another location that may
ship (routing). `send` starts a transfer of exactly those held units: their holds
end as the goods leave (`inventory.transfer_held`), so while they travel they are
on no shelf and free nowhere. `receive` takes the transfer in at the store and, in
the same transaction, holds the units for the order again there: nobody can buy
them in between. Units of an order cancelled meanwhile (its allocations released)
simply arrive as the store's free stock.

Staff act where the step happens: the sending location sends, the pickup store
receives (promise 9).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.fulfillment.errors import FulfilmentNotFound, FulfilmentStateConflict
from omnichannel.fulfillment.events import fulfilment_event, tell_customer
from omnichannel.fulfillment.models import FulfilmentOrder
from omnichannel.fulfillment.rules import FulfilmentKind, FulfilmentStatus
from omnichannel.inventory import service as inventory
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import Principal, utcnow
from omnichannel.orders import service as orders
from omnichannel.security import reach

F = FulfilmentStatus
A = orders.AllocationStatus
STAFF = orders.Access(staff=True)


def send(
    session: Session, *, fulfilment_id: uuid.UUID, by: Principal | None, now: datetime | None = None
) -> FulfilmentOrder:
    """Send a pickup's held units from their location to the pickup store; 409 when the
    fulfilment order has nothing to send (its store's own shelf, sent already, the
    order cancelled)."""
    now = now or utcnow()
    fo = load(session, fulfilment_id=fulfilment_id)
    if by is not None:
        reach.check_locations(by, [fo.location_id], what=f"fulfilment order {fo.number}")
    store = fo.destination_id
    if fo.kind != FulfilmentKind.PICKUP or store is None or store == fo.location_id:
        raise FulfilmentStateConflict(
            f"Fulfilment order {fo.number} is served at its own location: nothing to send.",
            status=fo.status,
        )
    if fo.status != F.ALLOCATED or fo.transfer_id is not None:
        raise FulfilmentStateConflict(
            f"Fulfilment order {fo.number} is {fo.status}; only an allocated one is sent.",
            status=fo.status,
        )
    order = orders.load(session, order_id=fo.order_id, access=STAFF)
    held = [a for a in _allocations(order, fo) if a.status == A.HELD]
    if not held or any(a.reservation_id is None for a in held):
        raise FulfilmentStateConflict(
            f"Order {order.number} holds nothing at this location any more (status {order.status}).",
            status=fo.status,
            order_status=order.status,
        )
    transfer = inventory.transfer_held(
        session,
        reservation_ids=[a.reservation_id for a in held if a.reservation_id is not None],
        to_location_id=store,
        reference=fo.number,
        now=now,
    )
    for a in held:
        a.status = A.IN_TRANSIT
        a.updated_at = now
    fo.status = F.IN_TRANSIT
    fo.transfer_id = transfer.id
    fo.updated_at = now
    fulfilment_event(session, fo, "fulfilment.in_transit", transfer_id=str(transfer.id))
    tell_customer(session, order, step="on_its_way", now=now)
    return fo


def receive(
    session: Session, *, fulfilment_id: uuid.UUID, by: Principal | None, now: datetime | None = None
) -> FulfilmentOrder:
    """Take a pickup's transfer in at its store and hold its units for the order there,
    in the same transaction; 409 unless it is in transit."""
    now = now or utcnow()
    fo = load(session, fulfilment_id=fulfilment_id)
    store = fo.destination_id
    if by is not None:
        reach.check_locations(by, [store or fo.location_id], what=f"fulfilment order {fo.number}")
    if fo.status != F.IN_TRANSIT or fo.transfer_id is None or store is None:
        raise FulfilmentStateConflict(
            f"Fulfilment order {fo.number} is {fo.status}; only one in transit is received.",
            status=fo.status,
        )
    inventory.receive_transfer(session, transfer_id=fo.transfer_id, now=now)
    order = orders.load(session, order_id=fo.order_id, access=STAFF)
    carried = [a for a in _allocations(order, fo) if a.status == A.IN_TRANSIT]
    if carried:
        # Held without a channel: these units are the order's already, so no channel's
        # buffer may refuse them. Two lines of one variant share the one hold.
        held = inventory.reserve(
            session,
            lines=[inventory.Line(a.variant_id, store, a.quantity) for a in carried],
            owner=inventory.Owner(OwnerType.ORDER, str(order.id)),
            ttl=None,
            now=now,
        )
        hold_of = {h.variant_id: h.id for h in held}
        for a in carried:
            a.status = A.HELD
            a.location_id = store
            a.reservation_id = hold_of[a.variant_id]
            a.updated_at = now
    # At the store and held again (or, cancelled meanwhile, not at all): it waits
    # there to be made ready, as a shelf's fulfilment order does.
    fo.status = F.ALLOCATED if carried else F.CANCELLED
    fo.closed_at = None if carried else now
    fo.updated_at = now
    fulfilment_event(
        session, fo, "fulfilment.received", transfer_id=str(fo.transfer_id), held=bool(carried)
    )
    if carried:
        tell_customer(session, order, step="arrived", now=now)
    return fo


def load(session: Session, *, fulfilment_id: uuid.UUID) -> FulfilmentOrder:
    """One fulfilment order with its lines; 404 when unknown."""
    fo = session.scalar(
        select(FulfilmentOrder)
        .where(FulfilmentOrder.id == fulfilment_id)
        .options(selectinload(FulfilmentOrder.lines))
    )
    if fo is None:
        raise FulfilmentNotFound(f"Fulfilment order {fulfilment_id} does not exist.")
    return fo


def _allocations(order: orders.Order, fo: FulfilmentOrder) -> list[orders.OrderAllocation]:
    served = {ln.allocation_id for ln in fo.lines}
    return [a for a in order.allocations if a.id in served]
