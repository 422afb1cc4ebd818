"""The order's life: the state machine's moves and what each one does.

- Payment settled (authorised, due in person, or paid) → `confirmed`.
- `shipped` or `collected`: the goods leave, so the order's holds become sale
  movements and the payment is captured (pay-later orders when the cash is taken:
  collected, or delivered for cash on delivery).
- `cancelled` (whole or some lines): the holds are given back and the payment voided
  or refunded for what was cancelled.

A move the machine does not allow is a 409 naming the current state. Every move is a
row in `order_transitions`, an `order.<state>` event and an entry on the customer's
timeline.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from omnichannel.customers import service as customers
from omnichannel.db import record_event
from omnichannel.inventory import service as inventory
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import payments
from omnichannel.orders.errors import PaymentMoveRefused
from omnichannel.orders.models import Order, OrderLine
from omnichannel.orders.order_errors import OrderStateConflict
from omnichannel.orders.placing import event_payload, transition
from omnichannel.orders.rules import (
    HOLDS_STOCK,
    Fulfilment,
    OrderStatus,
    PaymentStatus,
    can_move,
)

S = OrderStatus

_TIMELINE = {
    S.COLLECTED: customers.TimelineType.ORDER_COLLECTED,
    S.CANCELLED: customers.TimelineType.ORDER_CANCELLED,
}
# Payment settled enough to go ahead with the order.
_SETTLED = frozenset({PaymentStatus.AUTHORISED, PaymentStatus.CAPTURED, PaymentStatus.DUE})


def _record(
    session: Session,
    order: Order,
    to: OrderStatus,
    *,
    actor: str,
    channel: str | None,
    reason: str | None = None,
    now: datetime,
) -> None:
    transition(session, order, to, actor=actor, channel=channel, reason=reason, now=now)
    if inspect(order).persistent:  # a new order (checkout) is written with its moves
        session.flush()
    record_event(
        session,
        aggregate_type="order",
        aggregate_id=order.id,
        sequence=order.version,
        type=f"order.{to.value}",
        payload=event_payload(order, channel=channel, reason=reason),
    )
    if order.customer_id is not None:
        customers.append_to_timeline(
            session,
            customer_id=order.customer_id,
            type=_TIMELINE.get(to, customers.TimelineType.ORDER_UPDATED),
            occurred_at=now,
            channel=channel,
            reference=order.number,
            data={"order_id": str(order.id), "status": to.value},
        )


def after_payment(session: Session, *, order: Order, actor: str, channel: str | None) -> None:
    """Confirm a freshly placed order whose payment is settled; a till sale also hands
    the goods over at once (collected, then completed)."""
    if order.payment_status not in _SETTLED:
        return  # waiting for a transfer: stays pending_payment
    now = utcnow()
    _record(session, order, S.CONFIRMED, actor=actor, channel=channel, now=now)
    if order.fulfilment == Fulfilment.CARRY_OUT:
        _goods_leave(session, order, now)
        _settle(session, order)
        _record(
            session,
            order,
            S.COLLECTED,
            actor=actor,
            channel=channel,
            reason="carried out at the till",
            now=now,
        )
        _record(session, order, S.COMPLETED, actor=actor, channel=channel, now=now)


def move(
    session: Session,
    *,
    order: Order,
    to: OrderStatus,
    actor: str,
    channel: str | None = None,
    reason: str | None = None,
) -> Order:
    """Move the order on (allocate, start fulfilment, ship, ready for pickup, deliver,
    collect, complete, cancel); 409 naming the current state if the move is not allowed."""
    current = OrderStatus(order.status)
    if not can_move(current, to):
        raise OrderStateConflict(
            f"Order {order.number} is {current.value}; it cannot become {to.value}.",
            current_status=current.value,
            target_status=to.value,
        )
    if to == S.CANCELLED:
        return cancel(session, order=order, actor=actor, channel=channel, reason=reason)
    if current == S.PENDING_PAYMENT and to == S.CONFIRMED:
        _require_settled(order)
    now = utcnow()
    if to == S.READY_FOR_PICKUP and order.fulfilment != Fulfilment.PICKUP:
        raise OrderStateConflict(
            f"Order {order.number} is for {order.fulfilment}, not pickup.",
            current_status=current.value,
        )
    if to == S.SHIPPED and order.fulfilment != Fulfilment.DELIVERY:
        raise OrderStateConflict(
            f"Order {order.number} is for {order.fulfilment}: it is collected, not shipped.",
            current_status=current.value,
        )
    if to in (S.SHIPPED, S.COLLECTED):
        _goods_leave(session, order, now)
    if to == S.SHIPPED and order.payment_status == PaymentStatus.AUTHORISED:
        _settle(session, order)
    if to in (S.COLLECTED, S.DELIVERED):
        _settle(session, order)
    _record(session, order, to, actor=actor, channel=channel, reason=reason, now=now)
    return order


def cancel(
    session: Session,
    *,
    order: Order,
    actor: str,
    channel: str | None = None,
    reason: str | None = None,
    line_nos: Collection[int] | None = None,
) -> Order:
    """Cancel the whole order, or some of its lines, before the goods leave: their holds
    are given back exactly and the payment voided or refunded for what was cancelled.
    Cancelling the last open line cancels the order."""
    current = OrderStatus(order.status)
    if current not in HOLDS_STOCK:
        raise OrderStateConflict(
            f"Order {order.number} is {current.value}; it can no longer be cancelled "
            "(a return takes goods back).",
            current_status=current.value,
        )
    open_lines = [ln for ln in order.lines if ln.cancelled < ln.quantity]
    if line_nos is not None:
        known = {ln.line_no for ln in open_lines}
        unknown = sorted(set(line_nos) - known)
        if unknown or not line_nos:
            raise InvalidInput(
                f"Order {order.number} has no open line {unknown[0] if unknown else ''}.".strip(),
                errors=[{"field": "lines", "message": "not an open line", "type": "unknown_line"}],
            )
        chosen = [ln for ln in open_lines if ln.line_no in set(line_nos)]
    else:
        chosen = open_lines
    now = utcnow()
    for line in chosen:
        _release(session, line, now)
        line.cancelled = line.quantity
    whole = len(chosen) == len(open_lines)
    refund = sum(ln.total for ln in chosen) + (order.delivery if whole else 0)
    _give_money_back(session, order, refund, whole=whole, reason=reason)
    if whole:
        _record(session, order, S.CANCELLED, actor=actor, channel=channel, reason=reason, now=now)
    else:
        order.changed(now)
        session.flush()
        record_event(
            session,
            aggregate_type="order",
            aggregate_id=order.id,
            sequence=order.version,
            type="order.lines_cancelled",
            payload=event_payload(
                order, channel=channel, lines=[ln.line_no for ln in chosen], refund=refund
            ),
        )
    return order


def open_amount(order: Order) -> int:
    """What the order still charges: its total less the lines cancelled."""
    return order.total - sum(ln.total for ln in order.lines if ln.cancelled == ln.quantity)


def _require_settled(order: Order) -> None:
    if order.payment_status not in _SETTLED:
        raise OrderStateConflict(
            f"Order {order.number} is not paid yet (payment {order.payment_status}).",
            current_status=order.status,
            payment_status=order.payment_status,
        )


def _release(session: Session, line: OrderLine, now: datetime) -> None:
    if line.reservation_id is not None:
        inventory.release(session, reservation_id=line.reservation_id, owner=None, now=now)


def _goods_leave(session: Session, order: Order, now: datetime) -> None:
    """The held goods become sales at their locations (each hold exactly once)."""
    for line in order.lines:
        if line.cancelled < line.quantity and line.reservation_id is not None:
            inventory.commit(
                session,
                reservation_id=line.reservation_id,
                owner=None,
                reference=order.number,
                now=now,
            )


def _settle(session: Session, order: Order) -> None:
    """Capture what the order still charges, once the goods are on their way or handed
    over: payment by payment (a gift card first, then the card), never more than each
    one covers; a provider refusing the capture stops the move (409, nothing changed)."""
    left = open_amount(order) - sum(p.captured - p.refunded for p in order.payments)
    for payment in order.payments:
        if left <= 0:
            break
        if payment.status in (PaymentStatus.AUTHORISED, PaymentStatus.DUE):
            amount = min(left, payment.amount - payment.captured)
            _succeeded(payments.capture(session, payment=payment, amount=amount), order)
            left -= amount


def _give_money_back(
    session: Session, order: Order, amount: int, *, whole: bool, reason: str | None
) -> None:
    """Void what was only promised (whole cancels) and refund what was taken, up to
    `amount`; a provider refusing stops the cancel (409, nothing changed)."""
    for payment in order.payments:
        if payment.status in (PaymentStatus.AUTHORISED, PaymentStatus.DUE, PaymentStatus.PENDING):
            if whole and payment.captured == 0:
                _succeeded(payments.void(session, payment=payment), order)
        elif payment.status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
            due = min(amount, payment.captured - payment.refunded)
            if due > 0:
                change = payments.refund(
                    session, payment=payment, amount=due, reason=reason or "order cancelled"
                )
                _succeeded(change, order)
                amount -= due


def _succeeded(change: payments.PaymentChange, order: Order) -> None:
    if not change.succeeded:
        raise PaymentMoveRefused(
            f"The payment provider refused to {change.kind} the payment of order "
            f"{order.number} ({change.message or 'no reason given'}); nothing was changed.",
            payment_status=change.status.value,
        )
