"""Checkout and orders over HTTP.

A signed-in customer checks out their own carts and sees only their own orders; a
channel's API key checks out the carts it holds the token of; staff (a cashier, an
agent) check out any cart in the channel they name and, with orders:manage, move
orders through fulfilment. Staff scoped to locations read any order but sell, move
and cancel only where they work (`security.reach`). Checkout requires an
`Idempotency-Key`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.http.deps import CartToken, PrincipalDep, SessionDep, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.idempotency import Idempotency, RequiredIdempotency
from omnichannel.http.routing import Route
from omnichannel.http.units import UnitsDep
from omnichannel.kernel import Forbidden, Principal
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import service
from omnichannel.orders.rules import OrderKind, OrderStatus
from omnichannel.orders.schemas import (
    AllocationRead,
    CancelIn,
    CheckoutIn,
    OrderLineRead,
    OrderRead,
    PaymentOperationRead,
    PaymentRead,
    ReceiptLine,
    ReceiptRead,
    RouteRead,
    TransitionIn,
    TransitionRead,
)
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["orders"])

Manager = Annotated[Principal, Depends(require(Permission.ORDERS_MANAGE))]


async def get_placer(principal: PrincipalDep) -> carts.Caller:
    """Who may check out: a signed-in customer (their own carts), staff and channels
    holding orders:write. Checked before the Idempotency-Key, so an answer is never
    replayed to someone who may not have asked."""
    caller = carts.caller(principal)
    p = caller.principal
    if p.kind != "customer" and not p.can(Permission.ORDERS_WRITE):
        who = f"role {p.role}" if p.kind == "staff" else f"this API key of channel {p.channel_code}"
        raise Forbidden(f"{who} may not place orders (needs orders:write).")
    return caller


PlacerDep = Annotated[carts.Caller, Depends(get_placer)]


def _access(principal: Principal) -> service.Access:
    if principal.kind == "customer" and principal.can(Permission.ORDERS_OWN):
        return service.Access(customer_id=principal.id)
    if principal.kind == "staff" and principal.can(Permission.ORDERS_READ):
        return service.Access(staff=True)
    raise Forbidden("Reading orders needs orders:read (staff) or a signed-in customer.")


def order_read(view: service.OrderView, *, personal: bool = False) -> OrderRead:
    """The public shape of an order; personal fields only for the customer themself."""
    order = view.order
    return OrderRead(
        id=order.id,
        number=order.number,
        kind=order.kind,
        status=order.status,
        payment_status=order.payment_status,
        customer_id=order.customer_id,
        cart_id=order.cart_id,
        origin_channel_id=order.origin_channel_id,
        completing_channel_id=order.completing_channel_id,
        journey=list(order.journey),
        external_id=order.external_id,
        currency=order.currency,
        subtotal=order.subtotal,
        discount=order.discount,
        delivery=order.delivery,
        total=order.total,
        vat=order.vat,
        open_total=service.open_amount(order),
        fulfilment=order.fulfilment,
        pickup_location_id=order.pickup_location_id,
        lines=[
            OrderLineRead(
                line_no=ln.line_no,
                variant_id=ln.variant_id,
                sku=ln.sku,
                quantity=ln.quantity,
                cancelled=ln.cancelled,
                allocations=[
                    AllocationRead(location_id=a.location_id, quantity=a.quantity, status=a.status)
                    for a in order.allocations
                    if a.line_no == ln.line_no
                ],
                price_list=ln.price_list,
                unit_price=ln.unit_price,
                subtotal=ln.subtotal,
                discount=ln.discount,
                total=ln.total,
                net=ln.net,
                vat=ln.vat,
                vat_code=ln.vat_code,
            )
            for ln in order.lines
        ],
        payments=[
            PaymentRead(
                id=p.id,
                method=p.method,
                provider=p.provider,
                status=p.status,
                currency=p.currency,
                amount=p.amount,
                captured=p.captured,
                refunded=p.refunded,
                operations=[
                    PaymentOperationRead(
                        kind=op.kind,
                        amount=op.amount,
                        succeeded=op.succeeded,
                        message=op.message,
                        at=op.at,
                    )
                    for op in p.operations
                ],
            )
            for p in view.payments
        ],
        pricing=order.pricing,
        route=RouteRead(**order.route) if order.route else None,
        contact=order.contact if personal else None,
        shipping_address=order.shipping_address if personal else None,
        billing_address=order.billing_address if personal else None,
        receipt=_receipt(view) if order.kind == OrderKind.POS else None,
        placed_at=order.placed_at,
        version=order.version,
    )


def _receipt(view: service.OrderView) -> ReceiptRead:
    order = view.order
    return ReceiptRead(
        number=order.number,
        at=order.placed_at,
        location_id=order.allocations[0].location_id,
        lines=[
            ReceiptLine(
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                discount=ln.discount,
                total=ln.total,
                vat_code=ln.vat_code,
            )
            for ln in order.lines
        ],
        vat=list(order.pricing.get("vat", [])),
        total=order.total,
        currency=order.currency,
        paid_by=[p.method for p in view.payments],
    )


def _personal(principal: Principal, order: service.Order) -> bool:
    return principal.kind == "customer" and order.customer_id == principal.id


@router.post(
    "/carts/{cart_id}/checkout",
    response_model=OrderRead,
    status_code=status.HTTP_201_CREATED,
    summary="Check a cart out: re-quote, reserve every line, place the order, start the payment",
    responses=problem_responses(401, 402, 403, 404, 409, 422, 503),
)
def checkout(
    cart_id: uuid.UUID,
    data: CheckoutIn,
    caller: PlacerDep,
    idempotency: RequiredIdempotency,
    units: UnitsDep,
    token: CartToken = None,
) -> Response:
    principal = caller.principal

    def open_cart(session: Session) -> tuple[carts.Cart, carts.Seller]:
        cart = caller.changing(session, cart_id=cart_id, token=token)
        return cart, caller.seller(session, data.channel)

    return service.checkout(
        units,
        open_cart=open_cart,
        actor=principal.actor,
        request=_request(data),
        answering=_Answering(idempotency, principal),
    )


class _Answering:
    """A checkout's answer through its `Idempotency-Key`: stored in the transaction
    that ends the checkout, or the key given up when the payment is refused."""

    def __init__(self, idempotency: Idempotency, principal: Principal) -> None:
        self.idempotency = idempotency
        self.principal = principal

    def begin(self, session: Session) -> None:
        self.idempotency.answer_later()

    def answer(self, session: Session, view: service.OrderView) -> Response:
        order = view.order
        return self.idempotency.respond(
            status.HTTP_201_CREATED,
            order_read(view, personal=_personal(self.principal, order)),
            headers={"Location": f"/api/v1/orders/{order.id}"},
            session=session,
        )

    def refused(self, session: Session) -> None:
        self.idempotency.forget(session)


def _request(data: CheckoutIn) -> service.CheckoutRequest:
    contact = data.contact
    return service.CheckoutRequest(
        currency=data.currency,
        fulfilment=data.fulfilment,
        payment_method=data.payment.method,
        payment_token=data.payment.token,
        contact=service.Contact(
            email=contact.email,
            phone=contact.phone,
            given_name=contact.given_name,
            family_name=contact.family_name,
        )
        if contact is not None
        else None,
        shipping_address=data.shipping_address.details() if data.shipping_address else None,
        billing_address=data.billing_address.details() if data.billing_address else None,
        pickup_location_id=data.pickup_location_id,
        delivery_method=service.DeliveryMethod(data.delivery_method),
        point_id=data.point_id,
        reserve=data.reserve,
        expected_total=data.expected_total,
        save_to_profile=data.save_to_profile,
    )


@router.get(
    "/orders/{order_id}",
    response_model=OrderRead,
    summary="One order (a customer: only their own)",
    responses=problem_responses(401, 403, 404, 422),
)
def get_order(order_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> OrderRead:
    view = service.load_view(session, order_id=order_id, access=_access(principal))
    return order_read(view, personal=_personal(principal, view.order))


@router.get(
    "/orders",
    response_model=list[OrderRead],
    summary="A customer's orders, newest first (a signed-in customer: their own)",
    responses=problem_responses(401, 403, 404, 422),
)
def list_orders(
    principal: PrincipalDep,
    session: SessionDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Staff: whose orders.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[
        uuid.UUID | None, Query(description="The last order id of the previous page.")
    ] = None,
) -> list[OrderRead]:
    access = _access(principal)
    whose = access.customer_id or customer_id
    if access.customer_id is not None and customer_id not in (None, access.customer_id):
        raise Forbidden("A customer sees only their own orders.")
    if whose is None:
        raise InvalidInput(
            "Name the customer whose orders to list (`customer_id`).",
            errors=[{"field": "customer_id", "message": "required", "type": "missing"}],
        )
    found = service.customer_orders(session, customer_id=whose, limit=limit, before=before)
    return [
        order_read(v, personal=_personal(principal, v.order))
        for v in service.view(session, orders=found)
    ]


@router.get(
    "/orders/{order_id}/history",
    response_model=list[TransitionRead],
    summary="Every move of the order's state machine",
    responses=problem_responses(401, 403, 404, 422),
)
def order_history(
    order_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> list[TransitionRead]:
    order = service.load(session, order_id=order_id, access=_access(principal))
    return [
        TransitionRead(
            from_status=t.from_status,
            to_status=t.to_status,
            actor=t.actor,
            channel=t.channel,
            reason=t.reason,
            at=t.at,
        )
        for t in service.history(session, order=order)
    ]


@router.post(
    "/orders/{order_id}/transitions",
    response_model=OrderRead,
    summary="Move an order on: allocate, fulfil, ship, ready for pickup, deliver, collect, complete",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def transition(
    order_id: uuid.UUID, data: TransitionIn, principal: Manager, units: UnitsDep
) -> OrderRead:
    view = service.move(
        units,
        order_id=order_id,
        access=service.Access(staff=True),
        move=service.Move(
            data.to,
            actor=principal.actor,
            channel=principal.channel_code if principal.kind == "channel" else data.channel,
            reason=data.reason,
        ),
        by=principal,
    )
    return order_read(view)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderRead,
    summary="Cancel the order or some lines: stock given back, payment voided or refunded",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def cancel(
    order_id: uuid.UUID, data: CancelIn, principal: PrincipalDep, units: UnitsDep
) -> OrderRead:
    customer = principal.kind == "customer"
    if not customer and not principal.can(Permission.ORDERS_MANAGE):
        raise Forbidden("Cancelling orders needs orders:manage or a signed-in customer.")
    view = service.move(
        units,
        order_id=order_id,
        access=_access(principal) if customer else service.Access(staff=True),
        move=service.Move(
            OrderStatus.CANCELLED,
            actor=principal.actor,
            channel=principal.channel_code,
            reason=data.reason,
            line_nos=data.lines,
            by_customer=customer,
        ),
        by=principal,
    )
    return order_read(view, personal=_personal(principal, view.order))
