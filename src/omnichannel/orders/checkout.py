"""Checkout: a cart becomes an order, in whichever channel finishes it.

Re-quote the cart (the customer's segments, the cart's coupons, the delivery fee),
check the total the buyer agreed to, attach an anonymous buyer to their profile by
e-mail or phone, take the cart's stock over for the order, place the order, open
its payment and close the cart, all in one transaction (`place`). A payment a
provider must authorise is asked for after that transaction commits, and its answer
confirms the order or cancels it in a second one (`orders.flows.checkout`).

The kind of order follows from the channel finishing it: a web or app checkout; a
till sale (`carry_out` at a till: paid there, the goods leave at once); endless
aisle (a till ordering for delivery or for pickup elsewhere); a call-center order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.channels import service as channels
from omnichannel.customers import service as customers
from omnichannel.db import batched
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import lifecycle
from omnichannel.orders.errors import PriceChanged
from omnichannel.orders.models import Order
from omnichannel.orders.placing import Buyer, Placement, place, write_new
from omnichannel.orders.rules import Fulfilment, OrderKind
from omnichannel.payments import service as payments

PaymentMethod = payments.PaymentMethod


@dataclass(frozen=True, slots=True)
class Contact:
    email: str | None = None
    phone: str | None = None
    given_name: str | None = None
    family_name: str | None = None

    def document(self) -> dict[str, Any] | None:
        """What the order keeps (sealed at rest); None when nothing was given."""
        doc = {
            "email": self.email,
            "phone": self.phone,
            "given_name": self.given_name,
            "family_name": self.family_name,
        }
        return {k: v for k, v in doc.items() if v is not None} or None

    def identities(self) -> list[customers.IdentityIn]:
        out = []
        if self.email:
            out.append(customers.IdentityIn(type=customers.IdentityType.EMAIL, value=self.email))
        if self.phone:
            out.append(customers.IdentityIn(type=customers.IdentityType.PHONE, value=self.phone))
        return out


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    currency: str
    fulfilment: Fulfilment
    payment_method: PaymentMethod
    payment_token: str | None = None
    contact: Contact | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    pickup_location_id: uuid.UUID | None = None
    # Home delivery by courier (to the address) or to a parcel locker (`point_id`).
    delivery_method: channels.DeliveryMethod = channels.DeliveryMethod.COURIER
    point_id: str | None = None
    # Reserve & collect: held at the pickup store from its own shelf, paid there.
    reserve: bool = False
    expected_total: int | None = None
    # Keep the contact and shipping address on the buyer's profile (deduplicated).
    save_to_profile: bool = True

    def reaches_buyer(self) -> bool:
        """Whether the order names a way to tell the buyer it is ready: an e-mail or phone."""
        return self.contact is not None and bool(self.contact.email or self.contact.phone)


def _bad(field: str, message: str, type_: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, errors=[{"field": field, "message": message, "type": type_}])


def kind_for(seller: carts.Seller, fulfilment: Fulfilment, reserve: bool = False) -> OrderKind:
    if reserve:
        return OrderKind.RESERVE_COLLECT
    if seller.type == "store_pos":
        return OrderKind.POS if fulfilment == Fulfilment.CARRY_OUT else OrderKind.ENDLESS_AISLE
    if seller.type == "call_center":
        return OrderKind.CALL_CENTER
    return OrderKind.CHECKOUT


def _check(cart: carts.Cart, seller: carts.Seller, req: CheckoutRequest) -> None:
    if req.payment_token is not None:
        payments.check_token(req.payment_token, field="payment.token")  # never card data
    if not cart.lines:
        raise _bad(
            "lines", "the cart is empty", "empty_cart", "An empty cart cannot be checked out."
        )
    if req.currency != cart.currency:
        raise _bad(
            "currency",
            f"the cart is in {cart.currency}",
            "currency_mismatch",
            f"The cart is priced in {cart.currency}, not {req.currency}.",
        )
    if req.fulfilment == Fulfilment.CARRY_OUT and seller.type != "store_pos":
        raise _bad(
            "fulfilment",
            "only at a till",
            "carry_out_needs_till",
            "Goods are carried out only from a store's till.",
        )
    if req.fulfilment == Fulfilment.PICKUP and req.pickup_location_id not in seller.pickup_at:
        raise _bad(
            "pickup_location_id",
            "not a pickup location of this channel",
            "pickup_location",
            "Choose one of the channel's pickup locations.",
        )
    if req.fulfilment == Fulfilment.PICKUP and cart.customer_id is None and not req.reaches_buyer():
        # Nobody can be told the order waits for them; a customer's profile can.
        raise _bad(
            "contact",
            "an e-mail or phone is required for pickup",
            "contact_required",
            "A pickup order needs an e-mail or phone to say when it is ready, or a "
            "signed-in customer.",
        )
    if req.delivery_method not in (channels.DeliveryMethod.COURIER, channels.DeliveryMethod.LOCKER):
        raise _bad(
            "delivery_method",
            "courier or locker",
            "delivery_method",
            "A delivery goes by courier or to a parcel locker; pickup and carry-out are "
            "fulfilments of their own.",
        )
    if (
        req.fulfilment == Fulfilment.DELIVERY
        and req.delivery_method == channels.DeliveryMethod.LOCKER
    ):
        if req.point_id is None or channels.normalise_point_id(req.point_id) is None:
            raise _bad(
                "point_id",
                "a parcel locker id, like KRA01M",
                "invalid_point_id",
                "A locker delivery names its parcel locker (like KRA01M or WAW123A).",
            )
    elif req.point_id is not None:
        raise _bad(
            "point_id",
            "only for a locker delivery",
            "not_allowed",
            "A parcel locker is named only for a delivery to a locker.",
        )
    if req.reserve and (
        req.fulfilment != Fulfilment.PICKUP or req.payment_method != PaymentMethod.PAY_AT_PICKUP
    ):
        raise _bad(
            "reserve",
            "only a pickup paid at the store",
            "reserve",
            "Reserve & collect holds goods at a store, paid there: choose pickup and pay "
            "at pickup.",
        )
    if req.fulfilment == Fulfilment.DELIVERY and req.shipping_address is None:
        raise _bad(
            "shipping_address",
            "required for delivery",
            "missing",
            "Home delivery needs a shipping address.",
        )
    if req.fulfilment == Fulfilment.CARRY_OUT and req.payment_method not in (
        PaymentMethod.CASH,
        PaymentMethod.CARD,
        PaymentMethod.BLIK,
        PaymentMethod.GIFT_CARD,
    ):
        raise _bad(
            "payment.method",
            "pay at the till: cash, card, BLIK or gift card",
            "payment_method",
            "A till sale is paid at the till.",
        )
    if req.payment_method == PaymentMethod.CASH and req.fulfilment != Fulfilment.CARRY_OUT:
        raise _bad(
            "payment.method",
            "cash is taken only at a till",
            "payment_method",
            "Cash pays for till sales only; choose cash on delivery or pay at pickup.",
        )
    if req.payment_method == PaymentMethod.PAY_AT_PICKUP and req.fulfilment != Fulfilment.PICKUP:
        raise _bad(
            "payment.method",
            "only for pickup orders",
            "payment_method",
            "Pay at pickup needs a pickup order.",
        )
    if (
        req.payment_method == PaymentMethod.CASH_ON_DELIVERY
        and req.fulfilment != Fulfilment.DELIVERY
    ):
        raise _bad(
            "payment.method",
            "only for home delivery",
            "payment_method",
            "Cash on delivery needs home delivery.",
        )


def _buyer(session: Session, cart: carts.Cart, seller: carts.Seller, req: CheckoutRequest) -> Buyer:
    """The cart's customer, or the profile the buyer's e-mail or phone leads to (started
    when none does): checkout in any channel attaches to one profile.

    The contact and shipping address given are kept on that profile too, unless the
    buyer said not to: the same for a signed-in customer as for an anonymous one, after
    the order commits (`orders.to_customers`), so a checkout reads nothing more for it.
    """
    customer_id = cart.customer_id
    contact = req.contact
    if customer_id is None and contact is not None and contact.identities():
        customer_id = customers.find_or_attach(
            session,
            identities=contact.identities(),
            given_name=contact.given_name,
            family_name=contact.family_name,
            channel=seller.code,
        ).customer_id
    return Buyer(
        customer_id=customer_id,
        contact=contact.document() if contact is not None else None,
        shipping_address=req.shipping_address,
        billing_address=req.billing_address,
        save_to_profile=req.save_to_profile,
    )


@dataclass(frozen=True, slots=True)
class Placed:
    """A placed order, its payment, and the authorisation to ask for once the
    transaction that placed it commits (None: nothing to ask, the order is final)."""

    order: Order
    payment: payments.Payment
    call: payments.Call | None


def place_order(
    session: Session,
    *,
    cart: carts.Cart,
    seller: carts.Seller,
    actor: str,
    request: CheckoutRequest,
) -> Placed:
    """Turn the cart into an order; 422 for a bad request, 409 naming the line that is
    out of stock or the new total when prices changed; nothing is written then.

    A payment that needs no provider (cash, cash on delivery, pay at pickup, a
    transfer) is settled here and the order moves on at once; one that does leaves
    the order pending_payment, its stock reserved, until the answer is recorded.
    The order, its lines, moves and payment are written together at the end (one
    INSERT per table), then the cart's closing and every event (one outbox INSERT):
    a checkout is a request budget (DESIGN.md, performance).
    """
    _check(cart, seller, request)
    now = utcnow()
    with batched(session):
        buyer = _buyer(session, cart, seller, request)
        delivery = _delivery_fee(session, seller, request)
        quote = carts.price(
            session,
            cart=cart,
            channel=seller.code,
            delivery_price=delivery,
            customer_id=buyer.customer_id,
        )
        if quote is None:  # _check refused empty carts; a cart emptied since is one too
            raise _bad(
                "lines", "the cart is empty", "empty_cart", "An empty cart cannot be checked out."
            )
        if request.expected_total is not None and request.expected_total != quote.priced.total:
            raise PriceChanged(
                f"The cart now costs {quote.priced.total} (minor units of {quote.currency}), "
                f"not {request.expected_total}: show the new total and ask again.",
                total=quote.priced.total,
                expected_total=request.expected_total,
            )
        if cart.held_until is not None:  # a cart that never held stock has nothing to give back
            carts.release_holds(session, cart=cart)
        order = place(
            session,
            quote=quote,
            buyer=buyer,
            placement=Placement(
                kind=kind_for(seller, request.fulfilment, request.reserve),
                seller=seller,
                origin_channel_id=cart.origin_channel_id,
                journey=_journey(session, cart, seller),
                actor=actor,
                fulfilment=request.fulfilment,
                pickup_location_id=request.pickup_location_id,
                cart_id=cart.id,
                point_id=(
                    channels.normalise_point_id(request.point_id) if request.point_id else None
                ),
            ),
            now=now,
            flush=False,
        )
        payment, call = payments.open_payment(
            session,
            order_id=order.id,
            order_number=order.number,
            method=request.payment_method,
            amount=order.total,
            currency=order.currency,
            token=request.payment_token,
            customer_id=buyer.customer_id,  # store credit is spent only by its customer
            # At a till the goods leave now: the card is charged, not only held.
            capture=request.fulfilment == Fulfilment.CARRY_OUT,
        )
        order.payment_status = payments.status_of([payment]).value
        lifecycle.after_payment(session, order=order, actor=actor, channel=seller.code)
        if buyer.customer_id is not None and cart.customer_id is None and call is None:
            # An anonymous cart becomes the buyer's once the order stands; one whose
            # payment is still to be authorised stays the anonymous buyer's to reopen.
            cart.customer_id = buyer.customer_id
        write_new(session)  # the order before the cart that points at it
        if all(t.channel_id != seller.id for t in cart.touches):
            # A new channel joins the journey; one that worked on the cart before is
            # there already, and the order records when it finished it.
            carts.touch(session, cart=cart, seller=seller, actor=actor, flush=False)
        carts.mark_ordered(session, cart=cart, order_id=order.id)
    return Placed(order, payment, call)


def _delivery_fee(session: Session, seller: carts.Seller, req: CheckoutRequest) -> int | None:
    """What delivery costs the buyer: the channel's rate for the way the goods go,
    and the cash-on-delivery surcharge (422 when the channel does not offer it). A
    pickup the channel gives free has no delivery line; a till sale none at all."""
    if req.fulfilment == Fulfilment.CARRY_OUT:
        return None
    method = (
        channels.DeliveryMethod.PICKUP
        if req.fulfilment == Fulfilment.PICKUP
        else req.delivery_method
    )
    fee = channels.delivery_price(
        session,
        channel_id=seller.id,
        method=method,
        cash_on_delivery=req.payment_method == PaymentMethod.CASH_ON_DELIVERY,
    )
    return None if method == channels.DeliveryMethod.PICKUP and not fee else fee


def _journey(session: Session, cart: carts.Cart, seller: carts.Seller) -> list[str]:
    """The codes of the channels that touched the cart, first touch first, ending
    with the channel checking out."""
    ids = [t.channel_id for t in sorted(cart.touches, key=lambda t: t.first_at)]
    if seller.id not in ids:
        ids.append(seller.id)
    codes = channels.codes_of(session, channel_ids=ids)
    return [codes[i] for i in ids if i in codes]
