"""What a move of an order takes or gives back: the payment calls it needs.

Goods leaving capture what the order still charges (or, for one parcel of several,
up to its share); a cancel voids what was only promised and refunds what was taken.
Each call is marked pending on its payment here and made by the caller, outside any
transaction (promise 8).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from omnichannel.orders.models import Order
from omnichannel.orders.rules import OrderStatus
from omnichannel.payments import service as payments

S = OrderStatus
P = payments.PaymentStatus
K = payments.PaymentOperationKind


def open_amount(order: Order) -> int:
    """What the order still charges: its total less the lines cancelled."""
    return order.total - sum(ln.total for ln in order.lines if ln.cancelled == ln.quantity)


def captures(
    session: Session,
    order: Order,
    paid_with: Sequence[payments.Payment],
    to: OrderStatus,
    up_to: int | None = None,
) -> list[payments.Call]:
    """What to capture when the goods leave (shipped: an authorised payment;
    collected or delivered: what is due too): what the order still charges (or, for
    one shipment of several, up to its share), payment by payment (a gift card
    first, then the card), never more than each one covers."""
    if to not in (S.SHIPPED, S.PARTIALLY_SHIPPED, S.COLLECTED, S.DELIVERED):
        return []
    # A payment one shipment took part of is captured, with the rest still to take.
    takes = {P.AUTHORISED, P.CAPTURED}
    if to not in (S.SHIPPED, S.PARTIALLY_SHIPPED):
        takes.add(P.DUE)
    target = open_amount(order) if up_to is None else min(up_to, open_amount(order))
    left = target - sum(p.captured - p.refunded for p in paid_with)
    calls = []
    for payment in paid_with:
        if left <= 0:
            break
        if P(payment.status) in takes:
            amount = min(left, payment.amount - payment.captured)
            if amount <= 0:
                continue
            calls.append(payments.request(session, payment=payment, kind=K.CAPTURE, amount=amount))
            left -= amount
    return calls


def money_back(
    session: Session,
    paid_with: Sequence[payments.Payment],
    amount: int,
    *,
    whole: bool,
) -> list[payments.Call]:
    """Void what was only promised (whole cancels) and refund what was taken, up to
    `amount`. The refund's reason is a fixed text, never the one a person typed: the
    payment records and events keep it in plain text and it goes to the provider."""
    calls = []
    for payment in paid_with:
        status = P(payment.status)
        if status in (P.AUTHORISED, P.DUE, P.PENDING):
            if whole and payment.captured == 0:
                calls.append(payments.request(session, payment=payment, kind=K.VOID))
        elif status in (P.CAPTURED, P.PARTIALLY_REFUNDED):
            due = min(amount, payment.captured - payment.refunded)
            if due > 0:
                calls.append(
                    payments.request(
                        session,
                        payment=payment,
                        kind=K.REFUND,
                        amount=due,
                        reason="order cancelled",
                    )
                )
                amount -= due
        elif status is P.AUTHORISING:
            raise payments.PaymentInProgress(
                f"The payment of order {payment.order_id} is being authorised; try again shortly.",
                retry_after=1,
            )
    return calls
