"""Starting a payment and moving it (capture, void, refund), never with a provider
call inside a database transaction (promise 8).

Every move that needs a provider is three steps, and the caller owns the two
transactions around the call:

1. `open_payment` or `request`, in the caller's transaction: check the move against
   what the payment holds now and mark it *pending* on the payment with one
   conditional UPDATE. One call is in flight per payment at a time, so two staff
   refunding at once cannot refund twice: the second gets 409 `payment_in_progress`.
   The caller commits.
2. `call`, with no transaction open: ask the provider, under the call's idempotency
   key (the payment id for an authorisation, a fresh key for anything else).
3. `record`, in a second short transaction: keep the answer (an operation row; the
   payment's amounts and status on a yes; an event) and clear the pending call.
   Only the transaction that clears the call records it, so an answer is never
   recorded twice.

A provider that cannot be reached leaves the call pending: `settle` asks again
later under the same key (an authorisation is looked up; it cannot be repeated
without the token, which is never stored). An unanswered authorisation is recorded
as failed at once (the order it pays does not wait) and a void is left pending in
its place, so that one the provider did take is released when it answers again.

Payments of offline methods (cash, cash on delivery, pay at pickup, transfers,
marketplace settlements) involve no provider: their moves are records of what
people did, made in one transaction (`Call.remote` is False).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, Table, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from omnichannel.db.bulk import insert_new
from omnichannel.kernel import new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments import events
from omnichannel.payments.calls import UNANSWERED, Answer, Call
from omnichannel.payments.errors import (
    PaymentAlreadySettled,
    PaymentAmountExceeded,
    PaymentInProgress,
    PaymentMethodUnsupported,
    PaymentNotFound,
    field_error,
    move_refused,
)
from omnichannel.payments.models import Payment, PaymentOperation
from omnichannel.payments.providers import (
    AuthoriseRequest,
    check_currency,
    check_token,
    provider_for,
)
from omnichannel.payments.queries import get_payment
from omnichannel.payments.rules import (
    CAN_CAPTURE,
    CAN_REFUND,
    CAN_VOID,
    OFFLINE_START,
    STARTED,
    PaymentMethod,
    PaymentOperationKind,
    PaymentStatus,
    needs_provider,
)
from omnichannel.payments.stored_value_provider import (
    STORED_VALUE,
    check_spender,
    provider_for_payment,
)

S = PaymentStatus
K = PaymentOperationKind

_REF = 128  # payments.provider_ref
_PENDING = ("pending_kind", "pending_amount", "pending_key", "pending_reason", "pending_since")
_payments: Table = Payment.__table__  # type: ignore[assignment]


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


# --- step 1: decide, in the caller's transaction ------------------------------------------


def open_payment(
    session: Session,
    *,
    order_id: uuid.UUID,
    order_number: str,
    method: PaymentMethod | str,
    amount: int,
    currency: str,
    token: str | None = None,
    provider: str | None = None,
    capture: bool = False,
    now: datetime | None = None,
    customer_id: uuid.UUID | None = None,
) -> tuple[Payment, Call | None]:
    """A new payment of an order (added to the session, not flushed) and, for a
    method a provider holds money for, the authorisation to ask for once the
    transaction commits (with `capture`, taken at once: a sale at a till). An
    offline method starts as it says (due, awaiting a transfer, paid in cash) with
    its first operation and event. Without a `provider`, the token decides
    (`provider_for_payment`); store credit is spent only by its `customer_id`."""
    method = _method(method)
    provider = provider or provider_for_payment(method, token)
    amount = _positive(amount)
    check_currency(currency)  # an offline payment is never checked by a provider's request
    now = now or utcnow()
    payment_id = new_id()
    payment = Payment(
        id=payment_id,
        order_id=order_id,
        method=method.value,
        provider=provider,
        currency=currency,
        amount=amount,
        captured=0,
        refunded=0,
        created_at=now,
        updated_at=now,
    )
    if not needs_provider(method):
        status, message = OFFLINE_START[method]
        if method is PaymentMethod.BANK_TRANSFER:
            message = f"{message}; title: {order_number}"
        kind = K.CAPTURE if status is S.CAPTURED else K.AUTHORISE
        payment.status = status.value
        payment.captured = amount if status is S.CAPTURED else 0
        payment.operations = [_operation(payment, kind, amount, True, None, message, now)]
        session.add(payment)
        events.record(session, payment, kind, amount, True, sequence=1, message=message)
        return payment, None
    psp = provider_for(provider)
    if method not in psp.methods:
        raise PaymentMethodUnsupported(
            f"Provider {psp.name} does not take {method.value} payments.",
            errors=[field_error("method", f"not offered by {psp.name}", "unsupported")],
        )
    if not token:
        raise InvalidInput(
            f"A {method.value} payment needs the token from the provider's form.",
            errors=[field_error("token", "required for this method", "missing")],
        )
    check_token(token)
    if provider == STORED_VALUE:
        check_spender(session, token=token, customer_id=customer_id)
    request = AuthoriseRequest(
        reference=str(payment_id),
        method=method,
        amount=amount,
        currency=currency,
        token=token,
        description=f"Order {order_number}",
        capture=capture,
    )
    payment.status = S.AUTHORISING.value
    payment.operations = []
    _set_pending(payment, K.AUTHORISE, amount, payment_id, None, now)
    session.add(payment)
    call = Call(payment_id, provider, K.AUTHORISE, amount, payment_id, True, authorise=request)
    return payment, call


def request(
    session: Session,
    *,
    payment: Payment,
    kind: PaymentOperationKind,
    amount: int | None = None,
    reason: str | None = None,
) -> Call:
    """Decide a capture (all that is left, or `amount`), a void or a refund of
    `amount` (with a reason) against what the payment holds now, and mark it pending;
    409 when the move is not possible or another is in flight."""
    if kind is K.REFUND:
        reason = events.refund_reason(reason or "")
    wanted = _allowed(payment, kind, amount)
    remote = needs_provider(PaymentMethod(payment.method))
    key, now = new_id(), utcnow()
    claimed = session.execute(
        update(_payments)
        .where(
            _payments.c.id == payment.id,
            _payments.c.pending_kind.is_(None),
            _payments.c.status == payment.status,
            _payments.c.captured == payment.captured,
            _payments.c.refunded == payment.refunded,
        )
        .values(
            pending_kind=kind.value,
            pending_amount=wanted,
            pending_key=key,
            pending_reason=reason,
            pending_since=now,
        )
        .execution_options(synchronize_session=False)
    )
    if _changed(claimed) != 1:
        raise PaymentInProgress(
            f"Payment {payment.id} is being moved by another request; try again shortly.",
            payment_status=payment.status,
            retry_after=1,
        )
    _set_pending(payment, kind, wanted, key, reason, now, committed=True)
    return Call(
        payment.id, payment.provider, kind, wanted, key, remote, payment.provider_ref, reason
    )


# --- step 3: record, in a second short transaction -------------------------------------


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
        _set_pending(payment, c.kind, c.amount, c.key, c.reason, now)  # still in flight
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
                _set_pending(payment, K.VOID, c.amount, new_id(), None, now)
        else:
            payment.status = status.value
            payment.provider_ref = _reference(answer.reference)
            payment.captured = c.amount if status is S.CAPTURED else 0
    elif ok and not (c.kind is K.VOID and S(payment.status) is S.FAILED):
        _apply(payment, c.kind, c.amount)  # (a failed one stays failed once released)
    message = " | ".join(m for m in (c.reason, events.clean(answer.message)) if m) or None
    op_kind = K.CAPTURE if c.kind is K.AUTHORISE and S(payment.status) is S.CAPTURED else c.kind
    payment.operations.append(
        _operation(payment, op_kind, c.amount, ok, _reference(answer.reference), message, now)
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
        update(_payments)
        .where(
            _payments.c.id == payment.id,
            _payments.c.status == S.PENDING.value,
            _payments.c.pending_kind.is_(None),
        )
        .values(
            status=status.value,
            captured=payment.amount if received else 0,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if _changed(moved) != 1:
        raise move_refused(
            payment.status, payment.captured, payment.amount, "confirm a transfer for"
        )
    payment = get_payment(session, payment_id=payment.id)
    message = events.clean(note) or ("Transfer received" if received else "Transfer not received")
    payment.operations.append(
        _operation(payment, K.CAPTURE, payment.amount, received, None, message, utcnow())
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


def write_new(session: Session) -> None:
    """Write the payments opened in this session with one INSERT per table."""
    insert_new(session, Payment, PaymentOperation)


# --- the steps every move shares ---------------------------------------------------------


def _changed(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def _take(session: Session, c: Call) -> Payment:
    """Clear the pending call `c` (one conditional UPDATE) and load the payment as it
    is now; 409 if the call was recorded already."""
    cleared = session.execute(
        update(_payments)
        .where(_payments.c.id == c.payment_id, _payments.c.pending_key == c.key)
        .values(
            pending_kind=None,
            pending_amount=None,
            pending_key=None,
            pending_reason=None,
            pending_since=None,
        )
        .execution_options(synchronize_session=False)
    )
    if _changed(cleared) != 1:
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
    for name in _PENDING:
        set_committed_value(payment, name, None)
    return payment


def _allowed(payment: Payment, kind: PaymentOperationKind, amount: int | None) -> int:
    """The amount the move would move, if the payment allows it now; 409 otherwise."""
    status = S(payment.status)
    if kind is K.CAPTURE:
        left = payment.amount - payment.captured
        if status not in CAN_CAPTURE or left == 0:
            raise move_refused(payment.status, payment.captured, payment.amount, "capture")
        wanted = left if amount is None else _positive(amount)
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
        wanted = _positive(amount if amount is not None else 0)
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


def _apply(payment: Payment, kind: PaymentOperationKind, amount: int) -> None:
    if kind is K.CAPTURE:
        payment.captured += amount
        payment.status = (S.PARTIALLY_REFUNDED if payment.refunded else S.CAPTURED).value
    elif kind is K.VOID:
        payment.status = S.VOIDED.value
    elif kind is K.REFUND:
        payment.refunded += amount
        done = payment.refunded == payment.captured
        payment.status = (S.REFUNDED if done else S.PARTIALLY_REFUNDED).value


def _set_pending(
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


def _operation(
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


def _method(method: PaymentMethod | str) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        raise InvalidInput(
            f"Unknown payment method {method!r}.",
            errors=[field_error("method", "unknown payment method", "enum")],
        ) from None


def _positive(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(
            "The amount is a positive integer of minor units.",
            errors=[field_error("amount", "must be a positive integer", "greater_than")],
        )
    return amount


def _reference(reference: str | None) -> str | None:
    # A provider's id is not card data: it is kept as given (a numeric one may well
    # pass the Luhn check), but one too long to keep is dropped rather than cut.
    return reference if reference is not None and len(reference) <= _REF else None
