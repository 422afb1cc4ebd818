"""What payments say about themselves: the events each operation records, and
provider words cleaned of anything like a card number."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from omnichannel.db import record_event
from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments.errors import field_error
from omnichannel.payments.models import Payment
from omnichannel.payments.providers import redact_card_numbers
from omnichannel.payments.rules import PaymentOperationKind, PaymentStatus

S = PaymentStatus
K = PaymentOperationKind

MESSAGE_LENGTH = 500  # payment_operations.message
MAX_REASON = 200


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
        "order_id": str(payment.order_id),
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
