"""The `sandbox` payment provider: for the demo and the tests, never for real money.

Deterministic, offline and instant: no network, no sleeping. It keeps no state;
what it needs to know later is in the reference it hands out, so it answers the same
in every worker and after a restart. The amounts (capture at most what is
authorised, refund at most what is captured, void only before capture) are kept by
the payment service on the payment row, as for every provider.

What it does, by method:

- card: the token decides. `sandbox_ok` authorises, `sandbox_declined` declines,
  `sandbox_error` raises `ProviderError` (the provider is down).
  `sandbox_capture_declined` authorises but every capture is declined (an expired
  authorisation); `sandbox_capture_error` authorises but capturing raises.
  Any other token is declined.
- BLIK: the token is the 6-digit code; `000000` declines, any other authorises.
- gift card or store credit: `sandbox_gc_<balance>` authorises up to that balance.
- bank transfer: pending (awaiting the transfer) until `payments.confirm_transfer`
  records that the money arrived, as a real provider's notification would.
- cash on delivery, pay at pickup: nothing to authorise, the amount is due; it is
  captured when the goods are handed over and the cash taken.
- cash at the till, marketplace: captured at once.

`sandbox_error` raises for every method that takes a token.
"""

from __future__ import annotations

import re
import uuid

from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders.errors import field_error
from omnichannel.orders.providers import (
    SANDBOX,
    AuthoriseRequest,
    AuthoriseResult,
    OperationResult,
    ProviderError,
)
from omnichannel.orders.rules import PaymentMethod, PaymentStatus

M = PaymentMethod

OK = "sandbox_ok"
DECLINED = "sandbox_declined"
ERROR = "sandbox_error"
CAPTURE_DECLINED = "sandbox_capture_declined"
CAPTURE_ERROR = "sandbox_capture_error"
GIFT_CARD_PREFIX = "sandbox_gc_"
BLIK_DECLINED = "000000"

PREFIX = "sbx_"
_CAPTURE_DECLINES = PREFIX + "cd_"  # references whose captures are declined
_CAPTURE_FAILS = PREFIX + "ce_"  # references whose captures raise
_BLIK = re.compile(r"^\d{6}$")
_GIFT_CARD = re.compile(r"^" + GIFT_CARD_PREFIX + r"(\d{1,12})$")

# Paid later, in person, or already paid: no token and nothing to decline.
_NO_TOKEN: dict[PaymentMethod, tuple[PaymentStatus, str]] = {
    M.BANK_TRANSFER: (PaymentStatus.PENDING, "Awaiting the bank transfer"),
    M.CASH_ON_DELIVERY: (PaymentStatus.DUE, "To be paid in cash on delivery"),
    M.PAY_AT_PICKUP: (PaymentStatus.DUE, "To be paid when collected"),
    M.CASH: (PaymentStatus.CAPTURED, "Paid in cash at the till"),
    M.MARKETPLACE: (PaymentStatus.CAPTURED, "Settled by the marketplace"),
}


def _ref(prefix: str = PREFIX) -> str:
    return prefix + uuid.uuid4().hex


class SandboxProvider:
    """The built-in test and demo provider (see the module docstring)."""

    name = SANDBOX
    methods = frozenset(PaymentMethod)

    def authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
        method, token = request.method, request.token
        if method in _NO_TOKEN:
            status, message = _NO_TOKEN[method]
            if method is M.BANK_TRANSFER:
                ref = _ref()
                return AuthoriseResult(True, status, ref, f"{message}; title: {ref}")
            return AuthoriseResult(True, status, _ref(), message)
        if not token:
            raise InvalidInput(
                f"A {method.value} payment needs the token from the provider's form.",
                errors=[field_error("token", "required for this method", "missing")],
            )
        if token == ERROR:
            raise ProviderError("sandbox: simulated provider outage")
        if method is M.BLIK:
            return self._blik(token)
        if method is M.GIFT_CARD:
            return self._gift_card(token, request.amount)
        return self._card(token)

    def _card(self, token: str) -> AuthoriseResult:
        if token == OK:
            return AuthoriseResult(True, PaymentStatus.AUTHORISED, _ref(), "Authorised")
        if token == CAPTURE_DECLINED:
            return AuthoriseResult(
                True, PaymentStatus.AUTHORISED, _ref(_CAPTURE_DECLINES), "Authorised"
            )
        if token == CAPTURE_ERROR:
            return AuthoriseResult(
                True, PaymentStatus.AUTHORISED, _ref(_CAPTURE_FAILS), "Authorised"
            )
        if token == DECLINED:
            return AuthoriseResult.declined("The card was declined by its issuer.")
        return AuthoriseResult.declined(
            f"Unknown sandbox card token; use {OK}, {DECLINED} or {ERROR}."
        )

    def _blik(self, code: str) -> AuthoriseResult:
        if not _BLIK.match(code):
            raise InvalidInput(
                "A BLIK code is 6 digits.",
                errors=[field_error("token", "a BLIK code is 6 digits", "blik_code")],
            )
        if code == BLIK_DECLINED:
            return AuthoriseResult.declined("The BLIK code was rejected in the banking app.")
        return AuthoriseResult(True, PaymentStatus.AUTHORISED, _ref(), "Authorised with BLIK")

    def _gift_card(self, token: str, amount: int) -> AuthoriseResult:
        m = _GIFT_CARD.match(token)
        if m is None:
            return AuthoriseResult.declined("Unknown gift card.")
        balance = int(m.group(1))
        if amount > balance:
            return AuthoriseResult.declined(
                f"The gift card's balance ({balance}) does not cover {amount}."
            )
        return AuthoriseResult(True, PaymentStatus.AUTHORISED, _ref(), "Gift card authorised")

    def capture(self, reference: str, amount: int) -> OperationResult:
        if not reference.startswith(PREFIX) or amount <= 0:
            return OperationResult(False, None, "Not a sandbox payment, or nothing to capture.")
        if reference.startswith(_CAPTURE_FAILS):
            raise ProviderError("sandbox: simulated outage while capturing")
        if reference.startswith(_CAPTURE_DECLINES):
            return OperationResult(False, None, "The authorisation has expired.")
        return OperationResult(True, _ref(), "Captured")

    def void(self, reference: str) -> OperationResult:
        if not reference.startswith(PREFIX):
            return OperationResult(False, None, "Not a sandbox payment.")
        return OperationResult(True, _ref(), "Voided")

    def refund(self, reference: str, amount: int) -> OperationResult:
        if not reference.startswith(PREFIX) or amount <= 0:
            return OperationResult(False, None, "Not a sandbox payment, or nothing to refund.")
        return OperationResult(True, _ref(), "Refunded")
