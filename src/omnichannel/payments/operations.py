"""Starting a payment and moving it (capture, void, refund), never with a provider
call inside a database transaction (promise 8).

Every move that needs a provider is three steps, and the caller owns the two
transactions around the call:

1. `open_payment` or `request` (this module), in the caller's transaction: check the move against
   what the payment holds now and mark it *pending* on the payment with one
   conditional UPDATE. One call is in flight per payment at a time, so two staff
   refunding at once cannot refund twice: the second gets 409 `payment_in_progress`.
   The caller commits.
2. `call` (`payments.calls`), with no transaction open: ask the provider, under the call's idempotency
   key (the payment id for an authorisation, a fresh key for anything else).
3. `record` (`payments.recording`), in a second short transaction: keep the answer (an operation row; the
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
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from omnichannel.db.bulk import insert_new
from omnichannel.kernel import new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments import events
from omnichannel.payments.calls import Call
from omnichannel.payments.errors import (
    PaymentInProgress,
    PaymentMethodUnsupported,
    field_error,
)
from omnichannel.payments.models import Payment, PaymentOperation
from omnichannel.payments.moves import (
    PAYMENTS,
    allowed,
    changed,
    method_of,
    operation_row,
    positive,
    set_pending,
)
from omnichannel.payments.providers import (
    AuthoriseRequest,
    check_currency,
    check_token,
    provider_for,
)
from omnichannel.payments.rules import (
    OFFLINE_START,
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
    method = method_of(method)
    provider = provider or provider_for_payment(method, token)
    amount = positive(amount)
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
        payment.operations = [operation_row(payment, kind, amount, True, None, message, now)]
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
    set_pending(payment, K.AUTHORISE, amount, payment_id, None, now)
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
    wanted = allowed(payment, kind, amount)
    remote = needs_provider(PaymentMethod(payment.method))
    key, now = new_id(), utcnow()
    claimed = session.execute(
        update(PAYMENTS)
        .where(
            PAYMENTS.c.id == payment.id,
            PAYMENTS.c.pending_kind.is_(None),
            PAYMENTS.c.status == payment.status,
            PAYMENTS.c.captured == payment.captured,
            PAYMENTS.c.refunded == payment.refunded,
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
    if changed(claimed) != 1:
        raise PaymentInProgress(
            f"Payment {payment.id} is being moved by another request; try again shortly.",
            payment_status=payment.status,
            retry_after=1,
        )
    set_pending(payment, kind, wanted, key, reason, now, committed=True)
    return Call(
        payment.id, payment.provider, kind, wanted, key, remote, payment.provider_ref, reason
    )


def write_new(session: Session) -> None:
    """Write the payments opened in this session with one INSERT per table."""
    insert_new(session, Payment, PaymentOperation)
