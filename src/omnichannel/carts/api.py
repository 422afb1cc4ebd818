"""Carts over HTTP: a signed-in customer reaches their own carts, an anonymous shopper
(through the storefront's API key) reaches a cart by its token, and staff allowed to
handle carts (a cashier, a call-center agent) reach any cart, in the channel they
name; staff scoped to locations change carts only in their locations' channels
(`Caller.changing`, `security.reach`). A handoff code opens a cart in another channel."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy.orm import Session

from omnichannel.carts import service
from omnichannel.carts.schemas import (
    CartCreate,
    CartLineRead,
    CartRead,
    CouponsSet,
    HandoffRead,
    LineAdd,
    LineSet,
    TouchRead,
)
from omnichannel.http import throttle
from omnichannel.http.deps import CartToken, PrincipalDep, SessionDep
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Forbidden
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing import service as pricing

router = APIRouter(route_class=Route, prefix="/carts", tags=["carts"])

ChannelQuery = Annotated[
    str | None,
    Query(
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Staff only: the channel they act in.",
    ),
]


async def get_caller(principal: PrincipalDep) -> service.Caller:
    return service.caller(principal)


CallerDep = Annotated[service.Caller, Depends(get_caller)]


def cart_read(
    session: Session, cart: service.Cart, *, token: str | None = None, channel: str | None = None
) -> CartRead:
    q = service.price(session, cart=cart, channel=channel)
    return CartRead(
        id=cart.id,
        status=cart.status,
        customer_id=cart.customer_id,
        currency=cart.currency,
        origin_channel_id=cart.origin_channel_id,
        lines=[
            CartLineRead(variant_id=ln.variant_id, quantity=ln.quantity, added_at=ln.added_at)
            for ln in sorted(cart.lines, key=lambda ln: ln.position)
        ],
        coupons=list(cart.coupons),
        held_until=cart.held_until,
        channels=[
            TouchRead(channel_id=t.channel_id, first_at=t.first_at, last_at=t.last_at)
            for t in cart.touches
        ],
        order_id=cart.order_id,
        merged_into_id=cart.merged_into_id,
        quote=pricing.quote_read(q) if q is not None else None,
        token=token,
        version=cart.version,
        created_at=cart.created_at,
        updated_at=cart.updated_at,
    )


@router.post(
    "",
    response_model=CartRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start a cart (anonymous carts come with their token)",
    responses=problem_responses(401, 403, 404, 422),
)
def create_cart(data: CartCreate, caller: CallerDep, session: SessionDep) -> CartRead:
    customer_id = caller.customer_id
    if data.customer_id is not None:
        if not caller.staff:
            raise Forbidden("Only staff start a cart for a named customer.")
        customer_id = data.customer_id
    seller = caller.seller(session, data.channel)
    cart = service.create_cart(
        session,
        seller=seller,
        actor=caller.principal.actor,
        customer_id=customer_id,
        currency=data.currency,
    )
    token = service.token_for(cart.id, None) if cart.customer_id is None else None
    return cart_read(session, cart, token=token, channel=seller.code)


@router.get(
    "",
    response_model=list[CartRead],
    summary="Open carts of a customer (a signed-in customer: their own)",
    responses=problem_responses(401, 403, 404, 422),
)
def list_carts(
    caller: CallerDep,
    session: SessionDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Staff: whose carts.")] = None,
) -> list[CartRead]:
    if caller.customer_id is not None:
        if customer_id not in (None, caller.customer_id):
            raise Forbidden("A customer sees only their own carts.")
        whose = caller.customer_id
    elif caller.staff and customer_id is not None:
        whose = customer_id
    else:
        raise InvalidInput(
            "Name the customer whose carts to list (`customer_id`).",
            errors=[{"field": "customer_id", "message": "required", "type": "missing"}],
        )
    return [cart_read(session, c) for c in service.customer_carts(session, customer_id=whose)]


@router.get(
    "/{cart_id}",
    response_model=CartRead,
    summary="A cart, priced now",
    responses=problem_responses(401, 403, 404, 422),
)
def get_cart(
    cart_id: uuid.UUID, caller: CallerDep, session: SessionDep, token: CartToken = None
) -> CartRead:
    cart = service.load(session, cart_id=cart_id, access=caller.access(token))
    return cart_read(session, cart)


@router.post(
    "/{cart_id}/lines",
    response_model=CartRead,
    summary="Add units of a variant (holds stock where the channel holds on add)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def add_line(
    cart_id: uuid.UUID,
    data: LineAdd,
    caller: CallerDep,
    session: SessionDep,
    token: CartToken = None,
    channel: ChannelQuery = None,
) -> CartRead:
    return _set_line(
        session, caller, cart_id, data.variant_id, data.quantity, token, channel, add=True
    )


def _set_line(
    session: Session,
    caller: service.Caller,
    cart_id: uuid.UUID,
    variant_id: uuid.UUID,
    quantity: int,
    token: str | None,
    channel: str | None,
    *,
    add: bool = False,
) -> CartRead:
    cart = caller.changing(session, cart_id=cart_id, token=token)
    seller = caller.seller(session, channel)
    service.set_line(
        session,
        cart=cart,
        variant_id=variant_id,
        quantity=quantity,
        seller=seller,
        actor=caller.principal.actor,
        add=add,
    )
    return cart_read(session, cart, channel=seller.code)


@router.put(
    "/{cart_id}/lines/{variant_id}",
    response_model=CartRead,
    summary="Set a line's quantity (0 removes it)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def set_line(
    cart_id: uuid.UUID,
    variant_id: uuid.UUID,
    data: LineSet,
    caller: CallerDep,
    session: SessionDep,
    token: CartToken = None,
    channel: ChannelQuery = None,
) -> CartRead:
    return _set_line(session, caller, cart_id, variant_id, data.quantity, token, channel)


@router.delete(
    "/{cart_id}/lines/{variant_id}",
    response_model=CartRead,
    summary="Remove a line",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def remove_line(
    cart_id: uuid.UUID,
    variant_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    token: CartToken = None,
    channel: ChannelQuery = None,
) -> CartRead:
    return _set_line(session, caller, cart_id, variant_id, 0, token, channel)


@router.put(
    "/{cart_id}/coupons",
    response_model=CartRead,
    summary="Set the cart's coupon codes; the quote says which apply and why not",
    responses=problem_responses(401, 403, 404, 409, 422, 429),
    dependencies=[throttle.COUPON],  # codes can be guessed: rate limited (http.throttle)
)
def set_coupons(
    cart_id: uuid.UUID,
    data: CouponsSet,
    caller: CallerDep,
    session: SessionDep,
    token: CartToken = None,
    channel: ChannelQuery = None,
) -> CartRead:
    cart = caller.changing(session, cart_id=cart_id, token=token)
    seller = caller.seller(session, channel)
    service.set_coupons(
        session, cart=cart, codes=data.codes, seller=seller, actor=caller.principal.actor
    )
    return cart_read(session, cart, channel=seller.code)


@router.post(
    "/{cart_id}/handoff",
    response_model=HandoffRead,
    summary="A 6-character code (and QR payload) to finish this cart in another channel",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def issue_handoff(
    cart_id: uuid.UUID, caller: CallerDep, session: SessionDep, token: CartToken = None
) -> HandoffRead:
    cart = caller.changing(session, cart_id=cart_id, token=token)
    h = service.issue_handoff(session, cart=cart)
    return HandoffRead(code=h.code, expires_at=h.expires_at, qr_payload=h.qr_payload)


@router.post(
    "/handoff/{code}",
    response_model=CartRead,
    summary="Open a cart by its handoff code (a till, the call center)",
    responses=problem_responses(401, 403, 404, 409, 410, 422, 429),
    dependencies=[throttle.HANDOFF],  # codes can be guessed: rate limited (http.throttle)
)
def open_handoff(
    code: Annotated[
        str, Path(min_length=1, max_length=64, description="As typed, or the QR payload.")
    ],
    caller: CallerDep,
    session: SessionDep,
    channel: ChannelQuery = None,
) -> CartRead:
    if caller.customer_id is not None:
        raise Forbidden("Handoff codes are opened by a till or an agent, not by a customer.")
    seller = caller.seller(session, channel)
    cart, token = service.open_by_code(
        session, code=code, seller=seller, actor=caller.principal.actor
    )
    return cart_read(session, cart, token=token, channel=seller.code)


@router.post(
    "/{cart_id}/claim",
    response_model=CartRead,
    summary="After sign-in: make an anonymous cart the customer's (merged into their open one)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def claim(
    cart_id: uuid.UUID, caller: CallerDep, session: SessionDep, token: CartToken = None
) -> CartRead:
    if caller.customer_id is None:
        raise Forbidden("Only a signed-in customer claims a cart.")
    cart = service.load(session, cart_id=cart_id, access=service.Access(token=token))
    seller = caller.seller(session, None)
    kept = service.claim(
        session,
        cart=cart,
        customer_id=caller.customer_id,
        seller=seller,
        actor=caller.principal.actor,
    )
    return cart_read(session, kept, channel=seller.code)
