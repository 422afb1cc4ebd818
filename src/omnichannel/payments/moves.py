"""What every move of a payment shares: whether the payment allows it now, what it
does to the amounts, the pending call on the row, the operation that records it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CursorResult, Table
from sqlalchemy.orm.attributes import set_committed_value

from omnichannel.kernel import new_id
from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments import events
from omnichannel.payments.errors import PaymentAmountExceeded, field_error, move_refused
from omnichannel.payments.models import Payment, PaymentOperation
from omnichannel.payments.rules import (
    CAN_CAPTURE,
    CAN_REFUND,
    CAN_VOID,
    PaymentMethod,
    PaymentOperationKind,
    PaymentStatus,
)

S = PaymentStatus
K = PaymentOperationKind

_REF = 128  # payments.provider_ref
PENDING = ("pending_kind", "pending_amount", "pending_key", "pending_reason", "pending_since")
PAYMENTS: Table = Payment.__table__  # type: ignore[assignment]


def changed(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def allowed(payment: Payment, kind: PaymentOperationKind, amount: int | None) -> int:
    """The amount the move would move, if the payment allows it now; 409 otherwise."""
    status = S(payment.status)
    if kind is K.CAPTURE:
        left = payment.amount - payment.captured
        if status not in CAN_CAPTURE or left == 0:
            raise move_refused(payment.status, payment.captured, payment.amount, "capture")
        wanted = left if amount is None else positive(amount)
        if wanted > left:
            raise PaymentAmountExceeded(
                f"Only {left} of the payment is left to capture; it is {payment.status}.",
                errors=[field_error("amount", f"at most {left}", "less_than_equal")],
                payment_status=payment.status,
            )
        return wanted
    if kind is K.VOID:
        if status not in CAN_VOID or payment.captured:
            raise move_refused(payment.status, payment.captured, payment.amount, "void")
        return payment.amount
    if kind is K.REFUND:
        wanted = positive(amount if amount is not None else 0)
        if status not in CAN_REFUND:
            raise move_refused(payment.status, payment.captured, payment.amount, "refund")
        left = payment.captured - payment.refunded
        if wanted > left:
            raise PaymentAmountExceeded(
                f"Only {left} of the payment is left to refund; it is {payment.status}.",
                errors=[field_error("amount", f"at most {left}", "less_than_equal")],
                payment_status=payment.status,
            )
        return wanted
    raise move_refused(payment.status, payment.captured, payment.amount, kind.value)


def apply(payment: Payment, kind: PaymentOperationKind, amount: int) -> None:
    if kind is K.CAPTURE:
        payment.captured += amount
        payment.status = (S.PARTIALLY_REFUNDED if payment.refunded else S.CAPTURED).value
    elif kind is K.VOID:
        payment.status = S.VOIDED.value
    elif kind is K.REFUND:
        payment.refunded += amount
        done = payment.refunded == payment.captured
        payment.status = (S.REFUNDED if done else S.PARTIALLY_REFUNDED).value


def set_pending(
    payment: Payment,
    kind: PaymentOperationKind,
    amount: int,
    key: uuid.UUID,
    reason: str | None,
    now: datetime,
    *,
    committed: bool = False,
) -> None:
    values = {
        "pending_kind": kind.value,
        "pending_amount": amount,
        "pending_key": key,
        "pending_reason": reason,
        "pending_since": now,
    }
    if committed:  # written by the caller's UPDATE already: only keep the object true
        for name, value in values.items():
            set_committed_value(payment, name, value)
        return
    for name, value in values.items():
        setattr(payment, name, value)


def operation_row(
    payment: Payment,
    kind: PaymentOperationKind,
    amount: int,
    ok: bool,
    reference: str | None,
    message: str | None,
    now: datetime,
) -> PaymentOperation:
    return PaymentOperation(
        id=new_id(),
        payment_id=payment.id,
        kind=kind.value,
        amount=amount,
        succeeded=ok,
        provider_ref=reference,
        message=message[: events.MESSAGE_LENGTH] if message else None,
        at=now,
    )


def method_of(method: PaymentMethod | str) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        raise InvalidInput(
            f"Unknown payment method {method!r}.",
            errors=[field_error("method", "unknown payment method", "enum")],
        ) from None


def positive(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(
            "The amount is a positive integer of minor units.",
            errors=[field_error("amount", "must be a positive integer", "greater_than")],
        )
    return amount


def kept_reference(reference: str | None) -> str | None:
    # A provider's id is not card data: it is kept as given (a numeric one may well
    # pass the Luhn check), but one too long to keep is dropped rather than cut.
    return reference if reference is not None and len(reference) <= _REF else None
