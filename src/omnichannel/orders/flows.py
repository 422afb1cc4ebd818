"""Order use cases that call a payment provider between two transactions (promise 8).

Each takes `units` (`db.session.Units`): every `with units() as session:` is one
transaction, committed when its block ends. The first decides and commits what is
decided (the order placed and its stock reserved, a capture asked for); the provider
is called with no transaction open, so nobody else's checkout waits behind one card
authorisation and no stock row stays locked during it; the second records the
answer and moves the order on. When no provider is involved, everything happens in
the first.

Entrypoints (the API, the CLI, the demo loader) call these. A crash between the two
transactions leaves the payment's call pending; `settle_payments`, a worker job,
finishes it: it asks the provider what became of it and records the answer, or
expires an authorisation the provider never received and gives the stock back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.db import batched
from omnichannel.db.session import Units
from omnichannel.kernel import Principal, utcnow
from omnichannel.kernel.errors import DomainError
from omnichannel.orders import lifecycle
from omnichannel.orders.checkout import CheckoutRequest, place_order
from omnichannel.orders.lifecycle import Move
from omnichannel.orders.models import Order
from omnichannel.orders.queries import Access, load
from omnichannel.orders.rules import OrderStatus
from omnichannel.payments import service as payments
from omnichannel.security import reach

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
log = logging.getLogger(__name__)

SETTLER = "worker:payments"


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as its readers see it: the order and its payments."""

    order: Order
    payments: list[payments.Payment]


class Answering(Protocol[R_co]):
    """How an entrypoint answers a checkout (the API: through its Idempotency-Key),
    inside the checkout's own transactions, so that the answer and the change it
    reports commit together."""

    def begin(self, session: Session) -> None:
        """First thing in the first transaction (claim the key; may raise a replay)."""

    def answer(self, session: Session, view: OrderView) -> R_co:
        """In the transaction that ends the checkout, with the order as it ends."""
        ...

    def refused(self, session: Session) -> None:
        """In the transaction that ends the checkout refused (the payment declined);
        the refusal is raised once it has committed."""


@dataclass(frozen=True, slots=True)
class Outcome:
    view: OrderView
    error: DomainError | None  # raise it once the transaction has committed


def checkout(
    units: Units,
    *,
    open_cart: Callable[[Session], tuple[carts.Cart, carts.Seller]],
    actor: str,
    request: CheckoutRequest,
    answering: Answering[R],
) -> R:
    """Place the order from the cart `open_cart` finds, then have its payment
    authorised and confirm it, or cancel it (402 declined, 503 unanswered: its stock
    and coupons given back, the cart open again to pay another way)."""
    with units() as session:
        answering.begin(session)
        cart, seller = open_cart(session)
        placed = place_order(session, cart=cart, seller=seller, actor=actor, request=request)
        if placed.call is None:
            return answering.answer(session, OrderView(placed.order, [placed.payment]))
    answer = payments.call(placed.call)
    with units() as session:
        # The order and its payment as the first transaction left them: nothing else
        # moves them while their payment's call is pending (the versions still guard).
        session.add(placed.order)
        session.add(placed.payment)
        outcome = authorisation_answered(
            session,
            order=placed.order,
            answer=answer,
            actor=actor,
            channel=seller.code,
            paid_with=[placed.payment],
        )
        if outcome.error is None:
            return answering.answer(session, outcome.view)
        answering.refused(session)
    raise outcome.error


def authorisation_answered(
    session: Session,
    *,
    order: Order,
    answer: payments.Answer,
    actor: str,
    channel: str | None,
    paid_with: list[payments.Payment] | None = None,
) -> Outcome:
    """Record the provider's answer to an order's authorisation: confirm the order on
    a yes; on a no (or no answer) cancel it, give its stock and coupon uses back and
    open its cart again. `paid_with`: the order's payments, when the caller has them."""
    try:
        with batched(session):
            return _answered(session, order, answer, actor, channel, paid_with)
    except payments.PaymentAlreadySettled:  # the worker settled it first: as it left it
        order = load(session, order_id=order.id, access=Access(staff=True), fresh=True)
        view = OrderView(order, payments.of_orders(session, order_ids=[order.id])[order.id])
        if order.status == OrderStatus.CANCELLED:
            return Outcome(view, _declined("The payment took too long and was cancelled."))
        return Outcome(view, None)


def _answered(
    session: Session,
    order: Order,
    answer: payments.Answer,
    actor: str,
    channel: str | None,
    paid_with: list[payments.Payment] | None,
) -> Outcome:
    change = payments.record(session, answer)
    paid_with = lifecycle.sync_payment_status(session, order, paid_with=paid_with)
    if change.succeeded:
        lifecycle.after_payment(session, order=order, actor=actor, channel=channel)
        if order.cart_id is not None and order.customer_id is not None:
            carts.attach_buyer(session, cart_id=order.cart_id, customer_id=order.customer_id)
        return Outcome(OrderView(order, paid_with), None)
    reason = "payment not answered" if not answer.reached else "payment declined"
    lifecycle.cancel_unpaid(session, order=order, actor=actor, reason=reason)
    if order.cart_id is not None:
        carts.reopen(session, cart_id=order.cart_id, order_id=order.id)
    if not answer.reached:
        return Outcome(
            OrderView(order, paid_with), payments.provider_unavailable(answer.call.provider)
        )
    return Outcome(OrderView(order, paid_with), _declined(change.message))


def move(
    units: Units,
    *,
    order_id: uuid.UUID,
    access: Access,
    move: Move,
    by: Principal | None = None,
    then: Callable[[Session, Order], None] | None = None,
) -> OrderView:
    """Move the order on (allocate, fulfil, ship, ready for pickup, deliver, collect,
    complete) or cancel it (whole or some lines), taking or giving back its money
    with the provider between two transactions; 409 when the machine or the provider
    refuses (nothing about the order changed), 503 when the provider did not answer
    (the call is retried by the worker; try the move again later). `by`: who asks;
    staff scoped to locations move only the orders handled there (403). `then` runs
    in the transaction that makes the move (a shipment marked shipped with it)."""
    with units() as session:
        if move.channel is not None:
            named = carts.seller(session, code=move.channel)  # 422 when unknown
            if by is not None:  # staff record a move only in a channel they sell through
                reach.check_channel(
                    by, code=named.code, channel_location_ids={*named.sell_from, *named.pickup_at}
                )
        order = load(session, order_id=order_id, access=access)
        if by is not None:
            reach.check_order(
                by,
                number=order.number,
                pickup_location_id=order.pickup_location_id,
                # A line cancelled in full takes nothing from its location any more.
                line_location_ids=order.live_locations(),
            )
        paid_with = payments.of_orders(session, order_ids=[order.id])[order.id]
        begun = lifecycle.begin(session, order=order, paid_with=paid_with, move=move)
        if not begun.remote:
            if then is not None:
                then(session, order)
            return OrderView(order, payments.of_orders(session, order_ids=[order.id])[order.id])
    answers = [payments.call(c) for c in begun.calls]
    with units() as session:
        order = load(session, order_id=order_id, access=access)
        error = lifecycle.end(session, order=order, move=move, answers=answers)
        if error is None and then is not None:
            then(session, order)
        view = OrderView(order, payments.of_orders(session, order_ids=[order.id])[order.id])
    if error is not None:
        raise error
    return view


@dataclass
class Settled:
    """What one run of `settle_payments` did."""

    recorded: int = 0
    expired: int = 0
    waiting: int = 0  # asked again, still unknown or unanswered: next run
    failures: int = 0


def settle_payments(
    units: Units, *, after: timedelta, expire_after: timedelta, limit: int = 100
) -> Settled:
    """Finish the provider calls that have been pending longer than `after` (a crash
    or an outage between the two transactions): ask the provider again and record
    its answer; an authorisation it never received is expired after `expire_after`,
    cancelling the order and giving its stock back."""
    out = Settled()
    with units() as session:
        stale = [
            (p.order_id, p.pending_since, payments.pending_call(p))
            for p in payments.in_flight(session, older_than=after, limit=limit)
        ]
    for order_id, since, call in stale:
        answer = payments.ask_again(call)
        expired = answer is None and since is not None and since <= utcnow() - expire_after
        if answer is None and not expired:
            out.waiting += 1
            continue
        if answer is None:
            answer = payments.Answer(
                call, ok=False, reached=False, message="Expired: no answer from the provider."
            )
        try:
            with units() as session:
                order = load(session, order_id=order_id, access=Access(staff=True))
                if call.kind is payments.PaymentOperationKind.AUTHORISE:
                    authorisation_answered(
                        session, order=order, answer=answer, actor=SETTLER, channel=None
                    )
                else:
                    change = payments.record(session, answer)
                    lifecycle.sync_payment_status(session, order)
                    if change.in_flight:
                        out.waiting += 1
                        continue
        except payments.PaymentAlreadySettled:
            continue  # the request recorded it meanwhile
        except DomainError as e:
            out.failures += 1
            log.warning("settling payment %s failed: %s", call.payment_id, e.detail)
            continue
        if expired:
            out.expired += 1
        else:
            out.recorded += 1
    return out


def _declined(message: str | None) -> payments.PaymentDeclined:
    return payments.PaymentDeclined(
        payments.clean(message) or "The payment was declined.",
    )


class ViewAnswer:
    """The answer of a checkout for callers that keep nothing about it (the demo
    loader, the CLI, tests): the order as it ends."""

    def begin(self, session: Session) -> None:
        return None

    def answer(self, session: Session, view: OrderView) -> OrderView:
        return view

    def refused(self, session: Session) -> None:
        return None
