"""Marketplace orders over HTTP: a marketplace channel (or staff naming one) imports
an Allegro-shaped order; importing it again answers 200 with the same order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from omnichannel.carts import service as carts
from omnichannel.http.deps import SessionDep, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import marketplace, service
from omnichannel.orders.api import order_read
from omnichannel.orders.schemas import OrderRead
from omnichannel.orders.schemas_marketplace import MarketplaceOrderIn
from omnichannel.payments.service import PaymentMethod
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["orders"])

Importer = Annotated[Principal, Depends(require(Permission.ORDERS_IMPORT))]


@router.post(
    "/orders/marketplace",
    response_model=OrderRead,
    status_code=status.HTTP_201_CREATED,
    summary="Import a marketplace order (Allegro-shaped); importing it again returns it (200)",
    responses=problem_responses(401, 403, 409, 422),
)
def import_marketplace_order(
    data: MarketplaceOrderIn, principal: Importer, session: SessionDep, response: Response
) -> OrderRead:
    if principal.kind == "channel":
        seller = carts.seller(session, channel_id=principal.channel_id)
    elif data.channel is None:
        raise InvalidInput(
            "Staff name the marketplace channel (`channel`).",
            errors=[{"field": "channel", "message": "required for staff", "type": "missing"}],
        )
    else:
        seller = carts.seller(session, code=data.channel)
    order, created = marketplace.import_order(
        session, seller=seller, data=_marketplace(data), actor=principal.actor
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return order_read(service.view(session, orders=[order])[0])


def _marketplace(data: MarketplaceOrderIn) -> marketplace.MarketplaceOrder:
    amounts = [li.price for li in data.line_items]
    if data.delivery.cost is not None:
        amounts.append(data.delivery.cost)
    currencies = {a.currency for a in amounts}
    if len(currencies) != 1:
        raise InvalidInput(
            "Every amount of an order is in one currency.",
            errors=[{"field": "lineItems", "message": "mixed currencies", "type": "currency"}],
        )
    address = data.delivery.address
    return marketplace.MarketplaceOrder(
        external_id=data.id,
        currency=currencies.pop(),
        lines=[
            marketplace.MarketplaceLine(li.offer.external.id, li.quantity, li.price.minor())
            for li in data.line_items
        ],
        buyer_id=data.buyer.id,
        buyer_email=data.buyer.email,
        buyer_login=data.buyer.login,
        given_name=data.buyer.first_name,
        family_name=data.buyer.last_name,
        phone=data.buyer.phone_number,
        delivery_cost=data.delivery.cost.minor() if data.delivery.cost else 0,
        shipping_address=address.model_dump(exclude_none=True) if address else None,
        pickup_point=data.delivery.pickup_point.id if data.delivery.pickup_point else None,
        payment_method=PaymentMethod.CASH_ON_DELIVERY
        if data.payment.type == "CASH_ON_DELIVERY"
        else PaymentMethod.MARKETPLACE,
    )
