"""Step 3 of a payment's move: the provider's answer recorded in a second short
transaction, once (see `payments.operations` for the steps before it); and an
awaited transfer confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from omnichannel.kernel import new_id, utcnow
from omnichannel.payments import events
from omnichannel.payments.calls import UNANSWERED, Answer, Call
from omnichannel.payments.errors import PaymentAlreadySettled, PaymentNotFound, move_refused
from omnichannel.payments.models import Payment
from omnichannel.payments.moves import (
    PAYMENTS,
    PENDING,
    apply,
    changed,
    kept_reference,
    operation_row,
    set_pending,
)
from omnichannel.payments.queries import get_payment
from omnichannel.payments.rules import STARTED, PaymentOperationKind, PaymentStatus

S = PaymentStatus
K = PaymentOperationKind


@dataclass(frozen=True, slots=True)
class PaymentChange:
    """What one recorded answer did to its payment."""

    payment: Payment
    kind: PaymentOperationKind
    amount: int  # asked for; moved only if `succeeded`
    succeeded: bool  # False: the provider said no, and nothing but the operation changed
    previous_status: PaymentStatus
    status: PaymentStatus
    message: str | None
    in_flight: bool = False  # the provider did not answer: the call stays pending


def record(session: Session, answer: Answer, *, give_up: bool = False) -> PaymentChange:
    """Keep the provider's answer and clear the pending call; 409
    `payment_already_settled` when another transaction recorded it first.

    An unreached provider leaves a capture, void or refund pending for `settle` (the
    caller gets a 503), unless `give_up`; an unanswered authorisation fails at once
    and leaves a void pending in its place (see the module docstring)."""
    c = answer.call
    payment = _take(session, c)
    previous = S(payment.status)
    now = utcnow()
    ok = answer.ok
    if not answer.reached and not give_up and c.kind is not K.AUTHORISE:
        set_pending(payment, c.kind, c.amount, c.key, c.reason, now)  # still in flight
        session.flush()
        return PaymentChange(
            payment, c.kind, c.amount, False, previous, previous, UNANSWERED, in_flight=True
        )
    if c.kind is K.AUTHORISE:
        status = answer.status if ok and answer.status in STARTED else None
        if status is None:
            ok = False
            payment.status = S.FAILED.value
            if not answer.reached and not give_up:  # it may yet have been taken
                set_pending(payment, K.VOID, c.amount, new_id(), None, now)
        else:
            payment.status = status.value
            payment.provider_ref = kept_reference(answer.reference)
            payment.captured = c.amount if status is S.CAPTURED else 0
    elif ok and not (c.kind is K.VOID and S(payment.status) is S.FAILED):
        apply(payment, c.kind, c.amount)  # (a failed one stays failed once released)
    message = " | ".join(m for m in (c.reason, events.clean(answer.message)) if m) or None
    op_kind = K.CAPTURE if c.kind is K.AUTHORISE and S(payment.status) is S.CAPTURED else c.kind
    payment.operations.append(
        operation_row(
            payment, op_kind, c.amount, ok, kept_reference(answer.reference), message, now
        )
    )
    payment.updated_at = now
    session.flush()
    sequence = len(payment.operations)  # every operation is loaded: `_take`
    events.record(
        session,
        payment,
        op_kind,
        c.amount,
        ok,
        sequence=sequence or 1,
        message=message,
        reason=c.reason,
    )
    return PaymentChange(payment, op_kind, c.amount, ok, previous, S(payment.status), message)


def confirm_transfer(
    session: Session, *, payment: Payment, received: bool = True, note: str | None = None
) -> PaymentChange:
    """Record the provider's notice that an awaited transfer arrived (captured in
    full) or never will (failed). 409 unless the payment is pending."""
    status = S.CAPTURED if received else S.FAILED
    moved = session.execute(
        update(PAYMENTS)
        .where(
            PAYMENTS.c.id == payment.id,
            PAYMENTS.c.status == S.PENDING.value,
            PAYMENTS.c.pending_kind.is_(None),
        )
        .values(
            status=status.value,
            captured=payment.amount if received else 0,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if changed(moved) != 1:
        raise move_refused(
            payment.status, payment.captured, payment.amount, "confirm a transfer for"
        )
    payment = get_payment(session, payment_id=payment.id)
    message = events.clean(note) or ("Transfer received" if received else "Transfer not received")
    payment.operations.append(
        operation_row(payment, K.CAPTURE, payment.amount, received, None, message, utcnow())
    )
    session.flush()
    events.record(
        session,
        payment,
        K.CAPTURE,
        payment.amount,
        received,
        sequence=len(payment.operations),
        message=message,
    )
    return PaymentChange(payment, K.CAPTURE, payment.amount, received, S.PENDING, status, message)


def _take(session: Session, c: Call) -> Payment:
    """Clear the pending call `c` (one conditional UPDATE) and load the payment as it
    is now; 409 if the call was recorded already."""
    cleared = session.execute(
        update(PAYMENTS)
        .where(PAYMENTS.c.id == c.payment_id, PAYMENTS.c.pending_key == c.key)
        .values(
            pending_kind=None,
            pending_amount=None,
            pending_key=None,
            pending_reason=None,
            pending_since=None,
        )
        .execution_options(synchronize_session=False)
    )
    if changed(cleared) != 1:
        raise PaymentAlreadySettled(
            f"The {c.kind.value} of payment {c.payment_id} was recorded already."
        )
    # While a call is pending nothing else moves the payment (`request` and
    # `confirm_transfer` refuse), so a copy this session holds is as good as a read.
    payment = session.get(Payment, c.payment_id)
    if payment is None:
        raise PaymentNotFound(f"Payment {c.payment_id} does not exist.")
    if "operations" in inspect(payment).unloaded:
        session.refresh(payment, ["operations"])
    for name in PENDING:
        set_committed_value(payment, name, None)
    return payment
