"""Placing an order: the one path every kind of order takes once its lines are priced.

Route the lines (`sourcing`: a line may come from several locations), reserve every
allocation atomically, take the promotions' and coupons' limited uses, write the order as a
snapshot (prices, VAT, promotions, buyer, addresses), record the events and the
customer's timeline; the payment is the caller's next step. All of it in the
caller's transaction: when any step fails, the caller's rollback leaves nothing
half-created.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from omnichannel.carts.service import Seller
from omnichannel.customers import service as customers
from omnichannel.db import record_event
from omnichannel.db.bulk import insert_new
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import Money, new_id, utcnow
from omnichannel.orders import sourcing
from omnichannel.orders.models import Order, OrderAllocation, OrderLine, OrderTransition
from omnichannel.orders.numbers import new_number
from omnichannel.orders.rules import AllocationStatus, Fulfilment, OrderKind, OrderStatus
from omnichannel.payments import service as payments
from omnichannel.pricing import service as pricing


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who the order is for, as the order keeps it (sealed at rest)."""

    customer_id: uuid.UUID | None
    contact: dict[str, Any] | None = None  # name, e-mail, phone
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    # Keep the contact's e-mail and phone and the shipping address on the customer's
    # profile too (`orders.to_customers`, after the order commits).
    save_to_profile: bool = False

    @property
    def gives_profile(self) -> bool:
        """Whether the order has something for the customer's profile to keep."""
        contact = self.contact or {}
        return (
            self.save_to_profile
            and self.customer_id is not None
            and bool(contact.get("email") or contact.get("phone") or self.shipping_address)
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """Everything about the order that is not its lines."""

    kind: OrderKind
    seller: Seller  # the channel completing the order
    origin_channel_id: uuid.UUID
    journey: Sequence[str]
    actor: str
    fulfilment: Fulfilment
    pickup_location_id: uuid.UUID | None = None
    cart_id: uuid.UUID | None = None
    external_id: str | None = None
    point_id: str | None = None  # a parcel locker's, for a locker delivery
    extra: dict[str, Any] = field(default_factory=dict)  # kept in the pricing snapshot


def place(
    session: Session,
    *,
    quote: pricing.Quote,
    buyer: Buyer,
    placement: Placement,
    now: datetime | None = None,
    flush: bool = True,
) -> Order:
    """Reserve, redeem and write the order (status pending_payment, payment not yet
    started); 409 `insufficient_stock` naming the first line that cannot be covered.

    With `flush=False` the order waits in the session, so that a caller who moves it
    on at once (checkout) writes it with one INSERT.
    """
    now = now or utcnow()
    order_id, number = new_id(), new_number()
    needs = [
        sourcing.Need(ql.index + 1, ql.priced.line.variant_id, ql.priced.line.quantity)
        for ql in quote.lines
    ]
    going = destination(placement, buyer)
    route = sourcing.route(session, needs=needs, destination=going, now=now)
    if route.unserved:
        raise _unserved(route, needs)
    try:
        held = inventory.reserve(
            session,
            lines=[inventory.Line(s.variant_id, s.location_id, s.quantity) for s in route.sources],
            owner=inventory.Owner(OwnerType.ORDER, str(order_id), placement.seller.id),
            ttl=None,
            now=now,
        )
    except InsufficientStock as e:
        raise _in_cart_terms(e, needs) from None
    hold_of = {(h.variant_id, h.location_id): h.id for h in held}
    pricing.redeem(session, quote=quote, order_ref=number, customer_id=buyer.customer_id, now=now)
    p = quote.priced
    order = Order(
        id=order_id,
        number=number,
        version=1,
        kind=placement.kind,
        status=OrderStatus.PENDING_PAYMENT,
        payment_status=payments.PaymentStatus.PENDING,
        customer_id=buyer.customer_id,
        cart_id=placement.cart_id,
        origin_channel_id=placement.origin_channel_id,
        completing_channel_id=placement.seller.id,
        journey=list(placement.journey),
        external_id=placement.external_id,
        placed_by=placement.actor,
        currency=quote.currency,
        subtotal=p.subtotal,
        discount=p.discount,
        delivery=p.delivery.total if p.delivery is not None else 0,
        total=p.total,
        vat=p.vat_amount,
        fulfilment=placement.fulfilment,
        pickup_location_id=placement.pickup_location_id,
        pricing=snapshot(quote, placement.extra),
        contact=buyer.contact,
        shipping_address=buyer.shipping_address,
        billing_address=buyer.billing_address,
        placed_at=now,
        created_at=now,
        updated_at=now,
        route=route.document(going),
        lines=[
            OrderLine(
                line_no=ql.index + 1,
                variant_id=ql.priced.line.variant_id,
                sku=ql.sku,
                quantity=ql.priced.line.quantity,
                cancelled=0,
                price_list=ql.price_list,
                unit_price=ql.priced.line.unit_price,
                subtotal=ql.priced.subtotal,
                discount=ql.priced.discount,
                total=ql.priced.total,
                net=ql.priced.net,
                vat=ql.priced.vat_amount,
                vat_code=ql.priced.line.vat.code,
            )
            for ql in quote.lines
        ],
        allocations=[
            OrderAllocation(
                id=new_id(),
                line_no=s.line_no,
                variant_id=s.variant_id,
                location_id=s.location_id,
                quantity=s.quantity,
                reservation_id=hold_of[(s.variant_id, s.location_id)],
                status=AllocationStatus.HELD,
                created_at=now,
                updated_at=now,
            )
            for s in route.sources
        ],
    )
    session.add(order)
    session.add(
        OrderTransition(
            order_id=order_id,
            from_status=None,
            to_status=OrderStatus.PENDING_PAYMENT,
            actor=placement.actor,
            channel=placement.seller.code,
            at=now,
        )
    )
    if flush:
        session.flush()
    record_event(
        session,
        aggregate_type="order",
        aggregate_id=order_id,
        sequence=order.version,
        type="order.placed",
        payload=event_payload(
            order,
            channel=placement.seller.code,
            **({"save_to_profile": True} if buyer.gives_profile else {}),
        ),
    )
    if buyer.customer_id is not None:
        customers.append_to_timeline(
            session,
            customer_id=buyer.customer_id,
            type=customers.TimelineType.ORDER_PLACED,
            occurred_at=now,
            channel=placement.seller.code,
            amount=Money(order.total, order.currency),
            reference=number,
            data={"order_id": str(order_id), "journey": list(placement.journey)},
        )
    return order


def write_new(session: Session) -> None:
    """Write the orders built in this session with `flush=False` (their lines and
    moves, then their payments): one INSERT per table, no unit-of-work flush."""
    insert_new(session, Order, OrderLine, OrderAllocation, OrderTransition)
    payments.write_new(session)


def event_payload(order: Order, **extra: Any) -> dict[str, Any]:
    """What every order event says: ids, state and money, never personal data."""
    return {
        "order_id": str(order.id),
        "number": order.number,
        "kind": order.kind,
        "status": order.status,
        "payment_status": order.payment_status,
        "customer_id": str(order.customer_id) if order.customer_id else None,
        "currency": order.currency,
        "total": order.total,
        **extra,
    }


def snapshot(quote: pricing.Quote, extra: dict[str, Any]) -> dict[str, Any]:
    """The parts of the quote an order keeps besides its lines."""
    p = quote.priced
    applied = list(p.applied) + ([p.free_delivery] if p.free_delivery else [])
    return {
        "at": quote.at.isoformat(),
        "channel": quote.channel,
        "segments": list(quote.segments),
        "promotions": [
            {
                "id": str(a.offer.id),
                "code": a.offer.code,
                "amount": a.amount,
                "explanation": a.explanation,
            }
            for a in applied
        ],
        "coupons": [
            {"code": c.code, "accepted": c.accepted, "reason": c.reason.value if c.reason else None}
            for c in quote.coupons
        ],
        "vat": [
            {"code": v.vat.code, "net": v.net, "vat": v.vat_amount, "gross": v.gross} for v in p.vat
        ],
        **extra,
    }


def destination(placement: Placement, buyer: Buyer) -> sourcing.Destination:
    """Where the order's goods must go, as routing asks it."""
    seller = placement.seller
    address = buyer.shipping_address or {}
    sell_from = tuple(seller.sell_from)
    if placement.kind == OrderKind.RESERVE_COLLECT:
        # Reserved from the chosen store's own shelf: nothing travels for it.
        sell_from = (placement.pickup_location_id,) if placement.pickup_location_id else ()
    if placement.fulfilment == Fulfilment.CARRY_OUT:
        method, store = "carry_out", seller.sell_from[0] if seller.sell_from else None
    elif placement.fulfilment == Fulfilment.PICKUP:
        method, store = "pickup", placement.pickup_location_id
    else:
        method, store = ("locker" if placement.point_id else "home"), None
    return sourcing.Destination(
        method=method,
        channel_id=seller.id,
        sell_from=sell_from,
        store_id=store,
        postcode=address.get("postcode"),
        country=address.get("country"),
        point_id=placement.point_id,
    )


def _refusal(index: int, variant: str | None, requested: int, available: int) -> InsufficientStock:
    return InsufficientStock(
        f"Line {index}: only {available} of variant {variant} can be sold now; "
        f"{requested} requested. Nothing was reserved.",
        errors=[
            {
                "field": f"lines.{index}.quantity",
                "message": f"only {available} available",
                "type": "insufficient_stock",
            }
        ],
        line=index,
        variant_id=variant,
        requested=requested,
        available=available,
    )


def _unserved(route: sourcing.Route, needs: Sequence[sourcing.Need]) -> InsufficientStock:
    """The first line routing could not serve in full, by its index in the order."""
    index, need = next((i, n) for i, n in enumerate(needs) if n.line_no in route.unserved)
    available = route.available.get(need.line_no, need.quantity - route.unserved[need.line_no])
    return _refusal(index, str(need.variant_id), need.quantity, available)


def _in_cart_terms(error: InsufficientStock, needs: Sequence[sourcing.Need]) -> InsufficientStock:
    """A line another buyer took between routing and reservation, named by its index
    in the order (the reservation names lines in its own lock order)."""
    variant = error.extra.get("variant_id")
    index = next((i for i, n in enumerate(needs) if str(n.variant_id) == variant), 0)
    return _refusal(index, variant, needs[index].quantity, error.extra.get("available", 0))


def transition(
    session: Session,
    order: Order,
    to: OrderStatus,
    *,
    actor: str,
    channel: str | None,
    reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record one move of the state machine (the caller checked it is allowed)."""
    now = now or utcnow()
    session.add(
        OrderTransition(
            order_id=order.id,
            from_status=order.status,
            to_status=to,
            actor=actor,
            channel=channel,
            reason=reason,
            at=now,
        )
    )
    order.status = to
    order.changed(now)
