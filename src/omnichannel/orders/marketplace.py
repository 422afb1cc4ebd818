"""Orders imported from a marketplace (Allegro-shaped), idempotent on the
marketplace's order id.

The marketplace sold at its own prices and took the money: the order keeps those
prices (with our catalog's VAT and rounding) and a payment settled by the
marketplace. The buyer is matched to a profile by their marketplace account (and
their e-mail): a returning Allegro buyer is the same customer as in the shop.
Importing the same order again returns the first import; two imports racing each
other end with one order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnichannel.carts.service import Seller
from omnichannel.catalog import service as catalog
from omnichannel.customers import service as customers
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import lifecycle
from omnichannel.orders.models import Order
from omnichannel.orders.placing import Buyer, Placement, place
from omnichannel.orders.queries import Access, load
from omnichannel.orders.rules import Fulfilment, OrderKind
from omnichannel.payments import service as payments
from omnichannel.pricing import service as pricing

PaymentMethod = payments.PaymentMethod


@dataclass(frozen=True, slots=True)
class MarketplaceLine:
    sku: str  # the offer's external id: our SKU
    quantity: int
    unit_price: int  # gross, minor units, as the marketplace sold it


@dataclass(frozen=True, slots=True)
class MarketplaceOrder:
    external_id: str
    currency: str
    lines: Sequence[MarketplaceLine]
    buyer_id: str  # the buyer's account id on the marketplace
    buyer_email: str | None = None
    buyer_login: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    phone: str | None = None
    delivery_cost: int = 0
    shipping_address: dict[str, Any] | None = None
    pickup_point: str | None = None  # a parcel locker or pickup point id
    # Paid on the marketplace (settled by it), or cash on delivery.
    payment_method: PaymentMethod = PaymentMethod.MARKETPLACE


def import_order(
    session: Session, *, seller: Seller, data: MarketplaceOrder, actor: str
) -> tuple[Order, bool]:
    """The order for a marketplace order (created, or the one imported before) and
    whether it was created now; 422 naming an unknown SKU, 409 naming a line out of stock."""
    if seller.type != "marketplace":
        raise InvalidInput(
            f"Channel {seller.code} is not a marketplace.",
            errors=[{"field": "channel", "message": "not a marketplace", "type": "channel"}],
        )
    found = _existing(session, seller, data.external_id)
    if found is not None:
        return found, False
    if data.currency != seller.currency:
        raise InvalidInput(
            f"Channel {seller.code} sells in {seller.currency}, not {data.currency}.",
            errors=[{"field": "currency", "message": "not the channel's", "type": "currency"}],
        )
    ids = catalog.variant_ids_by_sku(session, skus=[ln.sku for ln in data.lines])
    unknown = [
        {
            "field": f"lineItems.{i}.offer.external.id",
            "message": "no such SKU",
            "type": "unknown_sku",
        }
        for i, ln in enumerate(data.lines)
        if ln.sku not in ids
    ]
    if unknown:
        raise InvalidInput(f"{len(unknown)} line(s) name an SKU we do not sell.", errors=unknown)
    customer_id = customers.find_or_attach(
        session,
        identities=_identities(seller, data),
        given_name=data.given_name,
        family_name=data.family_name,
        channel=seller.code,
    ).customer_id
    quote = pricing.quote_at(
        session,
        items=[pricing.Item(ids[ln.sku], ln.quantity) for ln in data.lines],
        unit_prices=[ln.unit_price for ln in data.lines],
        currency=data.currency,
        price_list=seller.code,
        customer_id=customer_id,
        channel=seller.code,
        delivery_price=data.delivery_cost or None,
    )
    contact = {
        k: v
        for k, v in {
            "email": data.buyer_email,
            "phone": data.phone,
            "given_name": data.given_name,
            "family_name": data.family_name,
            "login": data.buyer_login,
        }.items()
        if v is not None
    }
    try:
        with session.begin_nested():
            order = place(
                session,
                quote=quote,
                buyer=Buyer(customer_id, contact or None, data.shipping_address),
                placement=Placement(
                    kind=OrderKind.MARKETPLACE,
                    seller=seller,
                    origin_channel_id=seller.id,
                    journey=[seller.code],
                    actor=actor,
                    fulfilment=Fulfilment.DELIVERY,
                    external_id=data.external_id,
                    extra={"pickup_point": data.pickup_point} if data.pickup_point else {},
                ),
            )
    except IntegrityError:
        # Another import of the same order committed first: that one is the order.
        again = _existing(session, seller, data.external_id)
        if again is None:
            raise
        return again, False
    # Settled by the marketplace, or cash on delivery: no provider to ask.
    payment, _ = payments.open_payment(
        session,
        order_id=order.id,
        order_number=order.number,
        method=data.payment_method,
        amount=order.total,
        currency=order.currency,
    )
    order.payment_status = payments.status_of([payment]).value
    lifecycle.after_payment(session, order=order, actor=actor, channel=seller.code)
    return order, True


def _existing(session: Session, seller: Seller, external_id: str) -> Order | None:
    order_id = session.scalar(
        select(Order.id).where(
            Order.origin_channel_id == seller.id, Order.external_id == external_id
        )
    )
    return load(session, order_id=order_id, access=Access(staff=True)) if order_id else None


def _identities(seller: Seller, data: MarketplaceOrder) -> list[customers.IdentityIn]:
    out = [
        customers.IdentityIn(
            type=customers.IdentityType.MARKETPLACE_BUYER,
            value=data.buyer_id,
            namespace=seller.code,
        )
    ]
    if data.buyer_email:
        out.append(customers.IdentityIn(type=customers.IdentityType.EMAIL, value=data.buyer_email))
    return out
