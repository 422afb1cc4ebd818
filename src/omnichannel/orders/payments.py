"""Payments of an order: authorise with a provider, capture when the goods leave or
are collected, void, refund.

Every call to a provider leaves a PaymentOperation row saying what it answered, yes
or no; the payment's amounts and status, and the order's `payment_status`, change
only on a yes. A provider that cannot be reached raises 503 and nothing is written:
the caller's transaction rolls back.

Capture, void and refund first lock the payment row (FOR UPDATE; SQLite's writer
holds the database), decide on what it holds now, call the provider, then write.
The provider's answer has to come between the decision and the write, so a
conditional UPDATE would have to be undone on a "no"; the lock makes the three one
step instead, and two staff refunding at once cannot refund twice.

Events are per payment (aggregate "payment", sequence = its number of operations):
a checkout creates the order and its payment in one transaction, and payment events
then need no share of the order's version. Payloads carry amounts and the
provider's reference, never a token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, selectinload

from omnichannel.kernel import new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import payment_events
from omnichannel.orders.errors import (
    PaymentAmountExceeded,
    PaymentDeclined,
    PaymentMethodUnsupported,
    PaymentNotFound,
    field_error,
    move_refused,
    provider_unavailable,
)
from omnichannel.orders.models import Order, Payment, PaymentOperation
from omnichannel.orders.payment_events import payment_status_of as payment_status_of
from omnichannel.orders.providers import (
    AuthoriseRequest,
    OperationResult,
    PaymentProvider,
    ProviderError,
    provider_for,
)
from omnichannel.orders.rules import PaymentMethod, PaymentOperationKind, PaymentStatus

S = PaymentStatus
K = PaymentOperationKind

# Where each move may start from.
CAN_CAPTURE = frozenset({S.AUTHORISED, S.DUE, S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED})
CAN_VOID = frozenset({S.AUTHORISED, S.DUE, S.PENDING})
CAN_REFUND = frozenset({S.CAPTURED, S.PARTIALLY_REFUNDED})
# What a successful authorisation may leave the payment in.
STARTED = frozenset({S.AUTHORISED, S.PENDING, S.DUE, S.CAPTURED})

_REF = 128  # payments.provider_ref


@dataclass(frozen=True, slots=True)
class PaymentChange:
    """What one capture, void, refund or transfer confirmation did."""

    payment: Payment
    kind: PaymentOperationKind
    amount: int  # asked for; moved only if `succeeded`
    succeeded: bool  # False: the provider said no, and nothing but the operation changed
    previous_status: PaymentStatus
    status: PaymentStatus
    order_payment_status: PaymentStatus
    message: str | None


def get_payment(session: Session, *, payment_id: uuid.UUID) -> Payment:
    """One payment; 404 `payment_not_found` if there is none."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise PaymentNotFound(f"Payment {payment_id} does not exist.")
    return payment


def start_payment(
    session: Session,
    *,
    order: Order,
    method: PaymentMethod | str,
    amount: int,
    currency: str,
    token: str | None = None,
    provider: str = "sandbox",
) -> Payment:
    """Authorise `amount` of an order with a provider and record the payment (flushed):
    authorised, pending (a transfer), due (paid in person later) or captured (cash).
    402 `payment_declined` if the provider says no, 503 if it cannot be reached:
    nothing is written either way, so a checkout rolls back whole."""
    psp = provider_for(provider)
    method = _method(method)
    if method not in psp.methods:
        raise PaymentMethodUnsupported(
            f"Provider {psp.name} does not take {method.value} payments.",
            errors=[field_error("method", f"not offered by {psp.name}", "unsupported")],
        )
    if currency != order.currency:
        raise InvalidInput(
            f"The order is in {order.currency}, not {currency}.",
            errors=[field_error("currency", f"must be {order.currency}", "currency_mismatch")],
        )
    payment_id = new_id()
    request = AuthoriseRequest(
        reference=str(payment_id),
        method=method,
        amount=amount,
        currency=currency,
        token=token,
        description=f"Order {order.number}",
    )
    if amount > order.total:
        raise InvalidInput(
            f"The payment ({amount}) is more than the order's total ({order.total}).",
            errors=[field_error("amount", "more than the order's total", "less_than_equal")],
        )
    try:
        result = psp.authorise(request)
    except ProviderError as exc:
        raise provider_unavailable(psp.name) from exc
    if not result.ok:
        raise PaymentDeclined(
            payment_events.clean(result.message) or "The payment was declined.",
            provider=psp.name,
            method=method.value,
        )
    status = S(result.status)
    if status not in STARTED:
        raise provider_unavailable(psp.name)
    reference = _reference(psp, result.reference)
    captured = amount if status is S.CAPTURED else 0
    if order.id is None:  # placed in this transaction and not flushed yet
        order.id = new_id()
    session.add(order)
    payment = Payment(
        id=payment_id,
        order_id=order.id,
        method=method.value,
        provider=psp.name,
        provider_ref=reference,
        status=status.value,
        currency=currency,
        amount=amount,
        captured=captured,
        refunded=0,
    )
    kind = K.CAPTURE if status is S.CAPTURED else K.AUTHORISE
    if "payments" not in inspect(order).unloaded:
        order.payments.append(payment)  # keep a loaded collection true
    # Built with its first operation, so the new payment's collection is loaded too.
    payment.operations = [
        PaymentOperation(
            payment_id=payment_id,
            kind=kind.value,
            amount=amount,
            succeeded=True,
            provider_ref=reference,
            message=payment_events.clean(result.message),
        )
    ]
    session.add(payment)
    _sync_order(session, order, new=payment)
    payment_events.record(
        session, payment, order, kind, amount, True, sequence=1, message=result.message
    )
    return payment


def capture(session: Session, *, payment: Payment, amount: int | None = None) -> PaymentChange:
    """Take what was authorised or is due: all that is left, or `amount` of it (lines
    were cancelled, or this is one shipment of several). 409 if nothing can be."""
    _lock(session, payment)
    left = payment.amount - payment.captured
    if S(payment.status) not in CAN_CAPTURE or left == 0:
        raise move_refused(payment.status, payment.captured, payment.amount, "capture")
    amount = left if amount is None else _positive(amount)
    if amount > left:
        raise PaymentAmountExceeded(
            f"Only {left} of the payment is left to capture; it is {payment.status}.",
            errors=[field_error("amount", f"at most {left}", "less_than_equal")],
            payment_status=payment.status,
        )

    def apply(p: Payment) -> None:
        p.captured += amount
        p.status = (S.PARTIALLY_REFUNDED if p.refunded else S.CAPTURED).value

    return _operate(
        session, payment, K.CAPTURE, amount, lambda psp, ref: psp.capture(ref, amount), apply
    )


def void(session: Session, *, payment: Payment) -> PaymentChange:
    """Release an authorisation, or cancel what was due or awaited, before any capture.
    409 once anything was captured."""
    _lock(session, payment)
    if S(payment.status) not in CAN_VOID or payment.captured:
        raise move_refused(payment.status, payment.captured, payment.amount, "void")

    def apply(p: Payment) -> None:
        p.status = S.VOIDED.value

    return _operate(session, payment, K.VOID, payment.amount, lambda psp, ref: psp.void(ref), apply)


def refund(session: Session, *, payment: Payment, amount: int, reason: str) -> PaymentChange:
    """Give back `amount` of what was captured, for a reason kept with the operation.
    409 if that is more than is left to refund."""
    reason = payment_events.refund_reason(reason)
    amount = _positive(amount)
    _lock(session, payment)
    if S(payment.status) not in CAN_REFUND:
        raise move_refused(payment.status, payment.captured, payment.amount, "refund")
    left = payment.captured - payment.refunded
    if amount > left:
        raise PaymentAmountExceeded(
            f"Only {left} of the payment is left to refund; it is {payment.status}.",
            errors=[field_error("amount", f"at most {left}", "less_than_equal")],
            payment_status=payment.status,
        )

    def apply(p: Payment) -> None:
        p.refunded += amount
        p.status = (S.REFUNDED if p.refunded == p.captured else S.PARTIALLY_REFUNDED).value

    return _operate(
        session,
        payment,
        K.REFUND,
        amount,
        lambda psp, ref: psp.refund(ref, amount),
        apply,
        reason=reason,
    )


def confirm_transfer(
    session: Session, *, payment: Payment, received: bool = True, note: str | None = None
) -> PaymentChange:
    """Record the provider's notice that an awaited transfer arrived (captured in
    full) or never will (failed). 409 unless the payment is pending."""
    _lock(session, payment)
    if S(payment.status) is not S.PENDING:
        raise move_refused(
            payment.status, payment.captured, payment.amount, "confirm a transfer for"
        )
    previous = S(payment.status)
    if received:
        payment.captured = payment.amount
    payment.status = (S.CAPTURED if received else S.FAILED).value
    message = payment_events.clean(note) or (
        "Transfer received" if received else "Transfer not received"
    )
    return _record(session, payment, K.CAPTURE, payment.amount, received, previous, message)


# --- the steps every move shares ---------------------------------------------------


def _operate(
    session: Session,
    payment: Payment,
    kind: PaymentOperationKind,
    amount: int,
    call: Callable[[PaymentProvider, str], OperationResult],
    apply: Callable[[Payment], None],
    *,
    reason: str | None = None,
) -> PaymentChange:
    psp = provider_for(payment.provider)
    previous = S(payment.status)
    try:
        result = call(psp, payment.provider_ref or "")
    except ProviderError as exc:
        raise provider_unavailable(psp.name) from exc
    if result.ok:
        apply(payment)
    message = " | ".join(m for m in (reason, payment_events.clean(result.message)) if m) or None
    return _record(
        session, payment, kind, amount, result.ok, previous, message, result.reference, reason
    )


def _record(
    session: Session,
    payment: Payment,
    kind: PaymentOperationKind,
    amount: int,
    ok: bool,
    previous: PaymentStatus,
    message: str | None,
    reference: str | None = None,
    reason: str | None = None,
) -> PaymentChange:
    operation = PaymentOperation(
        payment_id=payment.id,
        kind=kind.value,
        amount=amount,
        succeeded=ok,
        provider_ref=reference if reference and len(reference) <= _REF else None,
        message=message[: payment_events.MESSAGE_LENGTH] if message else None,
    )
    if "operations" not in inspect(payment).unloaded:
        payment.operations.append(operation)  # keep a loaded collection true
    else:
        session.add(operation)
    session.flush()
    order = session.get_one(Order, payment.order_id)
    order_status = _sync_order(session, order)
    sequence = session.scalar(
        select(func.count())
        .select_from(PaymentOperation)
        .where(PaymentOperation.payment_id == payment.id)
    )
    payment_events.record(
        session,
        payment,
        order,
        kind,
        amount,
        ok,
        sequence=sequence or 1,
        message=message,
        reason=reason,
    )
    return PaymentChange(
        payment, kind, amount, ok, previous, S(payment.status), order_status, message
    )


def _sync_order(session: Session, order: Order, *, new: Payment | None = None) -> PaymentStatus:
    """Set the order's payment status from all its payments, and flush."""
    state = inspect(order)
    payments: Iterable[Payment]
    if "payments" not in state.unloaded:
        payments = order.payments
    elif new is not None and not state.persistent:
        payments = [new]  # the order itself is new: this is its first payment
    else:
        session.flush()
        payments = session.scalars(select(Payment).where(Payment.order_id == order.id))
    status = payment_status_of(payments)
    if order.payment_status != status.value:
        order.payment_status = status.value
        order.changed(utcnow())
    if state.persistent:  # a new order (checkout) is written with its payment, once
        session.flush()
    return status


def _lock(session: Session, payment: Payment) -> None:
    """Hold the payment row for the rest of the transaction, with what it holds now."""
    session.flush()
    q = select(Payment).where(Payment.id == payment.id).with_for_update()
    if "operations" not in inspect(payment).unloaded:
        q = q.options(selectinload(Payment.operations))  # refreshing must not unload them
    session.execute(q.execution_options(populate_existing=True)).one()


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


def _reference(psp: PaymentProvider, reference: str | None) -> str | None:
    # A provider's id is not card data: it is kept as given (a numeric one may well
    # pass the Luhn check), but it has to fit.
    if reference is not None and len(reference) > _REF:
        raise provider_unavailable(psp.name)
    return reference
