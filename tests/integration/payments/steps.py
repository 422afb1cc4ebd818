"""The steps of a payment as a request takes them, each in its own transaction, and
what the database holds about it afterwards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.db import OutboxEvent
from omnichannel.orders.models import Order
from omnichannel.payments import sandbox
from omnichannel.payments.models import Payment, PaymentOperation
from omnichannel.payments.providers import SANDBOX
from omnichannel.payments.rules import (
    PaymentMethod,
    PaymentOperationKind,
    PaymentStatus,
    status_of,
)
from omnichannel.payments.service import (
    PaymentChange,
    call,
    of_orders,
    open_payment,
    record,
    request,
)

M = PaymentMethod


def pay(
    session: Session,
    order: Order,
    method: PaymentMethod = M.CARD,
    token: str | None = sandbox.OK,
    amount: int | None = None,
    *,
    provider: str = SANDBOX,
    capture: bool = False,
) -> Payment:
    """Open a payment of the order and commit; for a method a provider holds money
    for, ask it with no transaction open and record its answer in a second one."""
    payment, c = open_payment(
        session,
        order_id=order.id,
        order_number=order.number,
        method=method,
        amount=order.total if amount is None else amount,
        currency=order.currency,
        token=token,
        provider=provider,
        capture=capture,
    )
    session.commit()
    if c is not None:
        record(session, call(c))
        session.commit()
    return payment


def move(
    session: Session,
    payment: Payment,
    kind: PaymentOperationKind,
    amount: int | None = None,
    reason: str | None = None,
) -> PaymentChange:
    """Request a capture, void or refund and commit; make the call; record the answer
    and commit."""
    c = request(session, payment=payment, kind=kind, amount=amount, reason=reason)
    session.commit()
    change = record(session, call(c))
    session.commit()
    return change


def order_status(session: Session, order: Order) -> PaymentStatus:
    """The one payment status of the order, from its payments as stored."""
    return status_of(of_orders(session, order_ids=[order.id])[order.id])


def operations(session: Session, payment: Payment) -> list[tuple[str, int, bool]]:
    rows = session.execute(
        select(PaymentOperation.kind, PaymentOperation.amount, PaymentOperation.succeeded)
        .where(PaymentOperation.payment_id == payment.id)
        .order_by(PaymentOperation.at, PaymentOperation.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def events(session: Session, payment: Payment) -> list[tuple[int, str, dict[str, Any]]]:
    rows = session.execute(
        select(OutboxEvent.sequence, OutboxEvent.type, OutboxEvent.payload)
        .where(OutboxEvent.aggregate_type == "payment", OutboxEvent.aggregate_id == str(payment.id))
        .order_by(OutboxEvent.sequence)
    )
    return [tuple(r) for r in rows]


def counts(session: Session) -> tuple[int, int, int]:
    """Payments, operations and events on record."""
    return (
        session.scalar(select(func.count()).select_from(Payment)) or 0,
        session.scalar(select(func.count()).select_from(PaymentOperation)) or 0,
        session.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
    )


def amounts(p: Payment) -> tuple[str, int, int, int]:
    return (p.status, p.amount, p.captured, p.refunded)
