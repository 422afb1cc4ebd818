"""Payment errors, each with its stable code."""

from __future__ import annotations

from typing import Any

from omnichannel.kernel.errors import Conflict, DomainError, InvalidInput, NotFound


def field_error(field: str, message: str, type_: str) -> dict[str, Any]:
    """One entry of a problem's `errors`."""
    return {"field": field, "message": message, "type": type_}


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class PaymentDeclined(DomainError):
    """The provider refused the authorisation: nothing was written, pay another way."""

    status = 402
    code = "payment_declined"
    title = "Payment declined"


class PaymentProviderUnavailable(DomainError):
    """The provider did not answer (or answered nonsense): nothing was written, retry."""

    status = 503
    code = "payment_provider_unavailable"
    title = "Payment provider unavailable"


class PaymentMoveRefused(Conflict):
    """Capture after void, void after capture, refund of nothing captured…"""

    code = "payment_transition_refused"


class PaymentInProgress(Conflict):
    """Another request's call to the provider about this payment is still in flight."""

    code = "payment_in_progress"


class PaymentAlreadySettled(Conflict):
    """The answer to this call was recorded already (by the request or the worker)."""

    code = "payment_already_settled"


class PaymentAmountExceeded(Conflict):
    """More than is left to capture, or to refund."""

    code = "payment_amount_exceeded"


class UnknownPaymentProvider(InvalidInput):
    code = "unknown_payment_provider"


class PaymentMethodUnsupported(InvalidInput):
    code = "payment_method_unsupported"


class CardNumberRefused(InvalidInput):
    """Something that looks like a card number was sent where a provider token belongs:
    card data never reaches us, even by mistake."""

    code = "card_number_refused"


def move_refused(status: str, captured: int, amount: int, verb: str) -> PaymentMoveRefused:
    """409 naming the payment's status (and how much of it was captured)."""
    left = f" ({captured} of {amount} captured)" if captured else ""
    return PaymentMoveRefused(
        f"Cannot {verb} a payment that is {status}{left}.", payment_status=status
    )


def provider_unavailable(provider: str) -> PaymentProviderUnavailable:
    """503: the provider could not be reached or answered nonsense; nothing changed."""
    return PaymentProviderUnavailable(
        f"The payment provider {provider} is not answering; nothing was charged "
        "or changed. Try again shortly.",
        provider=provider,
    )
