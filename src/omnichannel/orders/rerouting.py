"""Units of an order routed again: a location could not give what it held for the
order (not on the shelf), so its allocations are given back and the units are
routed once more, the same way checkout routes them (`sourcing`), and held where
the new plan says. The order records what happened: an `order.rerouted` event, an
entry on the customer's timeline, and the new plan's words appended to its route.

What no location can give any more stays unserved; the caller decides (fulfilment
cancels the line and gives its money back).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.customers import service as customers
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import new_id
from omnichannel.orders import sourcing
from omnichannel.orders.lifecycle import give_back, record_change
from omnichannel.orders.models import Order, OrderAllocation
from omnichannel.orders.rules import AllocationStatus, Fulfilment


@dataclass(frozen=True, slots=True)
class Rerouted:
    allocations: list[OrderAllocation]  # the new ones
    unserved: dict[int, int] = field(default_factory=dict)  # line_no -> units
    explanation: tuple[str, ...] = ()


def release_allocations(
    session: Session, *, order: Order, allocation_ids: Collection[uuid.UUID], now: datetime
) -> list[OrderAllocation]:
    """Give these held allocations' units back at their locations; the released ones."""
    chosen = [
        a
        for a in order.allocations
        if a.id in set(allocation_ids) and a.status == AllocationStatus.HELD
    ]
    give_back(session, order, chosen, now)
    return chosen


def route_again(
    session: Session,
    *,
    order: Order,
    released: list[OrderAllocation],
    actor: str,
    reason: str,
    now: datetime,
) -> Rerouted:
    """Route the released allocations' units once more and hold them where the plan
    says; record the re-route on the order and the customer's timeline."""
    wanted: dict[int, sourcing.Need] = {}
    for a in released:
        had = wanted.get(a.line_no)
        wanted[a.line_no] = sourcing.Need(
            a.line_no, a.variant_id, a.quantity + (had.quantity if had else 0)
        )
    needs = sorted(wanted.values(), key=lambda n: n.line_no)
    seller = carts.seller(session, channel_id=order.completing_channel_id)
    route = sourcing.route(session, needs=needs, destination=_destination(order, seller), now=now)
    sources = list(route.sources)
    unserved = dict(route.unserved)
    made: list[OrderAllocation] = []
    if sources:
        try:
            # In a savepoint of its own: a line refused after others were taken gives
            # those back too, while the count correction before it stands.
            with session.begin_nested():
                held = inventory.reserve(
                    session,
                    lines=[
                        inventory.Line(s.variant_id, s.location_id, s.quantity) for s in sources
                    ],
                    owner=inventory.Owner(OwnerType.ORDER, str(order.id), seller.id),
                    ttl=None,
                    now=now,
                )
        except InsufficientStock:  # taken by another buyer meanwhile: nothing is held
            held, sources = [], []
            unserved = {n.line_no: n.quantity for n in needs}
        hold_of = {(h.variant_id, h.location_id): h.id for h in held}
        for s in sources:
            allocation = OrderAllocation(
                id=new_id(),
                order_id=order.id,
                line_no=s.line_no,
                variant_id=s.variant_id,
                location_id=s.location_id,
                quantity=s.quantity,
                reservation_id=hold_of[(s.variant_id, s.location_id)],
                status=AllocationStatus.HELD,
                created_at=now,
                updated_at=now,
            )
            order.allocations.append(allocation)
            made.append(allocation)
    said = (f"Re-routed: {reason}.", *route.explanation)
    order.route = {
        **(order.route or {}),
        "explanation": [*(order.route or {}).get("explanation", []), *said],
    }
    record_change(
        session,
        order,
        "order.rerouted",
        now,
        lines=sorted(wanted),
        to_locations=sorted({str(a.location_id) for a in made}),
        unserved={str(k): v for k, v in unserved.items()},
    )
    if order.customer_id is not None:
        customers.append_to_timeline(
            session,
            customer_id=order.customer_id,
            type=customers.TimelineType.ORDER_UPDATED,
            occurred_at=now,
            channel=None,
            reference=order.number,
            data={"order_id": str(order.id), "rerouted_lines": sorted(wanted), "by": actor},
        )
    return Rerouted(made, unserved, tuple(said))


def _destination(order: Order, seller: carts.Seller) -> sourcing.Destination:
    route = order.route or {}
    address = order.shipping_address or {}
    if order.fulfilment == Fulfilment.PICKUP:
        method, store = "pickup", order.pickup_location_id
    else:
        method, store = str(route.get("method") or "home"), None
    return sourcing.Destination(
        method=method,
        channel_id=seller.id,
        sell_from=tuple(seller.sell_from),
        store_id=store,
        postcode=address.get("postcode"),
        country=address.get("country"),
        point_id=route.get("point_id"),
    )
