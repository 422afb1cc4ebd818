"""What payments say about themselves: the order's one payment status, the events
each operation records, and provider words cleaned of anything like a card number."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from omnichannel.db import record_event
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders.errors import field_error
from omnichannel.orders.models import Order, Payment
from omnichannel.orders.providers import redact_card_numbers
from omnichannel.orders.rules import PaymentOperationKind, PaymentStatus

S = PaymentStatus
K = PaymentOperationKind

# No longer standing: they count for nothing in the order's status.
DEAD = frozenset({S.VOIDED, S.FAILED})
MESSAGE_LENGTH = 500  # payment_operations.message
MAX_REASON = 200


def payment_status_of(payments: Iterable[Payment]) -> PaymentStatus:
    """One status for an order from all its payments: refunds first, then the least
    advanced of those still standing (pending < due < authorised < captured).
    Voided and failed payments count only when nothing else stands."""
    every = list(payments)
    live = [p for p in every if S(p.status) not in DEAD]
    if not live:
        if not every:
            return S.PENDING
        return S.VOIDED if any(S(p.status) is S.VOIDED for p in every) else S.FAILED
    captured = sum(p.captured for p in live)
    refunded = sum(p.refunded for p in live)
    if refunded:
        return S.REFUNDED if refunded >= captured else S.PARTIALLY_REFUNDED
    statuses = {S(p.status) for p in live}
    for status in (S.PENDING, S.DUE, S.AUTHORISED):
        if status in statuses:
            return status
    return S.CAPTURED


def clean(message: str | None) -> str | None:
    """A provider's words, with nothing like a card number in them."""
    return redact_card_numbers(message)[:MESSAGE_LENGTH] if message else None


_TYPES = {
    K.AUTHORISE: "payment.authorised",
    K.CAPTURE: "payment.captured",
    K.VOID: "payment.voided",
    K.REFUND: "payment.refunded",
}
_STARTED_TYPES = {S.PENDING: "payment.pending", S.DUE: "payment.due"}


def record(
    session: Session,
    payment: Payment,
    order: Order,
    kind: PaymentOperationKind,
    amount: int,
    ok: bool,
    *,
    sequence: int,
    message: str | None,
    reason: str | None = None,
) -> None:
    if not ok:
        type_ = "payment.failed"
    elif kind is K.AUTHORISE:
        type_ = _STARTED_TYPES.get(S(payment.status), _TYPES[kind])
    else:
        type_ = _TYPES[kind]
    payload: dict[str, Any] = {
        "payment_id": str(payment.id),
        "order_id": str(order.id),
        "order_number": order.number,
        "operation": kind.value,
        "succeeded": ok,
        "amount": amount,
        "currency": payment.currency,
        "method": payment.method,
        "provider": payment.provider,
        "provider_ref": payment.provider_ref,
        "status": payment.status,
        "authorised": payment.amount,
        "captured": payment.captured,
        "refunded": payment.refunded,
        "order_payment_status": order.payment_status,
        "message": clean(message),
    }
    if reason is not None:
        payload["reason"] = reason
    record_event(
        session,
        aggregate_type="payment",
        aggregate_id=payment.id,
        sequence=sequence,
        type=type_,
        payload=payload,
    )


def refund_reason(reason: str) -> str:
    cleaned = redact_card_numbers(" ".join(reason.split()))
    if not cleaned or len(cleaned) > MAX_REASON:
        raise InvalidInput(
            f"A refund needs a reason of 1 to {MAX_REASON} characters.",
            errors=[field_error("reason", f"1 to {MAX_REASON} characters", "string_length")],
        )
    return cleaned
