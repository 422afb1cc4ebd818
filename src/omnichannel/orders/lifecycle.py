"""The order's life: the state machine's moves and what each one does.

- Payment settled (authorised, due in person, or paid) → `confirmed`.
- `shipped` or `collected`: the goods leave, so the order's holds become sale
  movements and the payment is captured (pay-later orders when the cash is taken:
  collected, or delivered for cash on delivery).
- `cancelled` (whole or some lines): the holds are given back and the payment voided
  or refunded for what was cancelled.

A move that takes or gives back money is made in two transactions, never with a
provider call inside one (promise 8): `begin` checks the move and marks the calls it
needs pending on the payments; the caller commits and makes the calls; `end`, in a
second transaction, records the answers and, when every one said yes, makes the move
(`orders.flows` runs the three). A refusal leaves the order as it was (409); an
unanswered call stays pending for the worker (503). A move that needs no provider
(a transfer, cash, nothing to take) is made in the first transaction.

A move the machine does not allow is a 409 naming the current state. Every move is a
row in `order_transitions`, an `order.<state>` event and an entry on the customer's
timeline. The reason a person gives is free text, so personal data (promise 7): it is
kept sealed in the move's row only; the event says whether one was given, and the
payment provider is told only that the order was cancelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from omnichannel.customers import service as customers
from omnichannel.db import record_event
from omnichannel.inventory import service as inventory
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import DomainError, InvalidInput
from omnichannel.orders.charges import captures, money_back
from omnichannel.orders.errors import OrderStateConflict
from omnichannel.orders.models import Order, OrderAllocation, OrderLine
from omnichannel.orders.placing import event_payload, transition
from omnichannel.orders.rules import (
    CUSTOMER_CANCELLABLE,
    HOLDS_STOCK,
    LIVE_ALLOCATIONS,
    AllocationStatus,
    Fulfilment,
    OrderStatus,
    can_move,
)
from omnichannel.payments import service as payments
from omnichannel.pricing import service as pricing

S = OrderStatus
LEAVING = frozenset({S.SHIPPED, S.PARTIALLY_SHIPPED, S.COLLECTED})  # the goods leave

_TIMELINE = {
    S.COLLECTED: customers.TimelineType.ORDER_COLLECTED,
    S.CANCELLED: customers.TimelineType.ORDER_CANCELLED,
}


@dataclass(frozen=True, slots=True)
class Move:
    """A move asked for: where to, by whom, and for a cancel, which lines."""

    to: OrderStatus
    actor: str
    channel: str | None = None
    reason: str | None = None
    line_nos: Collection[int] | None = None  # a cancel of these lines only
    by_customer: bool = False  # the customer themself (cancels only before fulfilment)
    # Goods leaving: only these allocations leave (one shipment of several); None: all.
    allocation_ids: Collection[uuid.UUID] | None = None
    # Goods leaving: what the payments should have taken once they have left (a
    # shipment's share, cumulative, so a retry after a crash takes nothing twice);
    # None: everything the order still charges.
    capture_up_to: int | None = None


@dataclass(slots=True)
class Begun:
    """What `begin` decided: the calls to make before the move can end (none: it is
    made already)."""

    calls: list[payments.Call] = field(default_factory=list)

    @property
    def remote(self) -> bool:
        return any(c.remote for c in self.calls)


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
        payload=event_payload(order, channel=channel, reason_given=reason is not None),
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
    """Confirm a placed order whose payment is settled; a till sale also hands the
    goods over at once (collected, then completed: it was paid in full at the till)."""
    if order.payment_status not in payments.SETTLED:
        return  # waiting for a transfer or an authorisation: stays pending_payment
    now = utcnow()
    _record(session, order, S.CONFIRMED, actor=actor, channel=channel, now=now)
    if order.fulfilment == Fulfilment.CARRY_OUT:
        _goods_leave(session, order, now)
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


def begin(
    session: Session, *, order: Order, paid_with: Sequence[payments.Payment], move: Move
) -> Begun:
    """Check the move (409 naming the current state when the machine refuses it) and
    decide the payment calls it needs, marked pending; with none that goes out to a
    provider, record them and make the move now."""
    to = _check(order, move)
    if to == S.CANCELLED:
        chosen, whole = _cancelled_lines(order, move.line_nos)
        refund = sum(ln.total for ln in chosen) + (order.delivery if whole else 0)
        calls = money_back(session, paid_with, refund, whole=whole)
    else:
        calls = captures(session, order, paid_with, to, move.capture_up_to)
    begun = Begun(calls)
    if not begun.remote:
        error = end(session, order=order, move=move, answers=[payments.call(c) for c in calls])
        if error is not None:  # offline moves are records: they cannot be refused
            raise error
    return begun


def advance(session: Session, *, order: Order, move: Move) -> None:
    """Make a move that takes and gives back no money (allocated, in fulfilment, ready
    for pickup), in the caller's transaction; 409 when the machine refuses it."""
    if move.to not in (S.ALLOCATED, S.IN_FULFILMENT, S.READY_FOR_PICKUP):
        raise ValueError(f"{move.to} may move money: use begin and end")
    begin(session, order=order, paid_with=(), move=move)


def end(
    session: Session, *, order: Order, move: Move, answers: Sequence[payments.Answer]
) -> DomainError | None:
    """Record the answers to the move's calls and, when every one said yes, make the
    move; otherwise the error to raise once this transaction (which keeps the answers)
    has committed."""
    changes = [payments.record(session, a) for a in answers]
    sync_payment_status(session, order)
    unanswered = [c for c in changes if c.in_flight]
    if unanswered:
        return payments.provider_unavailable(unanswered[0].payment.provider)
    refused = [c for c in changes if not c.succeeded]
    if refused:
        c = refused[0]
        return payments.PaymentMoveRefused(
            f"The payment provider refused to {c.kind.value} the payment of order "
            f"{order.number} ({c.message or 'no reason given'}); the order was not changed.",
            payment_status=c.status.value,
        )
    to = _check(order, move)
    if to == S.CANCELLED:
        _cancel(session, order, move)
        return None
    now = utcnow()
    if to in LEAVING:
        leaving = (
            order.allocations
            if move.allocation_ids is None
            else [a for a in order.allocations if a.id in set(move.allocation_ids)]
        )
        goods_leave(session, order, leaving, now)
    _record(session, order, to, actor=move.actor, channel=move.channel, reason=move.reason, now=now)
    return None


def cancel_unpaid(session: Session, *, order: Order, actor: str, reason: str) -> None:
    """Cancel an order whose payment never went through (declined, or never answered):
    its stock and its promotions' uses are given back; nothing was taken, so nothing
    is refunded."""
    _cancel(session, order, Move(S.CANCELLED, actor=actor, reason=reason))
    pricing.release(session, order_ref=order.number)


def sync_payment_status(
    session: Session, order: Order, *, paid_with: list[payments.Payment] | None = None
) -> list[payments.Payment]:
    """Set the order's payment status from all its payments (read, unless the caller
    has them all); returns them. Written with the order's next flush."""
    if paid_with is None:
        paid_with = payments.of_orders(session, order_ids=[order.id])[order.id]
    status = payments.status_of(paid_with)
    if order.payment_status != status.value:
        order.payment_status = status.value
        order.changed(utcnow())
    return paid_with


# --- the parts of a move ------------------------------------------------------------------


def _check(order: Order, move: Move) -> OrderStatus:
    current, to = OrderStatus(order.status), move.to
    if not can_move(current, to):
        raise OrderStateConflict(
            f"Order {order.number} is {current.value}; it cannot become {to.value}.",
            current_status=current.value,
            target_status=to.value,
        )
    if to == S.CANCELLED:
        if move.by_customer and current not in CUSTOMER_CANCELLABLE:
            raise OrderStateConflict(
                f"Order {order.number} is {current.value}: ask customer service to cancel it.",
                current_status=current.value,
            )
        if current not in HOLDS_STOCK:
            raise OrderStateConflict(
                f"Order {order.number} is {current.value}; it can no longer be cancelled "
                "(a return takes goods back).",
                current_status=current.value,
            )
        return to
    if (
        current == S.PENDING_PAYMENT
        and to == S.CONFIRMED
        and order.payment_status not in payments.SETTLED
    ):
        raise OrderStateConflict(
            f"Order {order.number} is not paid yet (payment {order.payment_status}).",
            current_status=order.status,
            payment_status=order.payment_status,
        )
    if to == S.READY_FOR_PICKUP and order.fulfilment != Fulfilment.PICKUP:
        raise OrderStateConflict(
            f"Order {order.number} is for {order.fulfilment}, not pickup.",
            current_status=current.value,
        )
    if to in (S.SHIPPED, S.PARTIALLY_SHIPPED) and order.fulfilment != Fulfilment.DELIVERY:
        raise OrderStateConflict(
            f"Order {order.number} is for {order.fulfilment}: it is collected, not shipped.",
            current_status=current.value,
        )
    return to


def _cancelled_lines(
    order: Order, line_nos: Collection[int] | None
) -> tuple[list[OrderLine], bool]:
    """The open lines a cancel takes, and whether they are all that is left."""
    open_lines = [ln for ln in order.lines if ln.cancelled < ln.quantity]
    if line_nos is None:
        return open_lines, True
    known = {ln.line_no for ln in open_lines}
    unknown = sorted(set(line_nos) - known)
    if unknown or not line_nos:
        raise InvalidInput(
            f"Order {order.number} has no open line {unknown[0] if unknown else ''}.".strip(),
            errors=[{"field": "lines", "message": "not an open line", "type": "unknown_line"}],
        )
    chosen = [ln for ln in open_lines if ln.line_no in set(line_nos)]
    return chosen, len(chosen) == len(open_lines)


def _cancel(session: Session, order: Order, move: Move) -> None:
    """Give the holds of the cancelled lines back exactly and record the cancel;
    cancelling the last open line cancels the order."""
    chosen, whole = _cancelled_lines(order, move.line_nos)
    now = utcnow()
    line_nos = {ln.line_no for ln in chosen}
    give_back(session, order, [a for a in order.allocations if a.line_no in line_nos], now)
    for line in chosen:
        line.cancelled = line.quantity
    if whole:
        _record(
            session,
            order,
            S.CANCELLED,
            actor=move.actor,
            channel=move.channel,
            reason=move.reason,
            now=now,
        )
        return
    record_change(
        session,
        order,
        "order.lines_cancelled",
        now,
        channel=move.channel,
        lines=[ln.line_no for ln in chosen],
        refund=sum(ln.total for ln in chosen),
    )


def record_change(
    session: Session, order: Order, type_: str, now: datetime, **payload: Any
) -> None:
    """Count a change of the order that is not a move of its state (some lines
    cancelled, units re-routed) and record its event."""
    order.changed(now)
    session.flush()
    record_event(
        session,
        aggregate_type="order",
        aggregate_id=order.id,
        sequence=order.version,
        type=type_,
        payload=event_payload(order, **payload),
    )


def _goods_leave(session: Session, order: Order, now: datetime) -> None:
    """Every held unit of the order becomes a sale at its location."""
    goods_leave(session, order, order.allocations, now)


def goods_leave(
    session: Session, order: Order, allocations: Iterable[OrderAllocation], now: datetime
) -> None:
    """These allocations' held goods become sales at their locations (each hold
    exactly once: two lines of one variant at one location share it)."""
    done: set[uuid.UUID] = set()
    for allocation in allocations:
        if allocation.status != AllocationStatus.HELD:
            continue
        hold = allocation.reservation_id
        if hold is not None and hold not in done:
            inventory.commit(
                session, reservation_id=hold, owner=None, reference=order.number, now=now
            )
            done.add(hold)
        allocation.status = AllocationStatus.LEFT
        allocation.updated_at = now


def give_back(
    session: Session, order: Order, allocations: Iterable[OrderAllocation], now: datetime
) -> None:
    """These allocations' units are no longer the order's: held ones go back on sale at
    their location; ones in transit go on sale where the transfer arrives."""
    done: set[uuid.UUID] = set()
    for allocation in allocations:
        if allocation.status not in LIVE_ALLOCATIONS:
            continue
        hold = allocation.reservation_id
        if allocation.status == AllocationStatus.HELD and hold is not None and hold not in done:
            inventory.release(session, reservation_id=hold, owner=None, now=now)
            done.add(hold)
        allocation.status = AllocationStatus.RELEASED
        allocation.updated_at = now
