"""Step 2 of a payment's move: the call to the provider, made with no database
transaction open (promise 8), and the same call asked again for one a crash or an
outage left pending. See `payments.operations` for the steps around it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments.errors import PaymentAlreadySettled
from omnichannel.payments.models import Payment
from omnichannel.payments.providers import AuthoriseRequest, ProviderError, provider_for
from omnichannel.payments.rules import (
    PaymentMethod,
    PaymentOperationKind,
    PaymentStatus,
    needs_provider,
)

S = PaymentStatus
K = PaymentOperationKind

UNANSWERED = "The payment provider did not answer."


@dataclass(frozen=True, slots=True)
class Call:
    """A move decided (and marked pending) in one transaction, to be made after it
    commits. Holds the token of an authorisation in memory only."""

    payment_id: uuid.UUID
    provider: str
    kind: PaymentOperationKind
    amount: int
    key: uuid.UUID  # the idempotency key the provider receives
    remote: bool  # False: no provider involved (offline methods)
    provider_ref: str | None = None  # the authorisation a capture, void or refund moves
    reason: str | None = None
    authorise: AuthoriseRequest | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the provider said to a call; `reached` False when it could not be asked."""

    call: Call
    ok: bool
    reached: bool = True
    status: PaymentStatus | None = None  # an authorisation's: where the money is now
    reference: str | None = None
    message: str | None = None


def call(c: Call) -> Answer:
    """Make the call (the provider's round trip, or nothing for an offline method);
    never raises for the provider's sake: an unreachable provider is an answer."""
    if not c.remote:
        return Answer(c, ok=True, message=_OFFLINE_MOVES[c.kind])
    psp = provider_for(c.provider)
    try:
        if c.kind is K.AUTHORISE:
            if c.authorise is None:  # rebuilt from the row: the token is gone
                raise ValueError("an authorisation left pending is settled by ask_again")
            a = psp.authorise(c.authorise)
            return Answer(c, ok=a.ok, status=S(a.status), reference=a.reference, message=a.message)
        ref, key = c.provider_ref or "", str(c.key)
        if c.kind is K.CAPTURE:
            r = psp.capture(ref, c.amount, key=key)
        elif c.kind is K.VOID:
            r = psp.void(ref, key=key)
        else:
            r = psp.refund(ref, c.amount, key=key)
    except ProviderError:
        return Answer(c, ok=False, reached=False, message=UNANSWERED)
    except InvalidInput as e:  # it refused what it was sent (a malformed code): a no
        return Answer(c, ok=False, message=e.detail)
    return Answer(c, ok=r.ok, reference=r.reference, message=r.message)


def pending_call(payment: Payment) -> Call:
    """The call a payment has in flight, rebuilt from what the payment row keeps."""
    if payment.pending_kind is None or payment.pending_key is None:
        raise PaymentAlreadySettled(f"Payment {payment.id} has no call in flight.")
    return Call(
        payment.id,
        payment.provider,
        K(payment.pending_kind),
        payment.pending_amount or 0,
        payment.pending_key,
        needs_provider(PaymentMethod(payment.method)),
        payment.provider_ref,
        payment.pending_reason,
    )


def ask_again(c: Call) -> Answer | None:
    """For a call a crash or an outage left pending: what became of an authorisation
    (looked up; None when the provider never received it), or the same capture, void
    or refund again under the same key. A void of an authorisation we never heard
    back about looks it up first."""
    if not c.remote:
        return call(c)
    psp = provider_for(c.provider)
    try:
        if c.kind is K.AUTHORISE or (c.kind is K.VOID and not c.provider_ref):
            found = psp.lookup(str(c.payment_id))
            if found is None and c.kind is K.AUTHORISE:
                return None  # the provider never received it
            if found is None:
                return Answer(c, ok=True, message="Nothing was authorised: nothing to release.")
            if c.kind is K.AUTHORISE:
                return Answer(
                    c,
                    found.ok,
                    status=S(found.status),
                    reference=found.reference,
                    message=found.message,
                )
            if not found.ok or found.reference is None:
                return Answer(c, ok=True, message="Nothing was authorised: nothing to release.")
            r = psp.void(found.reference, key=str(c.key))
            return Answer(c, ok=r.ok, reference=r.reference, message=r.message)
    except ProviderError:
        return Answer(c, ok=False, reached=False, message=UNANSWERED)
    return call(c)


_OFFLINE_MOVES = {
    K.CAPTURE: "Paid in person",
    K.VOID: "Cancelled",
    K.REFUND: "Refunded in person",
    K.AUTHORISE: "Started",
}
